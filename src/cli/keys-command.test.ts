/** `sluice keys` and `sluice tenants` against a real SQLite file, as an operator runs them. */
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openSqliteStore } from '../state/sqlite-store.ts';
import { TenantDirectory } from '../tenancy/tenant-directory.ts';
import type { CommandIo } from './command-io.ts';
import { registerKeyCommands } from './keys-command.ts';

const directory = mkdtempSync(join(tmpdir(), 'sluice-keys-cli-'));
after(() => rmSync(directory, { recursive: true, force: true }));
const configFile = join(directory, 'sluice.yaml');
writeFileSync(configFile, `state:\n  directory: ${JSON.stringify(join(directory, 'state'))}\n`);

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const result = { code: -1, out: '', err: '' };
  const io: CommandIo = {
    out: (line) => (result.out += `${line}\n`),
    err: (line) => (result.err += `${line}\n`),
    exit: (code) => (result.code = code),
  };
  const program = new Command().exitOverride();
  registerKeyCommands(program, io);
  await program.parseAsync(['node', 'sluice', ...args, '--config', configFile]);
  return result;
}

test('a tenant, a key shown once and stored as a hash, listed without secrets, revoked; every step audited as cli', async () => {
  assert.equal((await run('tenants', 'create', 'clinic-a', '--priority', '1')).code, 0);
  const duplicate = await run('tenants', 'create', 'clinic-a');
  assert.deepEqual([duplicate.code, /already exists|exists/.test(duplicate.err)], [1, true], duplicate.err);

  const created = await run('keys', 'create', '--tenant', 'clinic-a', '--scopes', 'infer,read', '--models', 'embed');
  assert.equal(created.code, 0, created.err);
  const { key, record } = JSON.parse(created.out) as { key: string; record: { id: string; scopes: string[] } };
  assert.match(key, /^sk-sluice-[a-z0-9]{10}-[A-Za-z0-9]{32}$/);
  assert.deepEqual(record.scopes, ['infer', 'read']);

  const listed = await run('keys', 'list');
  assert.equal(listed.out.includes(record.id), true);
  assert.equal(listed.out.includes(key.split('-').at(-1) as string), false, 'no secret in a list');
  for (const file of readdirSync(join(directory, 'state')))
    assert.equal(readFileSync(join(directory, 'state', file)).includes(key.split('-').at(-1) as string), false);

  const store = openSqliteStore(join(directory, 'state', 'sluice.db'));
  try {
    const tenants = new TenantDirectory(true);
    tenants.load({ tenants: await store.listTenants(), keys: await store.listKeys() });
    assert.equal(tenants.identify({ authorization: `Bearer ${key}` }).tenant.name, 'clinic-a');
    assert.equal((await run('keys', 'revoke', record.id)).code, 0);
    tenants.load({ tenants: await store.listTenants(), keys: await store.listKeys() });
    assert.throws(() => tenants.identify({ authorization: `Bearer ${key}` }), { code: 'ERR_AUTH_KEY_REVOKED' });
    const actions = (await store.queryAudit({ actor: 'cli', limit: 10 })).map((entry) => entry.action);
    assert.deepEqual(actions, ['tenant.create', 'key.create', 'key.revoke']);
  } finally {
    await store.close();
  }
});

test('bad input is refused with the reason and exit 1, writing nothing', async () => {
  const unknownTenant = await run('keys', 'create', '--tenant', 'nobody');
  assert.deepEqual([unknownTenant.code, unknownTenant.err.trim()], [1, 'sluice: no tenant "nobody"']);
  const badScope = await run('keys', 'create', '--tenant', 'clinic-a', '--scopes', 'infer,root');
  assert.equal(badScope.code, 1);
  assert.match(badScope.err, /scopes\.1: Invalid option/);
  const missing = await run('keys', 'revoke', 'abcdefghij');
  assert.deepEqual([missing.code, missing.err.trim()], [1, 'sluice: no key "abcdefghij"']);
  const keys = JSON.parse((await run('keys', 'list')).out) as unknown[];
  assert.equal(keys.length, 1, 'only the key of the first test');
});
