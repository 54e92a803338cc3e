/**
 * pipeline-slots: what the pipeline's empty platform stage slots (quality, cache, observe)
 * cost a request, bounded from above. One process, one InferencePipeline class, two
 * instances over a target that answers at once, so nothing but the pipeline is timed:
 *
 *   empty:  EMPTY_SLOTS, what every server runs (each slot costs a length check)
 *   no-op:  a stage that does nothing in each of the three slots (each costs an await)
 *
 * Each round runs a batch of back-to-back requests on each side, in turns (A B, then B A,
 * so neither always runs second); the difference is taken within each round.
 */
import { performance } from 'node:perf_hooks';
import type { RequestContext } from '../src/pipeline/context.ts';
import { EMPTY_SLOTS, InferencePipeline, type PipelineSlots, type PipelineStage } from '../src/pipeline/pipeline.ts';
import { NO_REQUESTED_LIMITS, type InferenceRequest } from '../src/pipeline/request.ts';
import { TargetDirectory } from '../src/pipeline/target-directory.ts';
import type { Answer, PreparedCall, Target } from '../src/pipeline/target.ts';
import { ANONYMOUS, DEFAULT_TENANT } from '../src/tenancy/tenant-directory.ts';
import { pinThisProcess } from './lib/cpu-pinning.ts';
import { PIN_OPTIONS, pinningOf } from './lib/gateway-rows.ts';
import { environmentFacts, writeResults } from './lib/report.ts';
import { numberOption, type Scenario, type ScenarioContext } from './lib/scenario.ts';
import { EMPTY, NO_OP, slotsSummary, slotsTable, type SlotsRecord } from './lib/slots-report.ts';

const MODEL = 'bench';
const ANSWER: Answer = {
  kind: 'document',
  provenance: { model: MODEL, version: '1', route: 'direct', engineMs: 0 },
  status: 200,
  document: {},
};
const PREPARED: PreparedCall = { run: async () => ANSWER };

/** Answers at once: prepare and run resolve without doing anything. */
const TARGET: Target = {
  name: MODEL,
  version: '1',
  owner: 'sluice',
  scheduling: { priority_levels: 3, default_priority_level: 2, default_timeout_ms: 30_000 },
  ready: true,
  state: 'ready',
  description: undefined,
  prepare: async () => PREPARED,
  metadata: async () => ANSWER,
  probeReady: async () => ({ ready: true, version: '1' }),
  statistics: () => undefined,
};

const REQUEST: InferenceRequest = {
  operation: 'predict',
  model: MODEL,
  version: undefined,
  limits: NO_REQUESTED_LIMITS,
  stream: false,
  family: 'open-inference',
  document: {},
  items: undefined,
};
const LOG = { info: () => undefined, warn: () => undefined };
const SIGNAL = new AbortController().signal;

const NOOP_STAGE: PipelineStage = { name: 'no-op', run: () => undefined };
const NOOP_SLOTS: PipelineSlots = { quality: [NOOP_STAGE], cache: [NOOP_STAGE], observe: [NOOP_STAGE] };

interface Settings {
  readonly rounds: number;
  /** Requests per side per round. */
  readonly requests: number;
  readonly cpus: string | undefined;
}

export const pipelineSlotsScenario: Scenario = {
  name: 'pipeline-slots',
  summary: 'in-process: the request pipeline with its platform stage slots empty vs a no-op stage in each (ns/request)',
  options: {
    'slots-rounds': { type: 'string' },
    'slots-requests': { type: 'string' },
    ...PIN_OPTIONS,
  },
  run: async (context) => runPipelineSlots(settingsOf(context)),
};

function settingsOf({ quick, values }: ScenarioContext): Settings {
  return {
    rounds: numberOption(values, 'slots-rounds', quick ? 10 : 30),
    requests: numberOption(values, 'slots-requests', quick ? 50_000 : 200_000),
    // The pipeline is the server's work: it runs where the servers of the other scenarios do.
    cpus: values['no-pin'] === true ? undefined : pinningOf(values)?.server,
  };
}

function pipelineWith(slots: PipelineSlots): InferencePipeline {
  const directory = new TargetDirectory([
    { names: () => [MODEL], versions: (name) => (name === MODEL ? [TARGET] : undefined) },
  ]);
  return new InferencePipeline(directory, { loadControl: true, draining: () => false, slots });
}

/** A fresh context per request, as the HTTP edge builds one. */
function contextOf(): RequestContext {
  return {
    requestId: 'bench',
    protocol: 'kserve-v2',
    receivedAt: performance.now(),
    request: REQUEST,
    tenant: DEFAULT_TENANT,
    caller: ANONYMOUS,
    signal: SIGNAL,
    log: LOG,
  };
}

/** Nanoseconds per request over `requests` requests, one after another. */
async function timeRequests(pipeline: InferencePipeline, requests: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let index = 0; index < requests; index += 1) await pipeline.run(contextOf());
  return Number(process.hrtime.bigint() - started) / requests;
}

async function runPipelineSlots(settings: Settings): Promise<void> {
  if (settings.cpus !== undefined) pinThisProcess(settings.cpus);
  const started = new Date().toISOString();
  const sides = [
    { key: EMPTY, pipeline: pipelineWith(EMPTY_SLOTS) },
    { key: NO_OP, pipeline: pipelineWith(NOOP_SLOTS) },
  ];
  // Not measured: both sides' code optimised before the first round.
  for (const side of sides) await timeRequests(side.pipeline, settings.requests);
  const records: SlotsRecord[] = [];
  for (let round = 1; round <= settings.rounds; round += 1) {
    for (const side of round % 2 === 1 ? sides : [...sides].reverse())
      records.push({ round, side: side.key, nsPerRequest: await timeRequests(side.pipeline, settings.requests) });
  }
  const summary = slotsSummary(records);
  const environment = environmentFacts();
  console.log(`## pipeline-slots\n`);
  console.log(
    `- ${settings.rounds} rounds of ${settings.requests} requests per side, sides in turns; one process${settings.cpus === undefined ? '' : ` on CPU ${settings.cpus}`}; load average ${environment['loadAverage1m']} at the end\n`,
  );
  console.log(`${slotsTable(summary)}\n`);
  const path = await writeResults('pipeline-slots', {
    scenario: 'pipeline-slots',
    started,
    environment,
    settings,
    records,
    summary,
  });
  console.log(`results: ${path}`);
}
