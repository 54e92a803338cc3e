/**
 * `--baseline-root DIR`: another checkout of sluice (the commit before a change, say) as
 * one more side beside this checkout's server, in turns within every round. Only its
 * `bin/sluice.js` runs, whatever that runs (src/ through tsx, or dist/); the models, the
 * settings, the load generator and the tables are this checkout's, the same for both.
 *
 *   git clone . ../sluice-before && git -C ../sluice-before checkout <rev> && (cd ../sluice-before && npm ci)
 *   npm run bench -- batching gateway-overhead overload --baseline-root ../sluice-before
 *
 * `--current-env KEY=VALUE` (repeatable) sets a variable for this checkout's server only:
 * settings the baseline does not know, e.g. the platform stages it predates turned off
 * (`SLUICE_QUALITY__ENABLED=false`), which the baseline would refuse as unknown.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gitRevision } from './report.ts';
import { listOption, parseEnvPairs, stringOption, type OptionValues } from './scenario.ts';
import { REPOSITORY_ROOT } from './server-process.ts';

export const BASELINE_OPTIONS = {
  'baseline-root': { type: 'string' },
  'current-env': { type: 'string', multiple: true },
} as const;

export interface Baseline {
  /** The checkout's absolute path. */
  readonly root: string;
  /** `baseline afc8385`: the side's name in tables and progress lines. */
  readonly label: string;
  /** This checkout's side, named the same way: `current a4d956e`. */
  readonly currentLabel: string;
  /** `--current-env`: variables for this checkout's server alone. */
  readonly currentEnv: Readonly<Record<string, string>>;
}

/** Undefined without `--baseline-root`; a directory that holds no sluice checkout is refused at once. */
export function baselineOf(values: OptionValues, currentRoot = REPOSITORY_ROOT): Baseline | undefined {
  const dir = stringOption(values, 'baseline-root');
  if (dir === undefined) return undefined;
  const root = resolve(dir);
  if (!existsSync(join(root, 'bin', 'sluice.js')))
    throw new Error(`--baseline-root: ${root} is not a sluice checkout (it has no bin/sluice.js)`);
  return {
    root,
    label: `baseline ${gitRevision(root)}`,
    currentLabel: `current ${gitRevision(currentRoot)}`,
    currentEnv: parseEnvPairs(listOption(values, 'current-env') ?? []),
  };
}

/** The announcement line: which checkout the baseline side runs. */
export function baselineLine(baseline: Baseline): string {
  const own = Object.entries(baseline.currentEnv).map(([key, value]) => `${key}=${value}`);
  const current =
    own.length === 0 ? baseline.currentLabel : `${baseline.currentLabel} (which alone has ${own.join(' ')})`;
  return `- ${baseline.label}: ${baseline.root}'s bin/sluice.js, the same models and settings as ${current}`;
}
