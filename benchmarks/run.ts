/**
 * `npm run bench -- [scenario ...] [--quick] [scenario flags]`: runs the named scenarios,
 * or all of them, one after another. Results go to stdout as Markdown and to
 * `.bench-results/<scenario>-<timestamp>.json`.
 */
import { parseArgs } from 'node:util';
import type { Scenario, ScenarioOptions } from './lib/scenario.ts';
import { gatewayOverheadScenario } from './gateway-overhead.ts';
import { slowReplicaScenario } from './slow-replica.ts';
import { overloadScenario } from './overload.ts';
import { manyUsersScenario } from './many-users.ts';
import { batchingScenario } from './batching.ts';
import { tenantFloodScenario } from './tenant-flood.ts';
import { pipelineSlotsScenario } from './pipeline-slots.ts';
import { realModelsScenario } from './real-models.ts';
import { complianceScenario } from './compliance.ts';
import { reuseScenario } from './reuse.ts';

/** Every scenario, by name; a new one is one more entry here. */
const SCENARIOS: readonly Scenario[] = [
  overloadScenario,
  tenantFloodScenario,
  gatewayOverheadScenario,
  slowReplicaScenario,
  manyUsersScenario,
  batchingScenario,
  pipelineSlotsScenario,
  realModelsScenario,
  complianceScenario,
  reuseScenario,
];

function usage(): string {
  const flags = SCENARIOS.flatMap((scenario) =>
    Object.keys(scenario.options).map((flag) => `--${flag} (${scenario.name})`),
  );
  return [
    'usage: npm run bench -- [scenario ...] [--quick] [flags]',
    '',
    'scenarios (default: all):',
    ...SCENARIOS.map((scenario) => `  ${scenario.name}: ${scenario.summary}`),
    '',
    `flags: --quick, ${flags.join(', ')}`,
  ].join('\n');
}

async function main(): Promise<number> {
  const options: ScenarioOptions = {
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  };
  for (const scenario of SCENARIOS) Object.assign(options, scenario.options);
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options,
    allowPositionals: true,
    strict: true,
  });
  if (values['help'] === true) {
    console.log(usage());
    return 0;
  }
  const unknown = positionals.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) {
    console.error(`unknown scenario: ${unknown.join(', ')}\n\n${usage()}`);
    return 2;
  }
  const chosen =
    positionals.length === 0 ? SCENARIOS : SCENARIOS.filter((scenario) => positionals.includes(scenario.name));
  for (const scenario of chosen) await scenario.run({ quick: values['quick'] === true, values });
  return 0;
}

// Interrupted: exit, which stops the servers the scenarios started (server-process.ts kills them on exit).
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

process.exitCode = await main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  return 1;
});
