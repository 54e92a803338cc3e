/**
 * `sluice profile --model <dir> --data <items.jsonl>`: the reference profile of a model
 * version from example items (one JSON object of request fields per line; other keys, such
 * as a label, are ignored), written next to its ONNX file as reference-profile.json. Data
 * quality tests live traffic against it (docs/quality.md).
 */
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { profileModelVersion } from '../offline/profile/profile-model.ts';
import { MAX_REFERENCE_ROWS, writeProfile } from '../quality/reference-profile.ts';

function wholeNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`"${value}" is not a whole number ≥ 1`);
  return parsed;
}

export function profileCommand(): Command {
  return new Command('profile')
    .description("build a model version's reference profile (for data drift) from example items")
    .requiredOption('-m, --model <dir>', 'the model version directory (<repository>/<name>/<version>)')
    .requiredOption('-d, --data <file>', 'items, one JSON object of request fields per line')
    .option('--rows <n>', 'reference rows kept (a seeded sample)', wholeNumber, MAX_REFERENCE_ROWS)
    .option('--seed <n>', "the sample's seed", wholeNumber, 1)
    .action(async (options: { model: string; data: string; rows: number; seed: number }) => {
      try {
        const items = readItems(options.data);
        const profile = await profileModelVersion(options.model, items, {
          source: `sluice profile --data ${options.data}`,
          maxRows: options.rows,
          seed: options.seed,
        });
        const file = writeProfile(options.model, profile);
        console.log(`${file}: ${profile.rows} rows, features ${Object.keys(profile.features).join(', ')}`);
      } catch (error) {
        console.error(`sluice profile: ${(error as Error).message}`);
        process.exitCode = 1;
      }
    });
}

function readItems(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line, index) => [line.trim(), index + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, number]) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (error) {
        throw new Error(`${file}:${number}: not JSON (${(error as Error).message})`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error(`${file}:${number}: not a JSON object of request fields`);
      return parsed as Record<string, unknown>;
    });
}
