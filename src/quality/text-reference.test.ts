import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Feature } from './features.ts';
import { buildProfile, PROFILE_FILE, readProfile, writeProfile } from './reference-profile.ts';
import { textReferenceOf, tokensOf, TRAFFIC_VOCABULARY } from './text-reference.ts';

const directory = mkdtempSync(join(tmpdir(), 'sluice-text-reference-'));
after(() => rmSync(directory, { recursive: true, force: true }));

const words = (text: string): string[] => text.split(' ');

describe('a text field’s reference', () => {
  test('takes its vocabulary from every other text and measures the OOV rate on the texts in between', () => {
    const texts = [
      words('my knee hurts'), // vocabulary
      words('my knee is swollen'), // held out: is, swollen unknown
      words('knee pain'), // vocabulary
      words('pain in my knee'), // held out: in unknown
      undefined, // no text: in neither half
      words('refill please'), // vocabulary
    ];
    const reference = textReferenceOf(texts, 100);
    // knee twice, then the others once, ties in code unit order.
    assert.deepEqual(reference?.vocabulary, ['knee', 'hurts', 'my', 'pain', 'please', 'refill']);
    assert.equal(reference.vocabulary_items, 3);
    assert.deepEqual(reference.held_out, {
      items: 2,
      tokens: 8,
      oov_tokens: 3,
      tokens_squared: 4 * 4 + 4 * 4,
      oov_squared: 2 * 2 + 1 * 1,
      tokens_oov: 4 * 2 + 4 * 1,
    });
  });

  test('keeps the most frequent tokens up to the vocabulary size; a held-out token beyond them is unknown', () => {
    const texts = [words('a a a b b c'), words('c'), words('a b'), words('b')];
    const reference = textReferenceOf(texts, 2);
    assert.deepEqual(reference?.vocabulary, ['a', 'b']);
    assert.equal(reference.held_out.oov_tokens, 1);
  });

  test('made of live traffic, keeps only tokens five texts of its half hold, and none with a digit or an @', () => {
    // The vocabulary half (every other text): "knee" and "jane" in five of its texts, "marsh" in four, "0142" and "x@y" in six.
    const vocabularyHalf = [
      'helen marsh knee 0142 x@y jane',
      'marsh knee 0142 x@y',
      'marsh knee 0142 x@y jane',
      'marsh knee 0142 x@y jane',
      'knee 0142 x@y jane',
      '0142 x@y jane jane jane jane jane jane jane jane',
    ];
    const texts = vocabularyHalf.flatMap((text) => [words(text), words('knee marsh 0142')]);
    assert.deepEqual(textReferenceOf(texts, 100, TRAFFIC_VOCABULARY)?.vocabulary, ['jane', 'knee']);
    assert.deepEqual(
      textReferenceOf(texts, 100)?.vocabulary,
      ['jane', '0142', 'x@y', 'knee', 'marsh', 'helen'],
      "a model's data keeps every token",
    );
  });

  test('is not made from fewer than four texts: no spread to test against', () => {
    assert.equal(textReferenceOf([words('a'), words('b'), undefined, words('c')], 10), undefined);
  });
});

describe('the text part of a reference profile', () => {
  const MODEL = { name: 'triage', version: '1' };
  const LENGTH: Feature = {
    name: 'text.length',
    kind: 'numeric',
    source: 'input',
    read: (item) => String(item['text']).length,
  };
  const observations = ['Chest pain!', 'chest pain since Monday', 'no fever', 'fever and pain', 'pain'].map((text) => ({
    item: { text },
    row: undefined,
  }));

  test('is built from every observation, read with the text models’ tokens, and survives a write and a read', () => {
    const profile = buildProfile(MODEL, [LENGTH], observations, { source: 'a test', textFields: ['text'] });
    assert.deepEqual(tokensOf('Chest pain!'), ['chest', 'pain']);
    // From 'chest pain', 'no fever' and 'pain'; held out: 'chest pain since monday' and 'fever and pain'.
    assert.deepEqual(profile.text?.['text']?.vocabulary, ['pain', 'chest', 'fever', 'no']);
    assert.deepEqual([profile.text['text'].held_out.tokens, profile.text['text'].held_out.oov_tokens], [7, 3]);
    const dir = mkdtempSync(join(directory, 'round-trip-'));
    writeProfile(dir, profile);
    assert.deepEqual(readProfile(dir), profile);
  });

  test('is absent for a model without a text field, and an older profile without it still loads', () => {
    assert.equal('text' in buildProfile(MODEL, [LENGTH], observations, { source: 'a test' }), false);
    const dir = mkdtempSync(join(directory, 'older-'));
    const older = {
      ...{ format: 1, model: 'triage', version: '1', source: 'an older build', rows: 2 },
      features: { 'text.length': { kind: 'numeric', values: [3, 4] } },
    };
    writeFileSync(join(dir, PROFILE_FILE), JSON.stringify(older));
    assert.deepEqual(readProfile(dir), older);
  });

  test('a malformed one is refused, naming the file, the field and the fault', () => {
    const profile = buildProfile(MODEL, [LENGTH], observations, { source: 'a test', textFields: ['text'] });
    const dir = mkdtempSync(join(directory, 'malformed-'));
    const held = profile.text?.['text']?.held_out;
    const text = { text: { ...profile.text?.['text'], held_out: { ...held, oov_tokens: 1000 } } };
    writeFileSync(join(dir, PROFILE_FILE), JSON.stringify({ ...profile, text }));
    assert.throws(
      () => readProfile(dir),
      (error: Error) => {
        assert.ok(error.message.startsWith(join(dir, PROFILE_FILE)), error.message);
        assert.match(error.message, /text\.text\.held_out: oov_tokens must not exceed tokens/);
        return true;
      },
    );
  });
});
