/**
 * What only the SQLite store shows: how it opens a file, and two threads, each with its
 * own connection, appending to one file at once (in one thread better-sqlite3 never
 * interleaves two writes, so the contract's two-store case cannot show the lock).
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { workerExecArgv } from '../engines/local/preprocess/worker-bootstrap.ts';
import { openSqliteStore } from './sqlite-store.ts';
import { assertChain, chainSeal, scanned } from './store-fixtures.contract.ts';

const directory = mkdtempSync(join(tmpdir(), 'sluice-sqlite-'));
after(() => rmSync(directory, { recursive: true, force: true }));

/** Opens a store on `path` in a thread of its own, waits for "go", appends `count` one-entry batches. */
const APPENDER = `
(async () => {
  const { workerData, parentPort } = await import('node:worker_threads');
  (await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})).register();
  const { openSqliteStore } = await import(${JSON.stringify(new URL('./sqlite-store.ts', import.meta.url).href)});
  const fixtures = await import(${JSON.stringify(new URL('./store-fixtures.contract.ts', import.meta.url).href)});
  const store = openSqliteStore(workerData.path);
  parentPort.postMessage('ready');
  await new Promise((resolve) => parentPort.once('message', resolve));
  for (let n = 0; n < workerData.count; n++) {
    await store.appendAudit(fixtures.chainSeal([fixtures.entry(n, { actor: workerData.actor })]));
  }
  await store.close();
  parentPort.postMessage('done');
})();
`;

function startAppender(path: string, actor: string, count: number): { ready: Promise<void>; go(): Promise<void> } {
  const worker = new Worker(APPENDER, {
    eval: true,
    workerData: { path, actor, count },
    execArgv: workerExecArgv(process.execArgv),
  });
  const next = (): Promise<void> =>
    new Promise((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
  const ready = next();
  return {
    ready,
    go: () => {
      const done = next().finally(() => worker.terminate());
      worker.postMessage('go');
      return done;
    },
  };
}

describe('openSqliteStore', () => {
  it('creates the missing directories of its path and keeps the file in WAL mode', async () => {
    const path = join(directory, 'a', 'b', 'sluice.db');
    const store = openSqliteStore(path);
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('page_size', { simple: true }), 16384);
    } finally {
      db.close();
    }
  });

  it('refuses an audit snapshot once closed, as every other read', async () => {
    const store = openSqliteStore(join(directory, 'closed.db'));
    await store.close();
    await assert.rejects(store.auditHead(), /not open/);
    await assert.rejects(
      store.auditSnapshot(async () => 'read'),
      /not open/,
    );
  });

  it('opens a file made with 4 KB pages as it is, and keeps its records', async () => {
    const path = join(directory, 'small-pages.db');
    const made = new Database(path);
    made.pragma('page_size = 4096');
    made.pragma('journal_mode = WAL');
    made.close();
    const first = openSqliteStore(path);
    await first.appendAudit(
      chainSeal([
        { time: '2026-12-08T00:00:00.000Z', actor: 'cli', action: 'tenant.create', tenant: 't', details: {} },
      ]),
    );
    await first.close();
    const again = openSqliteStore(path);
    assert.equal((await again.auditHead())?.seq, 1);
    await again.close();
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('page_size', { simple: true }), 4096);
    } finally {
      db.close();
    }
  });

  // With a deferred transaction in place of BEGIN IMMEDIATE, this fails: both threads read
  // the head, and the second to write gets SQLITE_BUSY instead of waiting its turn.
  it('never forks the chain when two threads append to one file at once', async () => {
    const path = join(directory, 'shared.db');
    await openSqliteStore(path).close();
    const count = 60;
    const appenders = ['thread-a', 'thread-b'].map((actor) => startAppender(path, actor, count));
    await Promise.all(appenders.map((appender) => appender.ready));
    await Promise.all(appenders.map((appender) => appender.go()));
    const store = openSqliteStore(path);
    const chain = await scanned(store, 50);
    await store.close();
    assert.equal(chain.length, 2 * count);
    assertChain(chain);
  });
});
