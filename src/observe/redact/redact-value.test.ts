import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactValue } from './redactor.ts';

describe('redactValue', () => {
  it('redacts strings at any depth and keeps keys, numbers, booleans and null', () => {
    const record = {
      msg: 'routed',
      latencyMs: 42,
      ok: true,
      missing: null,
      input: { text: 'Call me on 555-0134, Mrs. Kaur', tokens: [101, 2023] },
      notes: ['fine', 'write to a.b@example.org'],
    };
    assert.deepEqual(redactValue(record), {
      msg: 'routed',
      latencyMs: 42,
      ok: true,
      missing: null,
      input: { text: 'Call me on [REDACTED:phone], Mrs. [REDACTED:name]', tokens: [101, 2023] },
      notes: ['fine', 'write to [REDACTED:email]'],
    });
  });

  it('returns a copy and leaves its input as it was', () => {
    const record = { text: 'DOB 1985-03-14' };
    const copy = redactValue(record);
    assert.notEqual(copy, record);
    assert.deepEqual(record, { text: 'DOB 1985-03-14' });
  });

  it('replaces whole the values of fields that name an identifier, under any qualifier', () => {
    const record = {
      phone: 6175550142,
      homePhone: '555 0134',
      lastName: 'Doe',
      patient_email: 'not-an-address',
      dob: '14/3',
      address: { line1: '12 Baker', city: 'London', zip: 12345 },
      emails: ['x', 'y'],
      name: 'triage-large',
      tenant: 'clinic',
      consent: true,
      mrn: '',
    };
    assert.deepEqual(redactValue(record), {
      phone: '[REDACTED:phone]',
      homePhone: '[REDACTED:phone]',
      lastName: '[REDACTED:name]',
      patient_email: '[REDACTED:email]',
      dob: '[REDACTED:date_of_birth]',
      address: {
        line1: '[REDACTED:street_address]',
        city: '[REDACTED:street_address]',
        zip: '[REDACTED:street_address]',
      },
      emails: ['x', 'y'],
      name: 'triage-large',
      tenant: 'clinic',
      consent: true,
      mrn: '',
    });
  });

  it('treats name, family and given as names only inside a person, as in a FHIR Patient', () => {
    const record = {
      model: { name: 'triage-large' },
      patient: { name: 'Jane Doe', clinic: 'ENT' },
      resource: { resourceType: 'Patient', name: [{ family: 'Nakamura', given: ['Ken'] }], gender: 'male' },
    };
    assert.deepEqual(redactValue(record), {
      model: { name: 'triage-large' },
      patient: { name: '[REDACTED:name]', clinic: 'ENT' },
      resource: {
        resourceType: 'Patient',
        name: [{ family: '[REDACTED:name]', given: ['[REDACTED:name]'] }],
        gender: 'male',
      },
    });
  });

  it('cuts a cycle where it closes and walks an object shared by two fields twice', () => {
    const shared = { text: 'ip 10.0.0.7' };
    const root: Record<string, unknown> = { a: shared, b: shared };
    root.self = root;
    assert.deepEqual(redactValue(root), {
      a: { text: 'ip [REDACTED:ip_address]' },
      b: { text: 'ip [REDACTED:ip_address]' },
      self: '[REDACTED:cycle]',
    });
  });

  it('stops at the depth limit', () => {
    let nested: unknown = 'leaf';
    for (let depth = 0; depth < 5; depth += 1) nested = { next: nested };
    assert.deepEqual(redactValue(nested, { maxDepth: 3 }), { next: { next: { next: '[REDACTED:depth]' } } });
  });

  it('stops at the node and character budgets', () => {
    assert.deepEqual(redactValue(['a', 'b', 'c', 'd'], { maxNodes: 3 }), [
      'a',
      'b',
      '[REDACTED:size]',
      '[REDACTED:size]',
    ]);
    assert.deepEqual(redactValue(['aaaa', 'bbbb', 'cc'], { maxChars: 8 }), ['aaaa', 'bbbb', '[REDACTED:size]']);
  });

  it('walks an error as type, message and stack, so an echoed input is redacted', () => {
    const error = Object.assign(new TypeError('bad input "Call 555-0134"'), { code: 'ERR_INPUT' });
    const redacted = redactValue({ err: error }) as { err: Record<string, unknown> };
    assert.equal(redacted.err.type, 'TypeError');
    assert.equal(redacted.err.message, 'bad input "Call [REDACTED:phone]"');
    assert.equal(redacted.err.code, 'ERR_INPUT');
    assert.match(String(redacted.err.stack), /^TypeError: bad input "Call \[REDACTED:phone\]"/);
  });

  it('walks values as they serialise: dates by toJSON, functions and symbols dropped', () => {
    const at = new Date('2024-06-10T14:53:54.120Z');
    assert.deepEqual(redactValue({ at, run: () => 1, tag: Symbol('x'), n: 3n }), {
      at: '2024-06-10T14:53:54.120Z',
      n: 3n,
    });
    assert.equal(redactValue('Thanks, Jane'), 'Thanks, [REDACTED:name]');
    assert.equal(redactValue(undefined), undefined);
  });
});
