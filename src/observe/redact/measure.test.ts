import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IDENTIFIER_KINDS, type IdentifierKind } from './redactor.ts';
import { loadCorpus, locateSpans, measure, precision, recall } from './measure.ts';

const corpus = loadCorpus();
const measurement = measure(corpus);

// A little below what docs/redaction.md reports, so a change that loses ground fails here.
const RECALL_FLOORS: Record<IdentifierKind, number> = {
  email: 0.9,
  card: 0.9,
  ssn: 1,
  ip_address: 1,
  mrn: 0.9,
  date_of_birth: 0.95,
  date: 0.95,
  phone: 0.85,
  street_address: 0.85,
  name: 0.85,
};

// The e-mail and card misses the corpus holds on purpose: an obfuscated and a malformed address, a
// card number with a typo that fails Luhn. Every well-formed e-mail, card and SSN must be caught.
const ALLOWED_STRICT_MISSES = ['er-001 email', 'hd-003 email', 'er-014 card'];

describe('the labelled corpus', () => {
  it('holds at least 300 examples with unique ids, known kinds, and labels found in their text', () => {
    assert.ok(corpus.length >= 300, `${corpus.length} examples`);
    assert.equal(new Set(corpus.map((example) => example.id)).size, corpus.length);
    for (const example of corpus) {
      for (const span of example.spans) assert.ok(IDENTIFIER_KINDS.includes(span.kind), `${example.id}: ${span.kind}`);
      const located = locateSpans(example);
      located.forEach((span, i) => assert.ok(span, `${example.id}: ${JSON.stringify(example.spans[i]?.text)}`));
    }
  });

  it('has examples without identifiers and examples with several', () => {
    assert.ok(corpus.filter((example) => example.spans.length === 0).length >= 80);
    assert.ok(corpus.filter((example) => example.spans.length >= 3).length >= 20);
  });
});

describe('the redactor on the labelled corpus', () => {
  it('reaches recall 0.9 and precision 0.95 overall', () => {
    assert.ok(recall(measurement.overall) >= 0.9, `recall ${recall(measurement.overall)}`);
    assert.ok(precision(measurement.overall) >= 0.95, `precision ${precision(measurement.overall)}`);
  });

  it('keeps each kind above its recall floor and precision 0.9', () => {
    for (const kind of IDENTIFIER_KINDS) {
      const score = measurement.byKind[kind];
      assert.ok(recall(score) >= RECALL_FLOORS[kind], `${kind} recall ${recall(score)}`);
      assert.ok(precision(score) >= 0.9, `${kind} precision ${precision(score)}`);
    }
  });

  it('misses no well-formed e-mail address, card number or SSN', () => {
    const strict = measurement.misses
      .filter((miss) => miss.kind === 'email' || miss.kind === 'card' || miss.kind === 'ssn')
      .map((miss) => `${miss.id} ${miss.kind}`);
    assert.deepEqual(strict.sort(), [...ALLOWED_STRICT_MISSES].sort());
  });

  it('counts a label as caught only when found spans cover all of it', () => {
    const partial = measure([
      { id: 't-1', text: 'Mrs. Ana Lee, 4111 1111 1111 1111', spans: [{ kind: 'name', text: 'Mrs. Ana Lee' }] },
    ]);
    assert.deepEqual([partial.overall.labelled, partial.overall.caught], [1, 0]);
    // The name overlaps its label: a true positive; the unlabelled card is a false positive.
    assert.deepEqual([partial.overall.found, partial.overall.truePositives], [2, 1]);
  });
});
