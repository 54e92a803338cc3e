/**
 * compliance: what issue 14's stages cost the request path. Five sluice servers, each a
 * process of its own pinned to the server CPUs, serve one local model over KServe v2 (one
 * golden text per request, a closed loop with enough users to saturate), each with its
 * own state directory (SQLite) and logging at info, so the per-request line is written:
 *
 *   baseline  auth off, audit.inferences none, logging.redact false
 *   audit     audit.inferences all              (issue 14: "costs at most 5% of throughput")
 *   redact    logging.redact true
 *   auth      auth.enabled, one key declared by hash (scope infer), sent on every request
 *   all       the three together
 *   quality-off  the baseline with the data-quality stage off (issue 15; only with --compliance-variants)
 *   ledger-off   the baseline with the cost ledger off (issue 16; only with --compliance-variants)
 *
 * Every round runs each variant once, the order rotated a place a round; every server is
 * quiet before a row. With --compliance-together a round's rows run at the same time instead,
 * the servers sharing their CPU: the machine's drift between rows (which moves a single row by
 * ±15% here) then falls on every variant alike, and each variant's CPU per request is read
 * under the same conditions as the baseline's. Each figure is compared with the baseline of the same round. After
 * the rounds the servers stop (flushing their audit buffers), and the audit logs of
 * `audit` and `all` are read back from their SQLite files: one `inference` record per 2xx
 * answered, and a chain that verifies.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyStoredChain } from '../src/audit/verify.ts';
import { openSqliteStore } from '../src/state/sqlite-store.ts';
import { generateApiKey, type NewApiKey } from '../src/tenancy/api-keys.ts';
import { BENCH_MODELS_DIR, ensureBenchModels, goldenTexts } from './lib/bench-models.ts';
import {
  auditChecksTable,
  auditCheckPassed,
  auditTarget,
  BASELINE,
  DEFAULT_VARIANTS,
  roundsTable,
  summarise,
  summaryTable,
  variantConfig,
  VARIANT_SETTINGS,
  VARIANTS,
  type AuditCheck,
  type ComplianceRecord,
  type VariantKey,
} from './lib/compliance-report.ts';
import { runRounds, LOG_LEVELS, type Settings, type VariantServer } from './lib/compliance-rows.ts';
import { pinThisProcess } from './lib/cpu-pinning.ts';
import { PIN_OPTIONS, pinningOf } from './lib/gateway-rows.ts';
import { LoadClient } from './lib/http-target.ts';
import { v2TextInferRequests } from './lib/infer-requests.ts';
import { environmentFacts, writeResults } from './lib/report.ts';
import {
  listOption,
  numberOption,
  parseEnvPairs,
  stringOption,
  type Scenario,
  type ScenarioContext,
} from './lib/scenario.ts';
import { freePort, startNodeServer } from './lib/server-process.ts';

const DEFAULT_MODEL = 'triage-small';
const REQUEST_TIMEOUT_MS = 30_000;
const TENANT = 'bench';
const OPEN_LOOP_CONNECTIONS = 512;

export const complianceScenario: Scenario = {
  name: 'compliance',
  summary: `${DEFAULT_MODEL} over KServe v2 on five sluice servers side by side: baseline, audit all, redact, auth, all three`,
  options: {
    'compliance-rounds': { type: 'string' },
    'compliance-duration-s': { type: 'string' },
    'compliance-users': { type: 'string' },
    'compliance-model': { type: 'string' },
    'compliance-log-level': { type: 'string' },
    'compliance-cpu-prof': { type: 'string' },
    'compliance-env': { type: 'string', multiple: true },
    'compliance-variants': { type: 'string' },
    'compliance-open-load': { type: 'string' },
    'compliance-together': { type: 'boolean' },
    ...PIN_OPTIONS,
  },
  run: async (context) => runCompliance(settingsOf(context)),
};

function settingsOf({ quick, values }: ScenarioContext): Settings {
  const rounds = numberOption(values, 'compliance-rounds', quick ? 3 : 5);
  if (!Number.isInteger(rounds)) throw new Error(`--compliance-rounds must be a whole number, got ${rounds}`);
  const logLevel = stringOption(values, 'compliance-log-level') ?? 'info';
  if (!LOG_LEVELS.some((level) => level === logLevel))
    throw new Error(`--compliance-log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  return {
    quick,
    rowMs: numberOption(values, 'compliance-duration-s', quick ? 2 : 10) * 1000,
    warmupMs: quick ? 1_500 : 3_000,
    rounds,
    users: numberOption(values, 'compliance-users', 64),
    model: stringOption(values, 'compliance-model') ?? DEFAULT_MODEL,
    logLevel: logLevel as Settings['logLevel'],
    pinning: values['no-pin'] === true ? undefined : pinningOf(values),
    profileDir: stringOption(values, 'compliance-cpu-prof'),
    env: parseEnvPairs(listOption(values, 'compliance-env') ?? []),
    variants: variantsOf(stringOption(values, 'compliance-variants')),
    openLoad: openLoadOf(stringOption(values, 'compliance-open-load')),
    together: values['compliance-together'] === true,
  };
}

function openLoadOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const share = Number(text);
  if (!(share > 0 && share <= 1))
    throw new Error(`--compliance-open-load must be a share of capacity in (0, 1], got "${text}"`);
  return share;
}

function variantsOf(text: string | undefined): VariantKey[] {
  if (text === undefined) return [...DEFAULT_VARIANTS];
  const named = text.split(',').map((name) => name.trim());
  const unknown = named.filter((name) => !VARIANTS.some((variant) => variant === name));
  if (unknown.length > 0)
    throw new Error(`--compliance-variants: no variant ${unknown.join(', ')} (${VARIANTS.join(', ')})`);
  return VARIANTS.filter((variant) => variant === BASELINE || named.includes(variant));
}

async function runCompliance(settings: Settings): Promise<void> {
  const started = new Date().toISOString();
  const modelsDir = await ensureBenchModels(BENCH_MODELS_DIR);
  const texts = await goldenTexts(modelsDir, settings.model);
  const scratch = await mkdtemp(join(tmpdir(), 'sluice-bench-compliance-'));
  const repository = join(scratch, 'models');
  await cp(join(modelsDir, settings.model), join(repository, settings.model), { recursive: true });
  if (settings.pinning !== undefined) pinThisProcess(settings.pinning.client);
  const keys = { infer: generateApiKey(), read: generateApiKey() };
  const servers: VariantServer[] = [];
  let records: ComplianceRecord[] = [];
  const exitCodes = new Map<VariantKey, number | null>();
  try {
    // Started together (they wait for one another's dist/ build), stopped below even when one fails to start.
    const starts = await Promise.allSettled(
      settings.variants.map((variant) => startVariant(settings, variant, { scratch, repository, texts, keys })),
    );
    for (const result of starts) if (result.status === 'fulfilled') servers.push(result.value);
    const failed = starts.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    announce(settings, servers);
    records = await runRounds(settings, servers);
  } finally {
    await Promise.all(servers.map((side) => side.client.close()));
    for (const side of servers) exitCodes.set(side.key, await side.server.stop(30_000));
  }
  try {
    const checks: AuditCheck[] = [];
    for (const side of servers.filter((each) => each.key === 'audit' || each.key === 'all'))
      checks.push(await checkAuditLog(side, exitCodes.get(side.key) ?? null));
    const summaries = summarise(records);
    printResults(settings, records, summaries, checks);
    const path = await writeResults('compliance', {
      scenario: 'compliance',
      started,
      environment: environmentFacts(),
      settings,
      variants: VARIANT_SETTINGS,
      records,
      summaries,
      target: auditTarget(summaries),
      auditChecks: checks,
      answered2xx: Object.fromEntries(servers.map((side) => [side.key, side.answered2xx])),
    });
    console.log(`results: ${path}`);
    if (settings.profileDir !== undefined) console.log(`CPU profiles: ${settings.profileDir}/<variant>/`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

interface Shared {
  readonly scratch: string;
  readonly repository: string;
  readonly texts: readonly string[];
  /** One key to infer with, one to read the model's stats (the auth variants declare both). */
  readonly keys: { readonly infer: NewApiKey; readonly read: NewApiKey };
}

async function startVariant(settings: Settings, variant: VariantKey, shared: Shared): Promise<VariantServer> {
  const stateDir = join(shared.scratch, `${variant}-state`);
  const configPath = join(shared.scratch, `${variant}.yaml`);
  const { infer, read } = shared.keys;
  const config = variantConfig(variant, stateDir, { tenant: TENANT, infer, read });
  // JSON is YAML: nothing to escape by hand.
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const profile = settings.profileDir === undefined ? undefined : join(settings.profileDir, variant);
  if (profile !== undefined) await mkdir(profile, { recursive: true });
  const port = await freePort();
  const server = await startNodeServer({
    label: `sluice (${variant})`,
    entry: [...(profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`]), 'bin/sluice.js'],
    args: ['serve', '--port', String(port), '--models', shared.repository, '--config', configPath],
    port,
    readyPath: '/v2/health/ready',
    env: {
      SLUICE_SERVER__HOST: '127.0.0.1',
      SLUICE_SERVER__GRPC_PORT: '0',
      SLUICE_LOGGING__LEVEL: settings.logLevel,
      ...settings.env,
    },
    ...(settings.pinning === undefined ? {} : { cpus: settings.pinning.server }),
  });
  const authOn = variant === 'auth' || variant === 'all';
  const request = v2TextInferRequests(
    settings.model,
    shared.texts,
    authOn ? { authorization: `Bearer ${infer.key}` } : undefined,
  );
  const statsHeaders: Record<string, string> = authOn ? { authorization: `Bearer ${read.key}` } : {};
  // Open loop: room for the arrivals a slow moment leaves outstanding, so the client drops none.
  const connections = settings.openLoad === undefined ? settings.users : OPEN_LOOP_CONNECTIONS;
  const client = new LoadClient(server.origin, { connections, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  return { key: variant, server, client, request, statsHeaders, stateDir, answered2xx: 0 };
}

function announce(settings: Settings, servers: readonly VariantServer[]): void {
  const machine = environmentFacts();
  console.log(`## compliance${settings.quick ? ' (quick)' : ''}\n`);
  for (const side of servers) console.log(`- ${side.key}: pid ${side.server.pid}, ${VARIANT_SETTINGS[side.key]}`);
  console.log(
    `- every server: ${settings.model} alone in its repository, KServe v2 JSON, one golden text per request, logging at ${settings.logLevel} (to a pipe this generator reads), its own SQLite state directory, gRPC off; ${envText(settings.env)}`,
  );
  console.log(
    `- load: ${settings.openLoad === undefined ? `closed loop of ${settings.users} users` : `open-loop Poisson arrivals at ${settings.openLoad} of the baseline's closed-loop rate (${settings.users} users), the same schedule for every variant of a round`} per row; ${settings.rounds} rounds of ${settings.rowMs / 1000} s rows, ${settings.together ? "every variant's row at the same time, the servers sharing their CPU" : "the variants' order rotated each round"}; ${settings.warmupMs / 1000} s warm-up per server first`,
  );
  console.log(
    `- machine: ${machine['cpus']} CPUs (${machine['cpuModel']}), load average ${machine['loadAverage1m']} at the start; ${
      settings.pinning === undefined
        ? 'CPUs not pinned'
        : `servers on CPU ${settings.pinning.server}, generator on ${settings.pinning.client} (taskset)`
    }${settings.profileDir === undefined ? '' : '; every server under --cpu-prof'}\n`,
  );
}

function envText(env: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(env).map(([key, value]) => `${key}=${value}`);
  return pairs.length === 0 ? 'otherwise the default config' : `and ${pairs.join(' ')}`;
}

/** Reads the stopped server's audit log from its SQLite file: records by action and status, and the chain's verdict. */
async function checkAuditLog(side: VariantServer, exitCode: number | null): Promise<AuditCheck> {
  const store = openSqliteStore(join(side.stateDir, 'sluice.db'));
  try {
    let [records2xx, recordsOther, otherActions] = [0, 0, 0];
    await store.auditSnapshot(async ({ scan }) => {
      for await (const record of scan(5_000)) {
        const status = record.details['status'];
        if (record.action !== 'inference') otherActions += 1;
        else if (typeof status === 'number' && status >= 200 && status < 300) records2xx += 1;
        else recordsOther += 1;
      }
    });
    const { verdict } = await verifyStoredChain(store, undefined, {}, 5_000);
    const chain = verdict.ok
      ? `ok (${verdict.records} records)`
      : `BROKEN at seq ${verdict.seq} (${verdict.fault}): ${verdict.reason}`;
    return {
      variant: side.key,
      answered2xx: side.answered2xx,
      records2xx,
      recordsOther,
      otherActions,
      chain,
      exitCode,
    };
  } finally {
    await store.close();
  }
}

function printResults(
  settings: Settings,
  records: readonly ComplianceRecord[],
  summaries: ReturnType<typeof summarise>,
  checks: readonly AuditCheck[],
): void {
  const target = auditTarget(summaries);
  console.log(
    `### Per variant: median over ${settings.rounds} rounds (min to max); ratios within each round\n\n${summaryTable(summaries)}\n`,
  );
  console.log(
    'req/s: 2xx answers a second; CPU-s / 1000 req: CPU-seconds of the server process (all its threads) from the start of a row until it was quiet after it, per 1000 2xx; p50/p99: 2xx latency of the closed loop, queueing at that concurrency included\n',
  );
  console.log(
    `### Issue 14's target${settings.quick ? ' (quick run: not for the record)' : ''}\n\nauditing every inference costs at most 5% of throughput: audit ÷ baseline ${target.measured}, a cost of ${target.cost} at the median: **${target.verdict}**\n`,
  );
  console.log(`### Rounds\n\n${roundsTable(records)}\n`);
  console.log(
    `### The audit logs, read back from SQLite after the servers exited\n\n${auditChecksTable(checks)}\n\n${
      checks.every(auditCheckPassed)
        ? 'every 2xx answer has its `inference` record, and each chain verifies'
        : '**a check FAILED**: see the table'
    }\n`,
  );
}
