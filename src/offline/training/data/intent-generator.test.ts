import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../../core/seeded-rng.ts';
import { fill, generateIntentExamples } from './intent-generator.ts';
import {
  DISTRACTORS,
  GREETINGS,
  NEGATIONS,
  SECONDARY_REQUESTS,
  SHORT_MESSAGES,
  SIGN_OFFS,
  VAGUE_MESSAGES,
} from './intent-phrases.ts';
import { GOLDEN_ONLY_TEMPLATES, TRAIN_TEMPLATES } from './intent-templates.ts';
import { INTENTS } from './intents.ts';

describe('fill', () => {
  it('expands alternatives and slots', () => {
    const text = fill('[a|b] refill of {drug}[ please|]', createRng(1), 'train');
    assert.match(text, /^[ab] refill of [a-z ]+( please)?$/);
  });

  it('resolves every slot of every template and phrase in both splits', () => {
    const all = [
      ...Object.values(TRAIN_TEMPLATES).flat(),
      ...Object.values(GOLDEN_ONLY_TEMPLATES).flat(),
      ...Object.values(DISTRACTORS).flat(),
      ...Object.values(NEGATIONS).flat(),
      ...Object.values(SECONDARY_REQUESTS).flat(),
      ...Object.values(SHORT_MESSAGES).flat(),
      ...VAGUE_MESSAGES,
      ...GREETINGS,
      ...SIGN_OFFS,
    ];
    const rng = createRng(2);
    for (const template of all) {
      for (const split of ['train', 'golden'] as const) {
        const text = fill(template, rng, split);
        assert.doesNotMatch(text, /[[\]{}]/, template);
      }
    }
  });
});

describe('generateIntentExamples', () => {
  it('is deterministic for a seed', () => {
    const options = { seed: 5, count: 50, split: 'train' as const };
    assert.deepEqual(generateIntentExamples(options), generateIntentExamples(options));
    assert.notDeepEqual(generateIntentExamples({ ...options, seed: 6 }), generateIntentExamples(options));
  });

  it('covers every intent and every kind of difficulty', () => {
    const examples = generateIntentExamples({ seed: 1, count: 2000, split: 'golden' });
    for (const intent of INTENTS)
      assert.ok(
        examples.some((example) => example.label === intent),
        intent,
      );
    for (const trait of [
      'short',
      'vague',
      'unseen_template',
      'negation',
      'distractor',
      'secondary',
      'typos',
    ] as const) {
      assert.ok(
        examples.some((example) => example.traits.includes(trait)),
        trait,
      );
    }
  });

  it('keeps golden-only phrasings out of the training split', () => {
    const examples = generateIntentExamples({ seed: 1, count: 2000, split: 'train' });
    assert.ok(examples.every((example) => !example.traits.includes('unseen_template')));
    assert.ok(examples.every((example) => !/waitlist|explanation of benefits|service dog/i.test(example.text)));
  });
});
