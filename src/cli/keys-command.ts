/**
 * `sluice keys …` and `sluice tenants …`: manage API keys and tenants in the state store
 * (the same one `serve` reads; a running server sees a change within auth.key_refresh_ms).
 * A new key is printed once and kept only as a salted hash. Every change is audited with
 * the actor "cli". Exit codes: 0 done, 1 refused (bad input, not found, conflict), 2 the
 * store or the configuration could not be used.
 */
import { processIo, type CommandIo } from './command-io.ts';
import { Command } from 'commander';
import { createInterface } from 'node:readline';
import { createAuditLog } from '../audit/audit-log.ts';
import { redacting } from '../audit/redacting-audit-log.ts';
import { loadConfig } from '../config/load.ts';
import { SluiceError } from '../core/errors.ts';
import { SCOPES } from '../state/store.ts';
import { hashApiKey } from '../tenancy/api-keys.ts';
import { configSnapshot } from '../tenancy/key-sync.ts';
import { TenantAdmin } from '../tenancy/tenant-admin.ts';
import { openConfiguredStore } from './state-store.ts';

type AdminTask = (admin: TenantAdmin) => Promise<unknown>;

/** Opens the store of `configFile`, runs `task` with actor "cli", writes its audit records, closes. */
export async function runAdminTask(configFile: string | undefined, task: AdminTask, io: CommandIo): Promise<void> {
  let config;
  let store;
  try {
    config = loadConfig(configFile === undefined ? {} : { file: configFile });
    store = await openConfiguredStore(config);
  } catch (error) {
    io.err(`sluice: ${(error as Error).message}`);
    return io.exit(2);
  }
  const audit = redacting(createAuditLog(store, { onError: (error) => io.err(`sluice: audit log: ${error.message}`) }));
  const admin = new TenantAdmin({ store, declared: configSnapshot(config.tenants), audit, refresh: async () => {} });
  try {
    const result = await task(admin);
    if (result !== undefined) io.out(JSON.stringify(result, null, 2));
    io.exit(0);
  } catch (error) {
    io.err(`sluice: ${(error as Error).message}`);
    io.exit(error instanceof SluiceError && error.status < 500 ? 1 : 2);
  } finally {
    await audit.close();
    await store.close();
  }
}

const list = (value: string) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');

export function registerKeyCommands(program: Command, io: CommandIo = processIo): void {
  const keys = new Command('keys').description('API keys: create, list, revoke, rotate; hash one for a config file');
  const withConfig = (command: Command) => command.option('-c, --config <file>', 'YAML configuration file');
  withConfig(keys.command('create'))
    .description('make a key for a tenant and print it once (it is kept only as a salted hash)')
    .requiredOption('-t, --tenant <name>', 'the tenant the key belongs to')
    .option('-s, --scopes <list>', `comma-separated: ${SCOPES.join(', ')}`, 'infer')
    .option('--models <list>', 'comma-separated models the key may call (default: every model)')
    .option('--expires-at <time>', 'ISO 8601 time after which the key is refused')
    .action((options: { config?: string; tenant: string; scopes: string; models?: string; expiresAt?: string }) =>
      runAdminTask(
        options.config,
        (admin) =>
          admin.createKey(
            {
              tenant: options.tenant,
              scopes: list(options.scopes),
              ...(options.models === undefined ? {} : { models: list(options.models) }),
              ...(options.expiresAt === undefined ? {} : { expires_at: options.expiresAt }),
            },
            'cli',
          ),
        io,
      ),
    );
  withConfig(keys.command('list'))
    .description('list keys (never their secrets)')
    .option('-t, --tenant <name>', 'only this tenant')
    .action((options: { config?: string; tenant?: string }) =>
      runAdminTask(options.config, (admin) => admin.listKeys(options.tenant), io),
    );
  withConfig(keys.command('revoke'))
    .argument('<id>', 'the key id (the part after sk-sluice-)')
    .description('refuse the key from now on')
    .action((id: string, options: { config?: string }) =>
      runAdminTask(options.config, (admin) => admin.revokeKey(id, 'cli'), io),
    );
  withConfig(keys.command('rotate'))
    .argument('<id>', 'the key id')
    .description('make a new key with the same tenant, scopes, models and expiry, and revoke the old one')
    .action((id: string, options: { config?: string }) =>
      runAdminTask(options.config, (admin) => admin.rotateKey(id, 'cli'), io),
    );
  keys
    .command('hash')
    .description('read a key on standard input and print its config entry (tenants[].keys[]), for GitOps')
    .action(() => hashFromStdin(io));
  program.addCommand(keys);
  program.addCommand(tenantsCommand(withConfig, io));
}

function tenantsCommand(withConfig: (command: Command) => Command, io: CommandIo): Command {
  const tenants = new Command('tenants').description('tenants kept in the state store: create, list, delete');
  withConfig(tenants.command('create'))
    .argument('<name>', 'the tenant name')
    .option('--priority <level>', 'the highest priority level its requests may use (1 = highest)', Number)
    .option('--weight <weight>', 'its share of capacity under contention', Number)
    .action((name: string, options: { config?: string; priority?: number; weight?: number }) =>
      runAdminTask(
        options.config,
        (admin) =>
          admin.createTenant(
            {
              name,
              ...(options.priority === undefined ? {} : { priority: options.priority }),
              ...(options.weight === undefined ? {} : { weight: options.weight }),
            },
            'cli',
          ),
        io,
      ),
    );
  withConfig(tenants.command('list')).action((options: { config?: string }) =>
    runAdminTask(options.config, (admin) => admin.listTenants(), io),
  );
  withConfig(tenants.command('delete'))
    .argument('<name>', 'a tenant with no unrevoked keys')
    .action((name: string, options: { config?: string }) =>
      runAdminTask(options.config, (admin) => admin.deleteTenant(name, 'cli'), io),
    );
  return tenants;
}

async function hashFromStdin(io: CommandIo): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const hashed = hashApiKey(line.trim());
    if (hashed === undefined) {
      io.err('sluice: not a key made by sluice (sk-sluice-<id>-<secret>)');
      return io.exit(1);
    }
    io.out(JSON.stringify({ id: hashed.id, hash: hashed.hash, scopes: ['infer'] }));
    return io.exit(0);
  }
  io.err('sluice: no key on standard input');
  io.exit(1);
}
