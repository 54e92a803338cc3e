/**
 * A Redis server for tests: REDIS_URL when it is set, else a throwaway `redis-server` on a
 * free loopback port with persistence off, stopped by `stop()`. Tests never skip for want
 * of a server: with neither, this throws, naming what is missing. Each caller takes its
 * own key prefix with `prefix()`, so tests sharing one server never see each other's keys.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';

export interface RedisForTests {
  readonly url: string;
  /** A key prefix unique to this process and call. */
  prefix(): string;
  stop(): Promise<void>;
}

/** A shared-state store's Redis options for tests: this server, a fresh prefix, a 1 s command timeout, errors ignored. */
export function storeOptions(redis: RedisForTests) {
  return { url: redis.url, prefix: redis.prefix(), commandTimeoutMs: 1_000, onError: () => {} };
}

/** The store once it is connected to `redis`; an error naming the server if not within 5 s. */
export async function connectedStore<T extends { connected(timeoutMs: number): Promise<boolean> }>(
  redis: RedisForTests,
  store: T,
): Promise<T> {
  if (!(await store.connected(5_000))) throw new Error(`Redis at ${redis.url} did not connect in 5 s`);
  return store;
}

export async function redisForTests(): Promise<RedisForTests> {
  const fromEnv = process.env['REDIS_URL'];
  const server = fromEnv ? { url: fromEnv, stop: async () => {} } : await startThrowawayServer();
  await checkReachable(server.url, fromEnv ? 'REDIS_URL' : 'the throwaway redis-server').catch(async (error) => {
    await server.stop();
    throw error;
  });
  let next = 0;
  return {
    url: server.url,
    prefix: () => `sluice-test:${process.pid}:${Date.now().toString(36)}:${next++}:`,
    stop: server.stop,
  };
}

async function checkReachable(url: string, what: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 5_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(`cannot reach Redis for tests (${what}, ${url}): ${String(error)}`, { cause: error });
  } finally {
    client.disconnect();
  }
}

async function startThrowawayServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const onExit = () => child.kill('SIGKILL');
  process.on('exit', onExit);
  try {
    await untilListening(child);
  } catch (error) {
    process.off('exit', onExit);
    child.kill('SIGKILL');
    throw new Error(
      `REDIS_URL is unset and a throwaway redis-server would not start (install Redis's server or set REDIS_URL): ${String(error)}`,
      { cause: error },
    );
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      process.off('exit', onExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resolves when the server says it accepts connections; rejects when it exits or fails to spawn first. */
function untilListening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no "Ready to accept connections" in 10 s:\n${output}`)), 10_000);
    child.once('error', (error) => (clearTimeout(timer), reject(error)));
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`exited with ${code}:\n${output}`))));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
