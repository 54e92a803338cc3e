/**
 * Recall and precision of the redactor on the labelled corpus (corpus/pii-corpus.jsonl), per kind
 * and overall. Span level: a labelled span is caught when every one of its characters is covered
 * by found spans (of any kind); a found span is a true positive when it overlaps a labelled span
 * (of any kind). Prints the table docs/redaction.md shows:
 *
 *   node --import tsx src/observe/redact/measure.ts [--holdout] [--details] [--bench]
 *
 * `--holdout` measures the held-out set instead (corpus/pii-holdout.jsonl, written after the
 * redactor and never used to change it).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { IDENTIFIER_KINDS, findIdentifiers, redactText, type IdentifierKind } from './redactor.ts';

export interface CorpusExample {
  id: string;
  text: string;
  spans: Array<{ kind: IdentifierKind; text: string }>;
}

export interface LabelledSpan {
  kind: IdentifierKind;
  start: number;
  end: number;
}

export const CORPUS_PATH = fileURLToPath(new URL('./corpus/pii-corpus.jsonl', import.meta.url));

export function loadCorpus(path = CORPUS_PATH): CorpusExample[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CorpusExample);
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

/** Whether `text[at..at+length)` stands as a whole token: a label "Tom" is not the one in "Tomorrow". */
function standsAlone(text: string, at: number, length: number): boolean {
  const before = text[at - 1] ?? ' ';
  const after = text[at + length] ?? ' ';
  return !WORD_CHAR.test(before) && !WORD_CHAR.test(after);
}

/**
 * Places each label in its text: the n-th label with a given substring takes its n-th occurrence,
 * preferring occurrences that stand alone. Returns undefined for a label whose substring is missing.
 */
export function locateSpans(example: CorpusExample): Array<LabelledSpan | undefined> {
  const used = new Map<string, number>();
  return example.spans.map(({ kind, text: needle }) => {
    const occurrences: number[] = [];
    for (let at = example.text.indexOf(needle); at >= 0; at = example.text.indexOf(needle, at + 1)) {
      occurrences.push(at);
    }
    const alone = occurrences.filter((at) => standsAlone(example.text, at, needle.length));
    const candidates = alone.length > 0 ? alone : occurrences;
    const nth = used.get(needle) ?? 0;
    used.set(needle, nth + 1);
    const start = candidates[nth];
    return start === undefined ? undefined : { kind, start, end: start + needle.length };
  });
}

export interface KindScore {
  labelled: number;
  caught: number;
  found: number;
  truePositives: number;
}

export interface Measurement {
  examples: number;
  byKind: Record<IdentifierKind, KindScore>;
  overall: KindScore;
  misses: Array<{ id: string; kind: IdentifierKind; text: string }>;
  falsePositives: Array<{ id: string; kind: IdentifierKind; text: string }>;
}

const emptyScore = (): KindScore => ({ labelled: 0, caught: 0, found: 0, truePositives: 0 });

function covered(found: Array<{ start: number; end: number }>, span: LabelledSpan): boolean {
  let reached = span.start;
  for (const each of found) {
    if (each.start <= reached && each.end > reached) reached = each.end;
  }
  return reached >= span.end;
}

export function measure(corpus: CorpusExample[]): Measurement {
  const byKind = Object.fromEntries(IDENTIFIER_KINDS.map((kind) => [kind, emptyScore()])) as Record<
    IdentifierKind,
    KindScore
  >;
  const result: Measurement = {
    examples: corpus.length,
    byKind,
    overall: emptyScore(),
    misses: [],
    falsePositives: [],
  };
  for (const example of corpus) {
    const labels = locateSpans(example).filter((span): span is LabelledSpan => span !== undefined);
    const found = findIdentifiers(example.text);
    for (const label of labels) {
      const caught = covered(found, label);
      for (const score of [byKind[label.kind], result.overall]) {
        score.labelled += 1;
        if (caught) score.caught += 1;
      }
      if (!caught)
        result.misses.push({ id: example.id, kind: label.kind, text: example.text.slice(label.start, label.end) });
    }
    for (const span of found) {
      const hit = labels.some((label) => label.start < span.end && span.start < label.end);
      for (const score of [byKind[span.kind], result.overall]) {
        score.found += 1;
        if (hit) score.truePositives += 1;
      }
      if (!hit)
        result.falsePositives.push({ id: example.id, kind: span.kind, text: example.text.slice(span.start, span.end) });
    }
  }
  return result;
}

export const recall = (score: KindScore): number => (score.labelled === 0 ? 1 : score.caught / score.labelled);
export const precision = (score: KindScore): number => (score.found === 0 ? 1 : score.truePositives / score.found);

export function formatTable(measurement: Measurement): string {
  const row = (name: string, score: KindScore): string => {
    const cells = [score.labelled, score.caught, recall(score).toFixed(3), score.found, score.truePositives];
    return `| ${name} | ${cells.join(' | ')} | ${precision(score).toFixed(3)} |`;
  };
  return [
    '| kind | labelled | caught | recall | found | true positives | precision |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...IDENTIFIER_KINDS.map((kind) => row(kind, measurement.byKind[kind])),
    row('**overall**', measurement.overall),
  ].join('\n');
}

/** Microseconds per KiB of corpus text, the median of `rounds` passes over the whole corpus. */
export function benchMicrosPerKib(corpus: CorpusExample[], rounds = 21): number {
  const texts = corpus.map((example) => example.text);
  const kib = texts.reduce((sum, text) => sum + text.length, 0) / 1024;
  const times: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const start = process.hrtime.bigint();
    for (const text of texts) redactText(text);
    times.push(Number(process.hrtime.bigint() - start) / 1000 / kib);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

export const HOLDOUT_PATH = fileURLToPath(new URL('./corpus/pii-holdout.jsonl', import.meta.url));

function main(args: string[]): void {
  const corpus = loadCorpus(args.includes('--holdout') ? HOLDOUT_PATH : CORPUS_PATH);
  const measurement = measure(corpus);
  console.log(`${measurement.examples} examples\n\n${formatTable(measurement)}`);
  if (args.includes('--details')) {
    console.log('\nMissed:');
    for (const miss of measurement.misses) console.log(`  ${miss.id} ${miss.kind}: ${JSON.stringify(miss.text)}`);
    console.log('\nFalse positives:');
    for (const fp of measurement.falsePositives) console.log(`  ${fp.id} ${fp.kind}: ${JSON.stringify(fp.text)}`);
  }
  if (args.includes('--bench')) console.log(`\n${benchMicrosPerKib(corpus).toFixed(1)} µs per KiB of corpus text`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  main(process.argv.slice(2));
