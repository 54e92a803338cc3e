import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { repositoryWith } from '../../../../test/support/repository.ts';
import { SluiceError } from '../../../core/errors.ts';
import type { ReferenceProfile } from '../../../quality/reference-profile.ts';
import { readModelVersion } from './repository.ts';
import { ServedModel } from './served-model.ts';

type Spec = { inputs: Array<Record<string, unknown>>; quality?: unknown };

const LACKING = { lead_time_days: 25, prior_no_shows: 1, reminder_sent: false, weekday: 'wed' };
const label = (index: number) => `instances[${index}]`;

let model: ServedModel;

before(async () => {
  const root = await repositoryWith<Spec>('noshow-risk', (spec) => {
    for (const input of spec.inputs)
      if (input['name'] === 'age' || input['name'] === 'channel') input['fill'] = { from: 'reference' };
    spec.quality = { partial_data: { policy: 'impute' } };
  });
  // Never started: checking items needs no session.
  model = new ServedModel(readModelVersion(join(root, 'noshow-risk', '1')), {
    intraOpThreads: 1,
    maxItemsPerRequest: 16,
    loadControl: false,
  });
});

function profile(features: ReferenceProfile['features']): ReferenceProfile {
  return { format: 1, model: 'noshow-risk', version: '1', source: 'a test', rows: 3, features };
}

function filled(): Array<[unknown, unknown]> {
  const checked = model.check([LACKING, LACKING], label);
  return checked.items.map((item) => [item['age'], item['channel']]);
}

test('fills from a new profile are in force from the next check, for every item of it, and not before', () => {
  const before = filled();
  const next = profile({
    age: { kind: 'numeric', values: [70, 77, 90] },
    channel: { kind: 'categorical', counts: { referral: 3, web: 1 } },
  });
  const useFills = model.fillsFrom(next);
  assert.deepEqual(filled(), before, 'checked, not yet in force');
  useFills();
  assert.deepEqual(filled(), [
    [77, 'referral'],
    [77, 'referral'],
  ]);
});

test('a profile that cannot fill a field is refused naming it, and the fills stay as they were', () => {
  const before = filled();
  const lacksAge = profile({ channel: { kind: 'categorical', counts: { web: 3 } } });
  assert.throws(
    () => model.fillsFrom(lacksAge),
    (error: unknown) => {
      assert.ok(error instanceof SluiceError);
      assert.equal(error.code, 'ERR_QUALITY_REFERENCE_UNUSABLE');
      assert.equal(error.field, 'window');
      assert.match(error.message, /cannot fill field "age" \(from reference, but the reference profile has no feature "age"\)/);
      return true;
    },
  );
  assert.deepEqual(filled(), before);
});
