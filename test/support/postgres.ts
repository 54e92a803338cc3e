/**
 * A PostgreSQL server for tests: DATABASE_URL when it is set, else a throwaway server made
 * from the installed binaries (/usr/lib/postgresql/<version>/bin) in a temporary directory,
 * on a free loopback port, with trust auth and fsync off, stopped and deleted by `stop()`.
 * Tests never skip for want of a server: with neither, this throws, naming what is missing.
 * Each caller takes fresh schemas with `schema()`; `stop()` drops every one it handed out.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { redactUrl } from '../../src/state/postgres-migrate.ts';

export interface PostgresForTests {
  readonly url: string;
  /** A new schema name, unique to this process. */
  schema(): string;
  stop(): Promise<void>;
}

const INSTALL_ROOT = '/usr/lib/postgresql';
const run = promisify(execFile);

export async function postgresForTests(): Promise<PostgresForTests> {
  const fromEnv = process.env['DATABASE_URL'];
  const server = fromEnv ? { url: fromEnv, stop: async () => {} } : await startThrowawayServer();
  await checkReachable(server.url, fromEnv ? 'DATABASE_URL' : 'the throwaway server').catch(async (error) => {
    await server.stop();
    throw error;
  });
  const handedOut: string[] = [];
  let next = 0;
  return {
    url: server.url,
    schema: () => {
      const name = `sluice_test_${process.pid}_${Date.now().toString(36)}_${next++}`;
      handedOut.push(name);
      return name;
    },
    stop: async () => {
      await dropSchemas(server.url, handedOut).finally(() => server.stop());
    },
  };
}

async function checkReachable(url: string, what: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot reach PostgreSQL for tests (${what}, ${redactUrl(url)}): ${String(error)}`, {
      cause: error,
    });
  } finally {
    await client.end().catch(() => {});
  }
}

async function dropSchemas(url: string, schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

interface Throwaway {
  readonly url: string;
  stop(): Promise<void>;
}

async function startThrowawayServer(): Promise<Throwaway> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-'));
  const data = join(dir, 'data');
  const asUser = serverUser(dir);
  const pgCtl = (...args: string[]) => runAs(asUser, dir, join(bin, 'pg_ctl'), ['-D', data, ...args]);
  // Should the test process die before stop(), the server goes with it.
  const onExit = (): void => {
    const [command, args] = commandAs(asUser, join(bin, 'pg_ctl'), ['-D', data, 'stop', '-m', 'immediate']);
    spawnSync(command, args, { cwd: dir });
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  try {
    await runAs(asUser, dir, join(bin, 'initdb'), [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    const port = await freePort();
    const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`;
    await pgCtl('-l', join(dir, 'server.log'), '-w', '-t', '30', '-o', settings, 'start').catch((error: unknown) => {
      throw new Error(`${String(error)}\nserver log:\n${readLog(join(dir, 'server.log'))}`, { cause: error });
    });
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop: async () => {
        process.off('exit', onExit);
        await pgCtl('stop', '-m', 'fast', '-w').finally(() => rmSync(dir, { recursive: true, force: true }));
      },
    };
  } catch (error) {
    process.off('exit', onExit);
    onExit();
    throw new Error(`DATABASE_URL is unset and a throwaway PostgreSQL from ${bin} would not start: ${String(error)}`, {
      cause: error,
    });
  }
}

/** The newest installed version's bin directory that has initdb. */
function postgresBin(): string {
  const versions = existsSync(INSTALL_ROOT) ? readdirSync(INSTALL_ROOT) : [];
  const bins = versions
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    .map((version) => join(INSTALL_ROOT, version, 'bin'))
    .filter((bin) => existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl')));
  if (bins[0] === undefined) {
    throw new Error(
      `PostgreSQL tests need a server: DATABASE_URL is unset and no initdb and pg_ctl were found in ` +
        `${INSTALL_ROOT}/<version>/bin. Install PostgreSQL's server binaries or set DATABASE_URL.`,
    );
  }
  return bins[0];
}

/**
 * initdb refuses to run as root: as root the server runs as the `postgres` user (through
 * runuser), owning the directory; otherwise as whoever runs the tests.
 */
function serverUser(dir: string): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error('PostgreSQL tests run as root need a "postgres" user to run initdb as (or set DATABASE_URL)');
  }
  chownSync(dir, Number(uid.stdout.trim()), Number(gid.stdout.trim()));
  return 'postgres';
}

function commandAs(user: string | undefined, file: string, args: string[]): [string, string[]] {
  return user === undefined ? [file, args] : ['runuser', ['-u', user, '--', file, ...args]];
}

/** In `cwd`, a directory the server's user may enter (the tests' own may be closed to it). */
async function runAs(user: string | undefined, cwd: string, file: string, args: string[]): Promise<void> {
  const [command, commandArgs] = commandAs(user, file, args);
  try {
    await run(command, commandArgs, { cwd, timeout: 60_000 });
  } catch (error) {
    const stderr = typeof error === 'object' && error !== null && 'stderr' in error ? String(error.stderr) : '';
    throw new Error(`${file.split('/').pop()} failed: ${stderr.trim() || String(error)}`, { cause: error });
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function readLog(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8').slice(-2_000) : '(none)';
}
