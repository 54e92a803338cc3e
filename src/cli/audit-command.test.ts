/**
 * `sluice audit` against a real SQLite file, tampered with the way someone with write access
 * to the database would: SQL rewriting the records' lines in their segment, the segment's
 * own columns, or its key rows.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { Command } from 'commander';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { changeRecord, lineOf, swap } from '../audit/audit-stores.fixtures.ts';
import { sealEntries, spelled } from '../audit/chain.ts';
import { openSqliteStore } from '../state/sqlite-store.ts';
import type { AuditEntry, AuditQuery } from '../state/store.ts';
import { parseHead, registerAuditCommands } from './audit-command.ts';

const root = mkdtempSync(join(tmpdir(), 'sluice-audit-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

let directory = '';
let configFile = '';
let databaseFile = '';

const DAY_MS = 24 * 60 * 60 * 1000;

function entry(daysAgo: number): AuditEntry {
  const time = new Date(Date.now() - daysAgo * DAY_MS).toISOString();
  return { time, actor: 'cli', action: 'key.create', tenant: 'acme', details: { daysAgo } };
}

/** Ten records: seq 1–5 forty to thirty-six days old, seq 6–10 five to one days old. */
beforeEach(async () => {
  directory = mkdtempSync(join(root, 'case-'));
  configFile = join(directory, 'sluice.yaml');
  databaseFile = join(directory, 'state', 'sluice.db');
  writeFileSync(configFile, `state:\n  directory: ${JSON.stringify(join(directory, 'state'))}\n`);
  const store = openSqliteStore(databaseFile);
  await store.appendAudit(sealEntries([40, 39, 38, 37, 36, 5, 4, 3, 2, 1].map((n) => spelled(entry(n)))));
  await store.close();
});

async function sluice(...args: string[]): Promise<{ code: number | undefined; out: string[]; err: string[] }> {
  const result: { code: number | undefined; out: string[]; err: string[] } = { code: undefined, out: [], err: [] };
  const program = new Command();
  registerAuditCommands(program, {
    out: (line) => result.out.push(line),
    err: (line) => result.err.push(line),
    exit: (code) => {
      result.code = code;
    },
  });
  quiet(program);
  await program.parseAsync(args, { from: 'user' });
  return result;
}

/** Commander throws instead of exiting, and keeps its usage errors to itself, at every level. */
function quiet(command: Command): void {
  command.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  for (const sub of command.commands) quiet(sub);
}

/** Rewrites the lines of the one segment the ten records were appended as. */
function tamper(change: (lines: string[]) => string[]): void {
  const db = new Database(databaseFile);
  try {
    const text = db.prepare('SELECT records FROM audit_segments WHERE first_seq = 1').pluck().get() as string;
    db.prepare('UPDATE audit_segments SET records = ? WHERE first_seq = 1').run(change(text.split('\n')).join('\n'));
  } finally {
    db.close();
  }
}

/** Runs SQL on the database as someone with write access to it could. */
function sql(statement: string, ...params: unknown[]): void {
  const db = new Database(databaseFile);
  try {
    db.prepare(statement).run(...params);
  } finally {
    db.close();
  }
}

/** Every line's seq set to its place in the segment (its first seq is 1). */
function numberedInOrder(lines: readonly string[]): string[] {
  return lines.map((line, index) =>
    JSON.stringify({ ...(JSON.parse(line) as Record<string, unknown>), seq: index + 1 }),
  );
}

describe('sluice audit verify', () => {
  test('says the chain is ok, with its head, and exits 0', async () => {
    const { code, out } = await sluice('audit', 'verify', '-c', configFile);
    assert.equal(code, 0);
    assert.match(out[0] ?? '', /^audit chain ok: 10 records from the start; head 10:[0-9a-f]{64}$/);
  });

  const tampering: [name: string, change: (lines: string[]) => string[], line: RegExp][] = [
    [
      'an edited record',
      (lines) => changeRecord(lines, 7, { details: { daysAgo: 99 } }),
      /^audit chain BROKEN at seq 7 \(edited\): seq 7's hash does not match its content$/,
    ],
    [
      'a deleted record',
      (lines) => lines.filter((_, index) => index !== lineOf(lines, 4)),
      /^audit chain BROKEN at seq 4 \(gap\): seq 4 is missing/,
    ],
    [
      'two records moved in the segment',
      (lines) => swap(lines, 3, 4),
      /^audit chain BROKEN at seq 4 \(out-of-order\): seq 4 comes before seq 3$/,
    ],
    [
      'two records swapped, their seqs left in order',
      (lines) => numberedInOrder(swap(lines, 3, 4)),
      /^audit chain BROKEN at seq 3 \(edited\)/,
    ],
  ];
  for (const [name, change, line] of tampering) {
    test(`names the first bad record after ${name}, and exits 1`, async () => {
      tamper(change);
      const { code, out } = await sluice('audit', 'verify', '-c', configFile);
      assert.equal(code, 1);
      assert.match(out[0] ?? '', line);
    });
  }

  test('exits 2 naming the segment and line when a line is not a record at all', async () => {
    tamper((lines) => lines.map((line, index) => (index === 5 ? line.slice(0, 40) : line)));
    const { code, err } = await sluice('audit', 'verify', '-c', configFile);
    assert.equal(code, 2);
    assert.match(err[0] ?? '', /^sluice audit: line 6 of the audit segment from seq 1 is not JSON/);
  });

  test("names lines cut off a segment's end, and a cut its columns were made to match only against a head", async () => {
    const head = (await sluice('audit', 'head', '-c', configFile)).out[0] ?? '';
    assert.deepEqual(parseHead(head).seq, 10);
    let kept: string[] = [];
    tamper((lines) => {
      kept = lines.slice(0, 8);
      return kept;
    });
    const cut = await sluice('audit', 'verify', '-c', configFile);
    assert.equal(cut.code, 1);
    assert.equal(
      cut.out[0],
      'audit chain BROKEN at seq 9 (bad-segment): the audit segment from seq 1 says it ends at seq 10; its last line is seq 8',
    );
    // The segment's end and time range set to its last line's: a shorter chain, whole.
    const last = JSON.parse(kept.at(-1) ?? '') as { seq: number; hash: string; time: string };
    sql('UPDATE audit_segments SET last_seq = ?, last_hash = ?, max_time = ?', last.seq, last.hash, last.time);
    assert.equal((await sluice('audit', 'verify', '-c', configFile)).code, 0);
    const { code, out } = await sluice('audit', 'verify', '-c', configFile, '--expect-head', head);
    assert.equal(code, 1);
    assert.match(out[0] ?? '', /^audit chain BROKEN at seq 9 \(truncated\): the chain ends at seq 8/);
  });

  // What a query finds records by: edited, they would hide records from GET /admin/audit.
  const columnTampering: [name: string, statement: string, line: RegExp, hidden?: AuditQuery][] = [
    [
      'its time range narrowed',
      'UPDATE audit_segments SET max_time = min_time',
      /^audit chain BROKEN at seq 1 \(bad-segment\): the audit segment from seq 1 says its records' times run from /,
      { from: new Date(Date.now() - 10 * DAY_MS).toISOString(), limit: 100 },
    ],
    [
      'its tenant key row deleted',
      "DELETE FROM audit_segment_keys WHERE kind = 'tenant'",
      /^audit chain BROKEN at seq 1 \(bad-segment\): the audit segment from seq 1 has no key row for tenant "acme", which its records hold$/,
      { tenant: 'acme', limit: 100 },
    ],
    [
      'a key row added',
      "INSERT INTO audit_segment_keys (kind, value, first_seq) VALUES ('actor', 'someone', 1)",
      /^audit chain BROKEN at seq 1 \(bad-segment\): the audit segment from seq 1 has a key row for actor "someone", which none of its records hold$/,
    ],
    [
      'its last hash changed',
      `UPDATE audit_segments SET last_hash = '${'0'.repeat(64)}'`,
      /^audit chain BROKEN at seq 10 \(bad-segment\): the audit segment from seq 1's last hash is not the hash of seq 10$/,
    ],
    [
      'its first seq changed',
      'UPDATE audit_segments SET first_seq = 2',
      /^audit chain BROKEN at seq 2 \(bad-segment\): the audit segment from seq 2 holds records from seq 1$/,
    ],
  ];
  for (const [name, statement, line, hidden] of columnTampering) {
    test(`names the segment after ${name}, and exits 1`, async () => {
      sql(statement);
      if (hidden !== undefined) {
        const store = openSqliteStore(databaseFile);
        const found = await store.queryAudit(hidden).finally(() => store.close());
        assert.deepEqual(found, [], 'the edit hides the records from a query');
      }
      const { code, out } = await sluice('audit', 'verify', '-c', configFile);
      assert.equal(code, 1);
      assert.match(out[0] ?? '', line);
    });
  }

  test('refuses a head that is not one', async () => {
    await assert.rejects(sluice('audit', 'verify', '-c', configFile, '--expect-head', '10:abc'), /is not a head/);
  });

  test('exits 2 when it cannot check at all', async () => {
    const { code, err } = await sluice('audit', 'verify', '-c', join(directory, 'missing.yaml'));
    assert.equal(code, 2);
    assert.match(err[0] ?? '', /^sluice audit: cannot read config file/);
  });
});

describe('sluice audit prune', () => {
  test('prunes behind a signed checkpoint; the rest verifies, with the public key alone too', async () => {
    const pruned = await sluice('audit', 'prune', '-c', configFile, '--older-than', '30d');
    assert.equal(pruned.code, 0);
    assert.match(
      pruned.out[0] ?? '',
      /^pruned 5 audit records older than .*; the chain starts after the checkpoint at seq 5$/,
    );
    assert.ok(existsSync(join(directory, 'state', 'audit-signing.key')));

    const verified = await sluice('audit', 'verify', '-c', configFile);
    assert.match(verified.out[0] ?? '', /^audit chain ok: 5 records after the signed checkpoint at seq 5; head 10:/);

    const publicKeyFile = join(directory, 'audit-public.pem');
    assert.equal((await sluice('audit', 'public-key', '-c', configFile, '-o', publicKeyFile)).code, 0);
    assert.match(readFileSync(publicKeyFile, 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
    rmSync(join(directory, 'state', 'audit-signing.key'));
    const byAuditor = await sluice('audit', 'verify', '-c', configFile, '--public-key', publicKeyFile);
    assert.deepEqual([byAuditor.code, byAuditor.out], [0, verified.out]);
  });

  test('a checkpoint the given public key did not sign fails verification', async () => {
    await sluice('audit', 'prune', '-c', configFile, '--older-than', '30');
    const otherKeyFile = join(directory, 'other.pem');
    writeFileSync(otherKeyFile, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const { code, out } = await sluice('audit', 'verify', '-c', configFile, '--public-key', otherKeyFile);
    assert.equal(code, 1);
    assert.match(out[0] ?? '', /^audit chain BROKEN at seq 5 \(bad-checkpoint\)/);
  });

  test('takes audit.retention_days when no age is given, and refuses to guess without either', async () => {
    const refused = await sluice('audit', 'prune', '-c', configFile);
    assert.deepEqual(
      [refused.code, refused.err],
      [2, ['sluice audit: give --older-than, or set audit.retention_days']],
    );
    writeFileSync(configFile, `${readFileSync(configFile, 'utf8')}audit:\n  retention_days: 3\n`);
    const { code, out } = await sluice('audit', 'prune', '-c', configFile);
    assert.equal(code, 0);
    assert.match(out[0] ?? '', /^pruned 8 audit records/);
  });

  test('prunes nothing over a tampered prefix, and exits 1 naming the record', async () => {
    tamper((lines) => changeRecord(lines, 2, { actor: 'someone-else' }));
    const { code, out } = await sluice('audit', 'prune', '-c', configFile, '--older-than', '30d');
    assert.equal(code, 1);
    assert.match(out[0] ?? '', /^audit chain BROKEN at seq 2 \(edited\).*; nothing pruned$/);
    const head = await sluice('audit', 'head', '-c', configFile);
    assert.match(head.out[0] ?? '', /^10:/);
  });

  test('prunes nothing over a segment whose key rows were edited, and exits 1 naming it', async () => {
    sql("DELETE FROM audit_segment_keys WHERE kind = 'tenant'");
    const { code, out } = await sluice('audit', 'prune', '-c', configFile, '--older-than', '0h');
    assert.equal(code, 1);
    assert.match(
      out[0] ?? '',
      /^audit chain BROKEN at seq 1 \(bad-segment\): the audit segment from seq 1 .*; nothing pruned$/,
    );
    assert.match((await sluice('audit', 'head', '-c', configFile)).out[0] ?? '', /^10:/);
  });

  test('prunes nothing through a segment whose key rows were edited, cutting it, and exits 1 naming it', async () => {
    sql("DELETE FROM audit_segment_keys WHERE kind = 'tenant'");
    const { code, out } = await sluice('audit', 'prune', '-c', configFile, '--older-than', '30d');
    assert.equal(code, 1);
    assert.equal(
      out[0],
      'audit chain BROKEN at seq 1 (bad-segment): the audit segment from seq 1 has no key row for tenant "acme", ' +
        'which its records hold; nothing pruned',
    );
    const verified = await sluice('audit', 'verify', '-c', configFile);
    assert.deepEqual([verified.code, verified.out], [1, [out[0]?.replace('; nothing pruned', '')]]);
  });
});
