/**
 * `sluice sim`: a simulated OpenAI-compatible LLM server for tests, demos and
 * benchmarks. Flags set the latency model and the initial faults; POST /sim/faults
 * changes the faults while it runs.
 */
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_LATENCY } from '../offline/sim/latency-model.ts';
import { SIMULATOR_DEFAULTS, startSimulator } from '../offline/sim/sim-server.ts';

export interface SimCommandOptions {
  host: string;
  port: number;
  seed: number;
  maxNumSeqs: number;
  maxQueue: number;
  prefillMs: number;
  prefillPerTokenMs: number;
  decodeMs: number;
  prefillContention: number;
  decodeContention: number;
  errorRate: number;
  slowFactor: number;
  hangRate: number;
  resetRate: number;
  rateLimitRate: number;
}

function nonNegative(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError(`"${value}" is not a non-negative number`);
  return parsed;
}

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError(`"${value}" is not an integer`);
  return parsed;
}

function positive(value: string): number {
  const parsed = nonNegative(value);
  if (parsed === 0) throw new InvalidArgumentError('must be greater than 0');
  return parsed;
}

function rate(value: string): number {
  const parsed = nonNegative(value);
  if (parsed > 1) throw new InvalidArgumentError(`"${value}" is not a fraction between 0 and 1`);
  return parsed;
}

export function simCommand(): Command {
  return new Command('sim')
    .description(
      'run a simulated OpenAI-compatible LLM server (seeded text, continuous-batching latency, fault injection)',
    )
    .option('--host <host>', 'listen address', SIMULATOR_DEFAULTS.host)
    .option('-p, --port <port>', 'listen port (0 picks a free one)', integer, SIMULATOR_DEFAULTS.port)
    .option(
      '-s, --seed <seed>',
      'seed of the generated text, embeddings and fault draws',
      integer,
      SIMULATOR_DEFAULTS.seed,
    )
    .option(
      '--max-num-seqs <n>',
      'sequences generated at once; more wait in the queue',
      integer,
      SIMULATOR_DEFAULTS.maxNumSeqs,
    )
    .option(
      '--max-queue <n>',
      'sequences that may wait; one more is answered 429',
      integer,
      SIMULATOR_DEFAULTS.maxQueue,
    )
    .option('--prefill-ms <ms>', 'fixed prefill time of a lone sequence', nonNegative, DEFAULT_LATENCY.prefillMs)
    .option(
      '--prefill-per-token-ms <ms>',
      'prefill time per prompt token',
      nonNegative,
      DEFAULT_LATENCY.prefillPerTokenMs,
    )
    .option('--decode-ms <ms>', 'time per generated token of a lone sequence', nonNegative, DEFAULT_LATENCY.decodeMs)
    .option(
      '--prefill-contention <f>',
      'extra prefill time per other running sequence (fraction)',
      nonNegative,
      DEFAULT_LATENCY.prefillContention,
    )
    .option(
      '--decode-contention <f>',
      'extra decode time per other running sequence (fraction)',
      nonNegative,
      DEFAULT_LATENCY.decodeContention,
    )
    .option('--error-rate <f>', 'fraction of requests answered 500', rate, 0)
    .option('--slow-factor <f>', 'multiplies every latency (a slow replica)', positive, 1)
    .option('--hang-rate <f>', 'fraction of requests never answered', rate, 0)
    .option('--reset-rate <f>', 'fraction of requests whose connection is reset', rate, 0)
    .option('--rate-limit-rate <f>', 'fraction of requests answered 429 with Retry-After: 1', rate, 0)
    .action(runSimulator);
}

async function runSimulator(options: SimCommandOptions): Promise<void> {
  const simulator = await startSimulator({
    host: options.host,
    port: options.port,
    seed: options.seed,
    maxNumSeqs: options.maxNumSeqs,
    maxQueue: options.maxQueue,
    latency: {
      prefillMs: options.prefillMs,
      prefillPerTokenMs: options.prefillPerTokenMs,
      decodeMs: options.decodeMs,
      prefillContention: options.prefillContention,
      decodeContention: options.decodeContention,
    },
    faults: {
      error_rate: options.errorRate,
      slow_factor: options.slowFactor,
      hang_rate: options.hangRate,
      reset_rate: options.resetRate,
      rate_limit_rate: options.rateLimitRate,
    },
  });
  console.log(
    `sluice simulator (not a real model) listening on ${simulator.url}  —  OpenAI base URL: ${simulator.url}/v1`,
  );
  const stop = () => void simulator.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
