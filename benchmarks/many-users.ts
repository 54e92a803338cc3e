/**
 * many-users (issue #5, scenario 5): thousands of concurrent streaming chat completions
 * held open, the simulator called directly vs through sluice, sides alternating A B:
 * time to first token, errors by kind, streams open at the peak, and each server's peak
 * RSS and CPU, with sluice's memory per open stream.
 */
import {
  MODEL,
  PIN_OPTIONS,
  PROMPTS,
  pinningOf,
  pinningText,
  ratesOf,
  startSim,
  withGatewayRun,
  writeGatewayConfig,
  type Common,
} from './lib/gateway-rows.ts';
import { notes, ratioTable, rowsTable } from './lib/many-users-report.ts';
import {
  applyBackendSettings,
  parseBackendPairs,
  sizedBackendSettings,
  type AppliedSettings,
  type BackendSettings,
} from './lib/many-users-config.ts';
import { runUsersRow, runUsersRows, type UsersRowShape, type UsersSide } from './lib/many-users-rows.ts';
import { readMemory } from './lib/process-usage.ts';
import { environmentFacts, writeResults } from './lib/report.ts';
import { listOption, numberOption, parseEnvPairs, type OptionValues, type Scenario } from './lib/scenario.ts';
import { startSluice } from './lib/server-process.ts';
import { openFilesLimit } from './lib/stream-users.ts';

const USERS = [1000, 2000, 4000] as const;
const QUICK_USERS = [250, 1000] as const;
/** The unmeasured warm-up row per side. */
const WARM_UP_USERS = 50;

/** How users arrive and how long their streams last. */
interface Shape {
  /** Users per second: the ramp is N / rate, so it grows with N. */
  readonly arrivalRate: number;
  /** How long the first stream outlasts the ramp: every user is still streaming when the last arrives. */
  readonly holdMs: number;
  readonly decodeMs: number;
  readonly prefillMs: number;
}

/**
 * 500 arrivals a second, not all N within 1–2 s: at 1000 a second, sluice and the
 * simulator on one core fall behind accepting (≈ 500 connections waited in sluice's accept
 * queue in a trial run), and the row measures a thundering herd, not holding. A token every
 * 500 ms per stream (4000 streams: 8000 events a second) keeps it a test of holding
 * connections, not of relaying tokens as fast as one core can.
 */
const FULL_SHAPE: Shape = { arrivalRate: 500, holdMs: 4000, decodeMs: 500, prefillMs: 20 };
const QUICK_SHAPE: Shape = { arrivalRate: 500, holdMs: 2000, decodeMs: 500, prefillMs: 20 };
/** Descriptors per stream: sluice holds two (client and upstream), the generator and the simulator one each. */
const FDS_PER_STREAM = 2;
const FD_HEADROOM = 256;

export const manyUsersScenario: Scenario = {
  name: 'many-users',
  summary: `${USERS.join(', ')} users each holding one streaming chat completion: a simulator called directly vs through sluice`,
  options: {
    users: { type: 'string' },
    'users-rounds': { type: 'string' },
    'users-arrival-rate': { type: 'string' },
    'users-hold-s': { type: 'string' },
    'users-decode-ms': { type: 'string' },
    'users-backend': { type: 'string', multiple: true },
    'users-sluice-env': { type: 'string', multiple: true },
    ...PIN_OPTIONS,
  },
  run: async ({ quick, values }) => runManyUsers(settingsOf(quick, values)),
};

interface Settings {
  readonly quick: boolean;
  readonly userCounts: readonly number[];
  readonly rounds: number;
  readonly shape: Shape;
  /** sluice's backend settings beyond writeGatewayConfig's: sized for the largest N, then `--users-backend`. */
  readonly backendSized: BackendSettings;
  readonly backendGiven: BackendSettings;
  readonly sluiceEnv: Readonly<Record<string, string>>;
  readonly pinning: Common['pinning'];
  readonly simArgs: readonly string[];
}

function settingsOf(quick: boolean, values: OptionValues): Settings {
  const base = quick ? QUICK_SHAPE : FULL_SHAPE;
  const userCounts = ratesOf(values, 'users', quick ? QUICK_USERS : USERS).map(Math.round);
  const shape: Shape = {
    ...base,
    arrivalRate: numberOption(values, 'users-arrival-rate', base.arrivalRate),
    holdMs: numberOption(values, 'users-hold-s', base.holdMs / 1000) * 1000,
    decodeMs: numberOption(values, 'users-decode-ms', base.decodeMs),
  };
  const most = Math.max(...userCounts);
  return {
    quick,
    userCounts,
    rounds: Math.round(numberOption(values, 'users-rounds', 2)),
    shape,
    backendSized: sizedBackendSettings(most),
    backendGiven: parseBackendPairs(listOption(values, 'users-backend') ?? []),
    sluiceEnv: parseEnvPairs(listOption(values, 'users-sluice-env') ?? []),
    pinning: values['no-pin'] === true ? undefined : pinningOf(values),
    simArgs: simArgsOf(shape, Math.max(most, WARM_UP_USERS)),
  };
}

/**
 * Room for every sequence at once (no queue in the simulator), and no contention, so a
 * stream takes as long with 4000 others as alone: what differs between rows and sides is
 * the serving path (connections, event loops, the gateway), not a modelled GPU.
 */
function simArgsOf(shape: Shape, most: number): string[] {
  return [
    '--seed',
    '1',
    '--max-num-seqs',
    String(most),
    '--max-queue',
    String(most),
    '--prefill-ms',
    String(shape.prefillMs),
    '--prefill-per-token-ms',
    '0',
    '--decode-ms',
    String(shape.decodeMs),
    '--prefill-contention',
    '0',
    '--decode-contention',
    '0',
  ];
}

/** User i of N arrives at i / rate; streams last the ramp plus the hold, so all N are open at the end of the ramp. */
function rowShape(shape: Shape, users: number): UsersRowShape & { readonly maxTokens: number } {
  const rampMs = (users / shape.arrivalRate) * 1000;
  const maxTokens = 1 + Math.ceil((rampMs + shape.holdMs - shape.prefillMs) / shape.decodeMs);
  const streamMs = shape.prefillMs + (maxTokens - 1) * shape.decodeMs;
  const bodies = PROMPTS.map((prompt) =>
    JSON.stringify({
      model: MODEL,
      messages: [{ role: 'user', content: prompt }],
      max_tokens: maxTokens,
      stream: true,
    }),
  );
  // Generous: a stream that takes three times its length has failed for any user.
  return {
    rampMs,
    streamMs,
    maxTokens,
    streamTimeoutMs: streamMs * 3 + 10_000,
    body: (index) => bodies[index % bodies.length] ?? '',
  };
}

async function runManyUsers(settings: Settings): Promise<void> {
  const started = new Date().toISOString();
  const shapeOf = (users: number) => rowShape(settings.shape, users);
  const common: Common = {
    quick: settings.quick,
    rowMs: 0,
    rounds: settings.rounds,
    seed: 1,
    pinning: settings.pinning,
  };
  await withGatewayRun(common, async (run) => {
    const sim = run.track(await startSim(common, 'sim', settings.simArgs));
    const config = await writeGatewayConfig(run.dir, 'many-users', [sim], 'p2c_peak_ewma');
    const backend = await applyBackendSettings(config, settings.backendSized, settings.backendGiven);
    // startSluice rather than gateway-rows' startGateway: this side takes SLUICE_* overrides (--users-sluice-env).
    const cpus = common.pinning?.server;
    const sluice = run.track(
      await startSluice({
        label: 'sluice',
        modelsDir: run.dir,
        config,
        env: settings.sluiceEnv,
        ...(cpus === undefined ? {} : { cpus }),
      }),
    );
    const idleRssBytes = { sim: readMemory(sim.pid)?.rssBytes, sluice: readMemory(sluice.pid)?.rssBytes };
    const sides: UsersSide[] = [
      { key: 'direct', origin: sim.origin, servers: [sim], idleRssBytes, gateway: undefined },
      { key: 'sluice', origin: sluice.origin, servers: [sim, sluice], idleRssBytes, gateway: sluice },
    ];
    printPreamble(settings, sim.pid, sluice.pid, backend);
    // Not measured: JIT on both sides of the wire, the first upstream connections.
    for (const side of sides) await runUsersRow(side, sim, WARM_UP_USERS, 0, shapeOf(WARM_UP_USERS));
    const records = await runUsersRows({
      sides,
      sim,
      userCounts: settings.userCounts,
      rounds: settings.rounds,
      shapeOf,
    });
    console.log(`\n### Every row, direct and sluice alternating\n\n${rowsTable(records)}\n`);
    console.log(`### sluice ÷ direct, round by round\n\n${ratioTable(records)}\n`);
    const found = notes(records);
    console.log(
      found.length === 0
        ? '### Notes\n\nNo failures; every row had its streams open at once; the generator kept up.\n'
        : `### Notes\n\n${found.map((line) => `- ${line}`).join('\n')}\n`,
    );
    const path = await writeResults('many-users', {
      scenario: 'many-users',
      started,
      environment: environmentFacts(),
      settings: {
        ...settings,
        rows: settings.userCounts.map((users) => ({ users, ...shapeOf(users), body: shapeOf(users).body(0) })),
        openFilesLimit: openFilesLimit(),
      },
      records,
    });
    console.log(`results: ${path}`);
  });
}

function printPreamble(settings: Settings, simPid: number, sluicePid: number, backend: AppliedSettings): void {
  const { shape } = settings;
  const env = Object.entries(settings.sluiceEnv)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  const rows = settings.userCounts
    .map((users) => rowShape(shape, users))
    .map(
      (row, index) =>
        `${settings.userCounts[index]}: ${(row.rampMs / 1000).toFixed(1)} s ramp, max_tokens ${row.maxTokens}, ≈ ${(row.streamMs / 1000).toFixed(1)} s streams`,
    );
  console.log(`## many-users${settings.quick ? ' (quick)' : ''}\n`);
  console.log(
    `- users: each one streaming \`POST /v1/chat/completions\` (${MODEL}) on a connection of its own, ${shape.arrivalRate} arriving a second, evenly spaced; every stream lasts the ramp plus ${shape.holdMs / 1000} s, so all are open when the last arrives; ${settings.rounds} rounds`,
  );
  console.log(`- rows: ${rows.join('; ')}`);
  console.log(`- simulator: pid ${simPid}, sluice sim ${settings.simArgs.join(' ')}`);
  console.log(
    `- sluice: pid ${sluicePid}, the simulator as the only replica of one openai backend with ${JSON.stringify(backend.applied)}; ${env}; everything else default`,
  );
  if (backend.unknown.length > 0)
    console.log(`- this sluice has no backend setting ${backend.unknown.join(', ')}: not set`);
  console.log(pinningText(settings.pinning));
  const limit = openFilesLimit();
  const needed = Math.max(...settings.userCounts) * FDS_PER_STREAM + FD_HEADROOM;
  console.log(`- open files limit: ${limit ?? 'unknown'} per process (sluice needs about ${needed} at the largest N)`);
  if (limit !== undefined && limit < needed)
    console.log(
      `- WARNING: the open files limit bounds N: expect EMFILE failures above ${Math.floor((limit - FD_HEADROOM) / FDS_PER_STREAM)} users`,
    );
  console.log('');
}
