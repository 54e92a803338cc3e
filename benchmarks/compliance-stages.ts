/**
 * What each compliance stage costs one request in-process, without HTTP: CPU microseconds
 * (user + system, this process) per call, each measured over many calls, three times.
 *
 *   log line          the per-request info line through pino to a sink that drops it, logging.redact off and on
 *   authenticate      TenantDirectory.identify of a bearer key (parse, salted SHA-256, constant-time compare)
 *   audit record      what the edge does per audited inference: the entry, buffered (record())
 *   audit write       the batches of those entries: sealing (hash chain) and the store's append, one transaction per 256
 *   segment append    sealed batches of 256 appended to a SQLite store as it writes them: a segment row and its keys each
 *   row insert        the layout before segments, for comparison: a row per record in the audit table and its four
 *                     indexes, 32 rows a statement; then a row a statement, without the actor and action indexes,
 *                     without any secondary index, and with wal_autocheckpoint at 10000 pages
 *
 *   taskset -c 0 node --import tsx benchmarks/compliance-stages.ts
 *
 * The HTTP benchmark (`npm run bench -- compliance`) measures what they cost a server; this
 * says which part is which, with no garbage collection of a server's heap and no other work.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog } from '../src/audit/audit-log.ts';
import { sealEntries, spelled } from '../src/audit/chain.ts';
import type { Config } from '../src/config/schema.ts';
import { inferenceAuditor, type FinishedInference } from '../src/observe/inference-audit.ts';
import { createLogger } from '../src/observe/log.ts';
import type { RequestContext } from '../src/pipeline/context.ts';
import { MIGRATIONS } from '../src/state/migrations.ts';
import { openSqliteStore } from '../src/state/sqlite-store.ts';
import type { AuditEntry, ChainHead, SealedRecord } from '../src/state/store.ts';
import { generateApiKey } from '../src/tenancy/api-keys.ts';
import { ANONYMOUS, TenantDirectory } from '../src/tenancy/tenant-directory.ts';

const CALLS = 200_000;
const BATCH = 256;
const REPEATS = 3;

function cpuMicroseconds(): number {
  const used = process.cpuUsage();
  return used.user + used.system;
}

/** CPU µs per call of `work`, over `calls` calls. */
function perCall(calls: number, work: () => void): number {
  const started = cpuMicroseconds();
  for (let index = 0; index < calls; index += 1) work();
  return (cpuMicroseconds() - started) / calls;
}

function logLine(redact: boolean): number {
  const config = { logging: { level: 'info', redact } } as unknown as Config;
  const log = createLogger(config, { write: () => true }).child({ reqId: 'req-1a2b' });
  const line = { method: 'POST', route: '/v2/models/:model/infer', status: 200, ms: 12.34 };
  return perCall(CALLS, () => log.info(line, 'request'));
}

function authenticate(): number {
  const key = generateApiKey();
  const now = new Date().toISOString();
  const directory = new TenantDirectory(true);
  directory.load({
    tenants: [{ name: 'bench', priority: null, weight: 1, createdAt: now }],
    keys: [
      {
        id: key.id,
        tenant: 'bench',
        scopes: ['infer'],
        models: null,
        hash: key.hash,
        createdAt: now,
        expiresAt: null,
        revokedAt: null,
      },
    ],
  });
  // A headers object per request, as each request has: the directory remembers an answer per object.
  return perCall(CALLS / 4, () => directory.identify({ authorization: `Bearer ${key.key}` }));
}

/** An answered triage-small request, as the inference plugin hands it to the auditor. */
const FINISHED: FinishedInference = {
  protocol: 'kserve-v2',
  status: 200,
  seconds: 0.0123456,
  caller: ANONYMOUS,
  context: {
    target: { name: 'triage-small', version: '1' },
    answer: {
      kind: 'rows',
      rows: [{}],
      provenance: { model: 'triage-small', version: '1', route: 'local', engineMs: 1 },
    },
  } as unknown as RequestContext,
};

async function audit(): Promise<{ record: number; write: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-compliance-stages-'));
  const store = openSqliteStore(join(dir, 'sluice.db'));
  // No timer: every batch is written by the flush below.
  const log = createAuditLog(store, { flushIntervalMs: 3_600_000 });
  // As the server wires it: inference entries hold nothing a client wrote and skip the redactor.
  const record = inferenceAuditor('all', log);
  if (record === undefined) throw new Error('audit.inferences "all" gave no auditor');
  let [recording, writing] = [0, 0];
  const batches = CALLS / BATCH;
  try {
    for (let batch = 0; batch < batches; batch += 1) {
      recording += perCall(BATCH, () => record(FINISHED)) * BATCH;
      const started = cpuMicroseconds();
      await log.flush();
      writing += cpuMicroseconds() - started;
    }
  } finally {
    await log.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { record: recording / (batches * BATCH), write: writing / (batches * BATCH) };
}

/** Sealed batches of an inference record, as the writer hands them to the store. */
function sealedBatches(): SealedRecord[][] {
  const entry: AuditEntry = {
    time: new Date().toISOString(),
    actor: 'anonymous',
    action: 'inference',
    tenant: 'default',
    details: {
      protocol: 'kserve-v2',
      model: 'triage-small',
      version: '1',
      route: 'local',
      status: 200,
      latency_ms: 12.35,
      items: 1,
    },
  };
  const batches: SealedRecord[][] = [];
  let head: ChainHead | undefined;
  for (let batch = 0; batch < CALLS / BATCH; batch += 1) {
    const records = [...sealEntries(Array.from({ length: BATCH }, () => spelled(entry)))(head)];
    head = records.at(-1);
    batches.push(records);
  }
  return batches;
}

/** CPU µs per record of appending `batches` to a fresh SQLite store: one segment a batch. */
async function segmentAppend(batches: readonly SealedRecord[][]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-compliance-segments-'));
  const store = openSqliteStore(join(dir, 'sluice.db'));
  try {
    const started = cpuMicroseconds();
    for (const records of batches) await store.appendAudit(() => records);
    return (cpuMicroseconds() - started) / (batches.length * BATCH);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The audit table before segments (schema step 1): a row per record, these columns in this order. */
const ROW_COLUMNS = 'seq, time, actor, action, tenant, details, prev_hash, hash';

function rowParams(record: SealedRecord): Array<string | number | null> {
  const { seq, time, actor, action, tenant, detailsJson, prevHash, hash } = record;
  return [seq, time, actor, action, tenant, detailsJson, prevHash, hash];
}

/** How the audit table is laid out for one insert measurement. */
interface InsertLayout {
  readonly rowsPerStatement: number;
  /** Secondary indexes left out, by column. */
  readonly without?: readonly string[];
  readonly pragmas?: readonly string[];
}

/** CPU µs per record of inserting `batches` into a fresh audit table (the layout before segments) laid out as `layout` says. */
function insert(batches: readonly SealedRecord[][], layout: InsertLayout): number {
  const { rowsPerStatement, without = [], pragmas = [] } = layout;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-compliance-insert-'));
  const db = new Database(join(dir, 'audit.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    for (const pragma of pragmas) db.pragma(pragma);
    const schema = MIGRATIONS[0]?.sqlite ?? [];
    const skipped = without.map((column) => `CREATE INDEX audit_records_${column} `);
    for (const statement of schema) if (!skipped.some((prefix) => statement.startsWith(prefix))) db.exec(statement);
    const values = (rows: number) => Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
    const many = db.prepare(`INSERT INTO audit_records (${ROW_COLUMNS}) VALUES ${values(rowsPerStatement)}`);
    const one = db.prepare(`INSERT INTO audit_records (${ROW_COLUMNS}) VALUES ${values(1)}`);
    const head = db.prepare('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1');
    const started = cpuMicroseconds();
    for (const records of batches) {
      db.transaction(() => {
        head.get();
        let index = 0;
        for (; index + rowsPerStatement <= records.length; index += rowsPerStatement)
          many.run(records.slice(index, index + rowsPerStatement).flatMap(rowParams));
        for (; index < records.length; index += 1) one.run(...rowParams(records[index] as SealedRecord));
      }).immediate();
    }
    return (cpuMicroseconds() - started) / (batches.length * BATCH);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const batches = sealedBatches();
for (let repeat = 1; repeat <= REPEATS; repeat += 1) {
  const [plain, redacted] = [logLine(false), logLine(true)];
  const auth = authenticate();
  const audited = await audit();
  const segments = await segmentAppend(batches);
  console.log(
    `run ${repeat}: log line ${plain.toFixed(2)} µs, redacted ${redacted.toFixed(2)} µs; ` +
      `authenticate ${auth.toFixed(2)} µs; audit record ${audited.record.toFixed(2)} µs + write ${audited.write.toFixed(2)} µs; ` +
      `segment append ${segments.toFixed(2)} µs a record; ` +
      `before segments: row insert ${insert(batches, { rowsPerStatement: 32 }).toFixed(2)} µs a record, ` +
      `a row a statement ${insert(batches, { rowsPerStatement: 1 }).toFixed(2)} µs, ` +
      `without the actor and action indexes ${insert(batches, { rowsPerStatement: 32, without: ['actor', 'action'] }).toFixed(2)} µs, ` +
      `without secondary indexes ${insert(batches, { rowsPerStatement: 32, without: ['time', 'actor', 'action', 'tenant'] }).toFixed(2)} µs, ` +
      `wal_autocheckpoint 10000 ${insert(batches, { rowsPerStatement: 32, pragmas: ['wal_autocheckpoint = 10000'] }).toFixed(2)} µs`,
  );
}
