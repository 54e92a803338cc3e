/**
 * `sluice eval --route R` (or `--models small,large`): accuracy and cost of each model
 * alone and of the cascade at a sweep of thresholds, on the first model's golden set,
 * through an in-process server's real serving path (KServe v1 requests to the models and
 * to one cascade route per threshold). Prints a markdown table (docs/cost.md#cascades).
 * `sluice eval --semantic-cache`: the semantic cache's thresholds instead (semantic-eval.ts).
 */
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../config/load.ts';
import { DEFAULT_MODEL_REPOSITORY } from '../config/schema.ts';
import { servedRoutes, type RouteConfig } from '../cost/routing/route-config.ts';
import { checkRoutes, modelFinder } from '../cost/routing/route-checks.ts';
import {
  evalTable,
  evaluateCascade,
  type EvalModel,
  type GoldenItem,
  type Predictions,
} from '../cost/routing/route-eval.ts';
import { createSluice, type Sluice } from '../http/server.ts';
import { ensureModels } from './eval-models.ts';
import { runSemanticEval } from './semantic-eval.ts';

export const DEFAULT_THRESHOLDS = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];
const BATCH = 64;

export interface EvalOptions {
  readonly config?: string;
  readonly route?: string;
  readonly models?: readonly string[];
  readonly repository?: string;
  readonly thresholds?: readonly number[];
  readonly golden?: string;
  readonly limit?: number;
  readonly semanticCache?: boolean;
  readonly embeddingModel?: string;
  readonly pairs?: string;
}

export function evalCommand(): Command {
  return new Command('eval')
    .description(
      "a cascade's accuracy and cost against each of its models alone, on the golden set, at a sweep of thresholds; with --semantic-cache, the semantic cache's hit and false-hit rates on labelled prompt pairs",
    )
    .option('-c, --config <file>', 'YAML configuration file (its routes and model repository)')
    .option('-r, --route <name>', 'a cascade route of the configuration (the default: triage)')
    .option('--models <names>', 'the cascade, cheapest first, instead of a route: small,large', list)
    .option('-m, --repository <dir>', 'model repository (overrides models.repository)')
    .option('-t, --thresholds <list>', 'min_confidence (or min_similarity) values to sweep', thresholds)
    .option(
      '-g, --golden <file>',
      "golden items, one JSON object of request fields and a label per line (default: the first model's golden.jsonl)",
    )
    .option('-n, --limit <n>', 'the first n golden items only', wholeNumber)
    .option('--semantic-cache', 'measure the semantic cache on labelled paraphrase and non-paraphrase pairs')
    .option('--embedding-model <name>', 'the model that embeds prompts (--semantic-cache; default: embed)')
    .option(
      '--pairs <file>',
      'labelled pairs, {"a", "b", "paraphrase"} per line (--semantic-cache; default: the project\'s)',
    )
    .action(async (options: EvalOptions) => {
      try {
        console.log(options.semanticCache === true ? await runSemanticEval(options) : await runEval(options));
      } catch (error) {
        console.error(`sluice eval: ${(error as Error).message}`);
        process.exitCode = 1;
      }
    });
}

/** The table, made through a server of its own, closed before returning. */
export async function runEval(options: EvalOptions): Promise<string> {
  const base = loadConfig({
    ...(options.config === undefined ? {} : { file: options.config }),
    overrides: options.repository === undefined ? {} : { models: { repository: options.repository } },
  });
  const stages = cascadeModels(options, servedRoutes(base.routes, base.models, DEFAULT_MODEL_REPOSITORY));
  const sweep = options.thresholds ?? DEFAULT_THRESHOLDS;
  const routes: RouteConfig[] = sweep.map((threshold, index) => ({
    name: `eval-${index}`,
    cascade: stages.map((model, s) => (s < stages.length - 1 ? { model, min_confidence: threshold } : { model })),
  }));
  const config = loadConfig({
    ...(options.config === undefined ? {} : { file: options.config }),
    overrides: {
      ...(options.repository === undefined ? {} : { models: { repository: options.repository } }),
      server: { grpc_port: 0 },
      admission: { enabled: false },
      routes,
    },
  });
  await ensureModels(config);
  const sluice = createSluice(config, pino({ level: 'silent' }));
  try {
    await sluice.openState();
    await sluice.models.loadRepository(config.models.repository);
    const specs = servedRoutes(config.routes, config.models, DEFAULT_MODEL_REPOSITORY);
    checkRoutes(specs, modelFinder(sluice.targets));
    const models = stages.map((name) => evalModel(sluice, name));
    const golden = readGolden(options.golden ?? goldenFileOf(sluice, stages[0] as string), options.limit);
    const rows = await evaluateCascade({
      models,
      thresholds: sweep,
      golden,
      predict: (target, items) =>
        predict(sluice, 'model' in target ? target.model : `eval-${sweep.indexOf(target.cascade)}`, items),
    });
    return evalTable(rows, models, golden.length);
  } finally {
    await sluice.close();
  }
}

function cascadeModels(options: EvalOptions, routes: ReturnType<typeof servedRoutes>): readonly string[] {
  if (options.models !== undefined) {
    if (options.route !== undefined) throw new Error('give --route or --models, not both');
    if (options.models.length < 2) throw new Error('--models: a cascade needs two models or more (small,large)');
    return options.models;
  }
  const name = options.route ?? 'triage';
  const route = routes.find((each) => each.name === name);
  if (route?.kind !== 'cascade')
    throw new Error(
      `--route: no cascade route "${name}" is configured (routes: ${routes.map((each) => each.name).join(', ') || 'none'}); or name the models with --models`,
    );
  return route.stages.map((stage) => stage.model);
}

function evalModel(sluice: Sluice, name: string): EvalModel {
  const description = sluice.targets.resolve(name).description;
  if (description === undefined) throw new Error(`model "${name}" is not a local model`);
  return { name, costPerItem: description.cost.per_item };
}

function goldenFileOf(sluice: Sluice, model: string): string {
  const served = sluice.models.versionsOf(model)?.[0];
  if (served === undefined) throw new Error(`model "${model}" is not a local model of the repository`);
  return join(served.dir, 'golden.jsonl');
}

/** KServe v1 requests of at most BATCH items: each prediction's label and, from a cascade, `item_routes`. */
async function predict(sluice: Sluice, target: string, golden: readonly GoldenItem[]): Promise<Predictions> {
  const labels: string[] = [];
  const stages: number[] = [];
  for (let start = 0; start < golden.length; start += BATCH) {
    const instances = golden.slice(start, start + BATCH).map((each) => each.item);
    const response = await sluice.app.inject({
      method: 'POST',
      url: `/v1/models/${target}:predict`,
      payload: { instances },
    });
    if (response.statusCode !== 200) throw new Error(`${target}: ${response.statusCode} ${response.body}`);
    const body = response.json<{ predictions: Array<{ label?: unknown }>; item_routes?: string[] }>();
    for (const prediction of body.predictions) {
      if (typeof prediction.label !== 'string') throw new Error(`${target} answers without labels to compare`);
      labels.push(prediction.label);
    }
    for (const route of body.item_routes ?? []) stages.push(Number(/^cascade:(\d+)$/.exec(route)?.[1] ?? NaN));
  }
  return { labels, stages: stages.length === 0 ? undefined : stages };
}

function readGolden(file: string, limit: number | undefined): GoldenItem[] {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
  return lines.slice(0, limit ?? lines.length).map((line, index) => {
    const parsed = JSON.parse(line) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error(`${file}:${index + 1}: not a JSON object`);
    const { label, ...item } = parsed as Record<string, unknown>;
    if (typeof label !== 'string') throw new Error(`${file}:${index + 1}: no string "label"`);
    return { item, label };
  });
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

function thresholds(value: string): number[] {
  return list(value).map((each) => {
    const parsed = Number(each);
    if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError(`"${each}" is not a threshold ≥ 0`);
    return parsed;
  });
}

function wholeNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`"${value}" is not a whole number ≥ 1`);
  return parsed;
}
