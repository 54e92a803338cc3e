import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TextHashPreprocessing } from '../models/model-spec.ts';
import { createRng } from '../../../core/seeded-rng.ts';
import { fnv1a32, normalizeText, textHashIds, textHashRow, textWords } from './text-hash.ts';

const spec: TextHashPreprocessing = {
  kind: 'text-hash',
  input: 'text',
  buckets: 4096,
  word_ngrams: [1],
  char_ngrams: 0,
  max_tokens: 64,
  ids_tensor: 'input_ids',
  mask_tensor: 'attention_mask',
};

describe('normalizeText', () => {
  it('folds compatibility forms, case and whitespace', () => {
    assert.equal(normalizeText('  ＨＥＬＬＯ\t\n World  '), 'hello world');
  });

  it('turns punctuation into word breaks', () => {
    assert.equal(normalizeText('Follow-up on $120.50?!'), 'follow up on 120 50');
  });

  it('keeps apostrophes inside words only', () => {
    assert.equal(normalizeText("I don’t know 'why' patients' bills"), "i don't know why patients bills");
  });

  it('keeps letters of any script and combining marks', () => {
    assert.equal(normalizeText('Café ÜBER naïve Überweisung'), 'café über naïve überweisung');
    assert.equal(normalizeText('очень больно!'), 'очень больно');
  });

  it('returns an empty string for text without words', () => {
    assert.equal(normalizeText(' ?!… '), '');
    assert.deepEqual(textWords(' ?! '), []);
  });
});

describe('fnv1a32', () => {
  it('matches the published FNV-1a test vectors', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });

  it('hashes the UTF-8 bytes of non-ASCII text', () => {
    // "é" is 0xC3 0xA9 in UTF-8: hashing those two bytes by hand must agree.
    let hash = 0x811c9dc5;
    for (const byte of [0xc3, 0xa9]) hash = Math.imul(hash ^ byte, 0x01000193);
    assert.equal(fnv1a32('é'), hash >>> 0);
    assert.notEqual(fnv1a32('😀'), fnv1a32('😁'));
  });
});

/**
 * The feature keys as the model cards define them, built as strings and hashed whole:
 * the oracle for `textHashIds`, which hashes the same keys without building them.
 */
function referenceIds(
  text: string,
  hashSpec: Pick<TextHashPreprocessing, 'buckets' | 'word_ngrams' | 'char_ngrams' | 'max_tokens'>,
): number[] {
  const words = textWords(text);
  const orders = [...new Set(hashSpec.word_ngrams)].sort((a, b) => a - b);
  const ids: number[] = [];
  const bucket = (key: string): number => 1 + (fnv1a32(key) % (hashSpec.buckets - 1));
  for (let end = 0; end < words.length; end++) {
    for (const order of orders) if (order <= end + 1) ids.push(bucket(words.slice(end + 1 - order, end + 1).join(' ')));
    const n = hashSpec.char_ngrams ?? 0;
    if (n === 0) continue;
    const padded = Array.from(`<${words[end]}>`);
    if (padded.length <= n) ids.push(bucket(`#${padded.join('')}`));
    else
      for (let start = 0; start + n <= padded.length; start++)
        ids.push(bucket(`#${padded.slice(start, start + n).join('')}`));
  }
  if (ids.length === 0) ids.push(bucket('\u0000empty'));
  return ids.slice(0, hashSpec.max_tokens);
}

/** Words from several scripts, astral letters, combining marks, digits and the punctuation normalisation removes. */
const ALPHABET = [
  'a',
  'b',
  'e',
  'z',
  'Q',
  '7',
  '0',
  ' ',
  ' ',
  ' ',
  "'",
  '’',
  '-',
  '.',
  '!',
  'é',
  'ß',
  'ǆ',
  'ﬁ',
  'Ａ',
  'я',
  'Ж',
  'ع',
  '中',
  '文',
  'e\u0301',
  '𝐀',
  '😀',
  '𠀀',
  '\t',
  '#',
  '<',
  '>',
];

describe('textHashIds', () => {
  it('hashes exactly the keys the model cards define, for any script and spec', () => {
    const rng = createRng(7);
    const specs = [
      spec,
      { ...spec, word_ngrams: [2, 1], char_ngrams: 3 },
      { ...spec, buckets: 65536, word_ngrams: [1, 3, 2, 2], char_ngrams: 5, max_tokens: 256 },
      { ...spec, word_ngrams: [1], char_ngrams: 4, max_tokens: 5 },
    ];
    for (let sample = 0; sample < 400; sample += 1) {
      const length = rng.int(120);
      let text = '';
      for (let index = 0; index < length; index += 1) text += rng.pick(ALPHABET);
      for (const hashSpec of specs)
        assert.deepEqual(
          [...textHashIds(text, hashSpec)],
          referenceIds(text, hashSpec),
          `${JSON.stringify(text)} with ${JSON.stringify(hashSpec)}`,
        );
    }
  });

  it('gives one id per word for unigrams, all in 1..buckets-1', () => {
    const ids = textHashIds('Refill my Lisinopril please', spec);
    assert.equal(ids.length, 4);
    for (const id of ids) assert.ok(id >= 1 && id < spec.buckets);
  });

  it('is insensitive to case and punctuation', () => {
    assert.deepEqual(textHashIds('Refill, please!', spec), textHashIds('refill please', spec));
  });

  it('adds bigrams and character n-grams word by word', () => {
    const large = { ...spec, buckets: 65536, word_ngrams: [2, 1], char_ngrams: 3 };
    // "ab cd": ab, <ab, ab>, cd, "ab cd", <cd, cd>
    const ids = textHashIds('ab cd', large);
    assert.equal(ids.length, 7);
    assert.equal(ids[0], textHashIds('ab', { ...large, char_ngrams: 0 })[0]);
  });

  it('truncates to max_tokens, keeping a prefix of the text', () => {
    const ids = textHashIds('one two three four five', { ...spec, max_tokens: 3 });
    assert.deepEqual(ids, textHashIds('one two three', spec));
  });

  it('maps a text without words to one "empty" id', () => {
    const empty = textHashIds('', spec);
    assert.equal(empty.length, 1);
    assert.deepEqual(textHashIds('?!', spec), empty);
    assert.notDeepEqual(textHashIds('empty', spec), empty);
  });
});

describe('textHashRow', () => {
  it('builds int64 ids and a float32 mask of ones of the same length', () => {
    const row = textHashRow('my lab results', spec);
    const ids = row.input_ids;
    const mask = row.attention_mask;
    assert.ok(ids !== undefined && mask !== undefined);
    assert.equal(ids.dtype, 'int64');
    assert.deepEqual(ids.dims, [3]);
    assert.deepEqual([...ids.data].map(Number), [...textHashIds('my lab results', spec)]);
    assert.equal(mask.dtype, 'float32');
    assert.deepEqual([...mask.data], [1, 1, 1]);
  });
});
