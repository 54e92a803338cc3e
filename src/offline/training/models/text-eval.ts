/**
 * Golden-set evaluation of the text models through onnxruntime and the serving
 * preprocessing (`textHashRow`), plus the breakdowns the model cards show.
 */
import type { TextHashPreprocessing } from '../../../engines/local/models/model-spec.ts';
import { textHashRow } from '../../../engines/local/preprocess/text-hash.ts';
import { INTENTS, intentIndex, type IntentExample, type MessageTrait } from '../data/intents.ts';
import { accuracy, argmax, perClassAccuracy } from '../eval/metrics.ts';
import { createSession, runRows } from '../eval/ort-runner.ts';
import { markdownTable, percent } from './markdown.ts';

export async function runTextModel(onnx: Uint8Array, texts: readonly string[], spec: TextHashPreprocessing, output: string): Promise<Float32Array[]> {
  const session = await createSession(onnx);
  try {
    return await runRows(session, texts.map((text) => textHashRow(text, spec)), output);
  } finally {
    await session.release();
  }
}

export interface ClassifierReport {
  readonly accuracy: number;
  readonly predictions: readonly number[];
  readonly labels: readonly number[];
}

export function classifierReport(probabilities: readonly Float32Array[], golden: readonly IntentExample[]): ClassifierReport {
  const predictions = probabilities.map((row) => argmax(row));
  const labels = golden.map((example) => intentIndex(example.label));
  return { accuracy: accuracy(predictions, labels), predictions, labels };
}

export function perIntentAccuracy(report: ClassifierReport): Record<string, number> {
  const perClass = perClassAccuracy(report.predictions, report.labels, INTENTS.length);
  return Object.fromEntries(INTENTS.map((intent, index) => [intent, perClass[index]?.accuracy ?? 0]));
}

export function perIntentTable(report: ClassifierReport): string {
  const perClass = perClassAccuracy(report.predictions, report.labels, INTENTS.length);
  return markdownTable(
    ['intent', 'golden items', 'accuracy'],
    INTENTS.map((intent, index) => [`\`${intent}\``, perClass[index]?.support ?? 0, percent(perClass[index]?.accuracy ?? 0)]),
  );
}

const TRAIT_DESCRIPTIONS: Readonly<Record<MessageTrait | 'plain', string>> = {
  plain: 'a training template, nothing added',
  unseen_template: 'a phrasing that never occurs in training',
  typos: 'keyboard typos',
  distractor: 'a sentence about another topic',
  negation: '"not about X" for another intent',
  secondary: 'a second, lesser request of another intent',
  short: 'one to three words',
  vague: 'no intent of its own (→ `other`)',
};

/** Accuracy per kind of difficulty; a message can have several kinds. */
export function traitTable(report: ClassifierReport, golden: readonly IntentExample[]): string {
  const rows = Object.entries(TRAIT_DESCRIPTIONS).map(([trait, description]) => {
    const members = golden.flatMap((example, index) => {
      const matches = trait === 'plain' ? example.traits.length === 0 : example.traits.includes(trait as MessageTrait);
      return matches ? [index] : [];
    });
    const correct = members.filter((index) => report.predictions[index] === report.labels[index]).length;
    return [`\`${trait}\``, description, members.length, members.length === 0 ? '–' : percent(correct / members.length)];
  });
  return markdownTable(['kind', 'meaning', 'golden items', 'accuracy'], rows);
}
