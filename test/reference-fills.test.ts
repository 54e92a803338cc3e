/**
 * Fills from the reference follow a reference captured through the admin API at once, end
 * to end on a copy of noshow-risk whose `age` and `channel` fill from its reference under
 * the `impute` policy: an item lacking both is answered as the item with the built
 * profile's typical values, then, from the request after a capture, as the item with the
 * captured window's; requests racing a capture are each filled from one reference, never
 * from both; a restarted server fills from the captured profile it reads beside the model.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { typical } from '../src/engines/local/normalize/fill-values.ts';
import type { Sluice } from '../src/http/server.ts';
import { parseProfile } from '../src/quality/reference-profile.ts';
import { repositoryWith } from './support/repository.ts';
import { startTestSluice } from './support/server.ts';

type Spec = { inputs: Array<Record<string, unknown>>; quality?: unknown };
type Fills = { readonly age: number; readonly channel: string };

const WINDOW = 50;
const WHOLE = {
  age: 29,
  lead_time_days: 25,
  prior_no_shows: 1,
  reminder_sent: false,
  weekday: 'wed',
  channel: 'phone',
};
const LACKING = { lead_time_days: 25, prior_no_shows: 1, reminder_sent: false, weekday: 'wed' };
const CHANNELS = ['phone', 'web', 'referral'];

let repository: string;
let sluice: Sluice;
let built: Fills;

const start = () => startTestSluice({ repository, config: { quality: { window_items: WINDOW } } });

before(async () => {
  repository = await repositoryWith<Spec>('noshow-risk', (spec) => {
    for (const input of spec.inputs)
      if (input['name'] === 'age' || input['name'] === 'channel') input['fill'] = { from: 'reference' };
    spec.quality = { partial_data: { policy: 'impute' } };
  });
  sluice = await start();
  built = fillsOf(join(repository, 'noshow-risk', '1', 'reference-profile.json'));
});

after(async () => {
  await sluice.close();
});

function fillsOf(file: string): Fills {
  const { features } = parseProfile(JSON.parse(readFileSync(file, 'utf8')), file);
  const age = features['age'] === undefined ? undefined : typical(features['age']);
  const channel = features['channel'] === undefined ? undefined : typical(features['channel']);
  assert.ok(typeof age === 'number' && typeof channel === 'string', `${file} gives both fills`);
  return { age, channel };
}

/** The probabilities the model answers for `instances`. */
async function predict(instances: readonly object[]): Promise<unknown[]> {
  const response = await sluice.app.inject({
    method: 'POST',
    url: '/v1/models/noshow-risk:predict',
    payload: { instances },
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<{ predictions: unknown[] }>().predictions;
}

const answerOf = async (fills: Fills): Promise<unknown> => (await predict([{ ...WHOLE, ...fills }]))[0];

/** A closed window of items holding `fills`, captured as the reference. */
async function captureWindowOf(fills: Fills): Promise<void> {
  await predict(Array.from({ length: WINDOW }, () => ({ ...WHOLE, ...fills })));
  const response = await sluice.app.inject({ method: 'POST', url: '/admin/models/noshow-risk/reference', payload: {} });
  assert.equal(response.statusCode, 201, response.body);
}

describe('fills from a reference captured through the admin API', () => {
  test('take effect from the next request, with no restart', async () => {
    const captured = { age: 77, channel: CHANNELS.find((channel) => channel !== built.channel) ?? 'web' };
    assert.notDeepEqual(await answerOf(built), await answerOf(captured), 'the two fills answer differently');
    assert.deepEqual(await predict([LACKING]), [await answerOf(built)], 'the built profile fills first');
    await captureWindowOf(captured);
    assert.deepEqual(await predict([LACKING]), [await answerOf(captured)]);
  });

  test('a request racing a capture is filled from one reference or the other, never from both', async () => {
    const old = fillsOf(join(repository, 'noshow-risk', '1', 'reference-profile.json'));
    const next = { age: 15, channel: CHANNELS.find((channel) => channel !== old.channel) ?? 'web' };
    const pure = [await answerOf(old), await answerOf(next)];
    const mixed = [await answerOf({ ...old, age: next.age }), await answerOf({ ...next, age: old.age })];
    for (const answer of mixed) assert.ok(!pure.some((one) => isDeepEqual(one, answer)), 'a mix is told apart');
    // The window the capture takes, then requests of three lacking items each around the capture.
    await predict(Array.from({ length: WINDOW }, () => ({ ...WHOLE, ...next })));
    // Sent a turn of the event loop apart, the capture among them: some are filled before it, some after. It comes
    // before their items close the window after the captured one (24 of 50 items), which would then be captured.
    const racing: Array<Promise<unknown[]>> = [];
    let capture: Promise<{ statusCode: number; body: string }> | undefined;
    for (let n = 0; n < 40; n += 1) {
      if (n === 8)
        capture = sluice.app.inject({ method: 'POST', url: '/admin/models/noshow-risk/reference', payload: {} });
      racing.push(predict([LACKING, LACKING, LACKING]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const answers = await Promise.all(racing);
    assert.ok(capture !== undefined);
    const captured = await capture;
    assert.equal(captured.statusCode, 201, captured.body);
    const froms = answers.map((answer) => {
      const from = pure.findIndex((one) => answer.every((item) => isDeepEqual(item, one)));
      assert.notEqual(from, -1, `every item of a request filled from one reference: ${JSON.stringify(answer)}`);
      return from;
    });
    assert.ok(froms.includes(0) && froms.includes(1), `both references fill some of them: ${froms.join('')}`);
    assert.deepEqual(await predict([LACKING]), [pure[1]], 'and the captured one after it');
  });

  test('a restarted server fills from the captured profile beside the model', async () => {
    const captured = fillsOf(join(repository, 'noshow-risk', '1', 'reference-profile.json'));
    await sluice.close();
    sluice = await start();
    assert.deepEqual(await predict([LACKING]), [await answerOf(captured)]);
  });
});

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}
