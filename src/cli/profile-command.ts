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
import { DEFAULT_VOCABULARY_SIZE } from '../quality/text-reference.ts';

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
    .option(
      '--vocabulary <n>',
      "a text field's vocabulary: its most frequent tokens in half the items",
      wholeNumber,
      DEFAULT_VOCABULARY_SIZE,
    )
    .action(async (options: { model: string; data: string; rows: number; seed: number; vocabulary: number }) => {
      try {
        const items = readItems(options.data);
        const profile = await profileModelVersion(options.model, items, {
          source: `sluice profile --data ${options.data}`,
          maxRows: options.rows,
          seed: options.seed,
          vocabularySize: options.vocabulary,
        });
        const file = writeProfile(options.model, profile);
        const texts = Object.entries(profile.text ?? {}).map(
          ([field, text]) =>
            `; "${field}": a vocabulary of ${text.vocabulary.length} tokens, ` +
            `${percent(text.held_out.oov_tokens / text.held_out.tokens)} of held-out tokens outside it`,
        );
        console.log(
          `${file}: ${profile.rows} rows, features ${Object.keys(profile.features).join(', ')}${texts.join('')}`,
        );
      } catch (error) {
        console.error(`sluice profile: ${(error as Error).message}`);
        process.exitCode = 1;
      }
    });
}

function percent(share: number): string {
  return Number.isFinite(share) ? `${(share * 100).toFixed(1)}%` : 'none';
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
