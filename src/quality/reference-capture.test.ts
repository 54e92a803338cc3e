import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SluiceError } from '../core/errors.ts';
import type { Item } from '../pipeline/request.ts';
import type { Feature } from './features.ts';
import { QualityMonitor } from './quality-monitor.ts';
import { captureReference, type CaptureRequest } from './reference-capture.ts';
import { PROFILE_FILE, readProfile, type ReferenceProfile } from './reference-profile.ts';

const directory = mkdtempSync(join(tmpdir(), 'sluice-capture-'));
after(() => rmSync(directory, { recursive: true, force: true }));

const FEATURES: Feature[] = [
  { name: 'age', kind: 'numeric', source: 'input', read: (item) => item['age'] as number | undefined },
  { name: 'channel', kind: 'categorical', source: 'input', read: (item) => item['channel'] as string | undefined },
];
const MODEL = { name: 'noshow-risk', version: '1' };

const original: ReferenceProfile = {
  format: 1,
  ...{ model: MODEL.name, version: MODEL.version },
  source: 'the build',
  rows: 3,
  features: { age: { kind: 'numeric', values: [30, 40, 50] }, channel: { kind: 'categorical', counts: { sms: 3 } } },
};

function monitorOf(windowItems: number, features = FEATURES): QualityMonitor {
  return new QualityMonitor(MODEL, features, original, { windowItems, windowMs: 3_600_000, now: () => 1_000 });
}

const items = (count: number, from = 0): Item[] =>
  Array.from({ length: count }, (_, n) => ({ age: from + n, channel: n % 2 === 0 ? 'sms' : 'email' }));

function request(monitor: QualityMonitor | undefined, overrides: Partial<CaptureRequest> = {}): CaptureRequest {
  const base = { model: MODEL, monitor, modelDir: directory, window: 'last_closed', actor: 'k-admin', at: 0 } as const;
  return { ...base, vocabularySize: 10_000, ...overrides };
}

function refusal(code: string, field: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof SluiceError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.field, field);
    return true;
  };
}

describe('captureReference', () => {
  test('makes the last closed window’s rows the profile, on disk, tested from the next window on', () => {
    const monitor = monitorOf(10);
    monitor.observe(items(10), undefined);
    monitor.observe(items(4, 100), undefined);
    const { profile, file } = captureReference(request(monitor));
    assert.equal(profile.rows, 10);
    assert.deepEqual(profile.features['channel'], { kind: 'categorical', counts: { sms: 5, email: 5 } });
    assert.deepEqual(profile.features['age'], { kind: 'numeric', values: items(10).map((item) => item['age']) });
    assert.match(
      profile.source,
      /^live traffic of window .* \(last_closed\), 10 of its 10 items, captured through the admin API by k-admin at 1970-01-01T00:00:00.000Z$/,
    );
    assert.deepEqual(profile.captured, { at: '1970-01-01T00:00:00.000Z', by: 'k-admin' });
    assert.deepEqual(monitor.referenceSummary(), {
      source: profile.source,
      rows: 10,
      origin: 'captured',
      made_at: '1970-01-01T00:00:00.000Z',
      made_by: 'k-admin',
    });
    assert.equal(file, join(directory, PROFILE_FILE));
    assert.deepEqual(readProfile(directory), profile, 'it lasts: the file holds it');
    assert.deepEqual(readdirSync(directory), [PROFILE_FILE], 'no temporary file is left beside it');
    monitor.observe(items(6, 104), undefined);
    assert.equal(monitor.report().reference?.source, 'the build', 'the window open at the capture keeps its reference');
    monitor.observe(items(10), undefined);
    assert.equal(monitor.report().reference?.source, profile.source, 'the next window is tested against the capture');
  });

  test('captures the open window so far, when asked', () => {
    const monitor = monitorOf(100);
    monitor.observe(items(7), undefined);
    const { profile } = captureReference(request(monitor, { window: 'current' }));
    assert.equal(profile.rows, 7);
    assert.match(profile.source, /\(current\), 7 of its 7 items/);
  });

  test('keeps a uniform 1,000 rows of a long window, not all of them', () => {
    const monitor = monitorOf(100_000);
    for (let n = 0; n < 50; n++) monitor.observe(items(100, n * 100), undefined);
    const sample = monitor.sampleOf('current');
    assert.equal(sample?.count, 5_000);
    assert.equal(sample?.rows.length, 1000);
    const late = sample?.rows.filter((row) => Number(row[0]) >= 2_500).length ?? 0;
    assert.ok(late > 400 && late < 600, `${late} of the 1,000 rows come from the window's second half`);
  });

  test('puts the fills in force once the profile is written, and changes nothing when they cannot be taken from it', () => {
    const modelDir = mkdtempSync(join(directory, 'fills-'));
    const monitor = monitorOf(10);
    monitor.observe(items(10), undefined);
    const unusable = new SluiceError('ERR_QUALITY_REFERENCE_UNUSABLE', 'cannot fill field "age"', { field: 'window' });
    const refusing = () => {
      throw unusable;
    };
    assert.throws(() => captureReference(request(monitor, { modelDir, fillsFrom: refusing })), unusable);
    assert.deepEqual(readdirSync(modelDir), [], 'no profile written');
    assert.equal(monitor.referenceSummary()?.source, 'the build', 'the monitor keeps its reference');
    const seen: string[] = [];
    const { profile } = captureReference(
      request(monitor, {
        modelDir,
        fillsFrom: (next) => {
          seen.push(`checked ${next.rows} rows`);
          return () => seen.push(`in force, ${readdirSync(modelDir).join()} written`);
        },
      }),
    );
    assert.deepEqual(seen, ['checked 10 rows', `in force, ${PROFILE_FILE} written`]);
    assert.equal(monitor.referenceSummary()?.source, profile.source);
  });

  test('refuses a model sluice does not monitor, one without features, and an empty window, naming each', () => {
    assert.throws(() => captureReference(request(undefined)), refusal('ERR_MODEL_UNSUPPORTED_OPERATION', 'model'));
    const featureless = monitorOf(10, []);
    featureless.observe(items(10), undefined);
    assert.throws(() => captureReference(request(featureless)), refusal('ERR_MODEL_UNSUPPORTED_OPERATION', 'model'));
    const fresh = monitorOf(10);
    assert.throws(
      () => captureReference(request(fresh)),
      (error: Error) => {
        assert.match(error.message, /no window has closed yet; .* capture window "current"/);
        return refusal('ERR_QUALITY_WINDOW_EMPTY', 'window')(error);
      },
    );
    assert.throws(
      () => captureReference(request(fresh, { window: 'current' })),
      refusal('ERR_QUALITY_WINDOW_EMPTY', 'window'),
    );
  });
});
