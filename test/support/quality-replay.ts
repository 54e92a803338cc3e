/**
 * Replaying streams through the default models and reading their quality report: the
 * end-to-end data quality tests (test/data-quality.test.ts, test/embedding-quality.test.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sluice } from '../../src/http/server.ts';
import type { QualityReport } from '../../src/quality/quality-monitor.ts';
import { startTestSluice } from './server.ts';

export type Item = Record<string, unknown>;

/** Items per window: one window per stream. */
export const WINDOW = 600;

/** A default model's golden items, without their labels. */
export function goldenItems(repository: string, model: string): Item[] {
  return readFileSync(join(repository, model, '1', 'golden.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const { label: _label, ...item } = JSON.parse(line) as Item;
      return item;
    });
}

/** A server whose windows close after WINDOW items. */
export async function monitored(repository: string): Promise<Sluice> {
  return startTestSluice({ repository, config: { quality: { window_items: WINDOW } } });
}

export async function replay(sluice: Sluice, model: string, items: ReadonlyArray<Item>): Promise<void> {
  for (let start = 0; start < items.length; start += 50) {
    const response = await sluice.app.inject({
      method: 'POST',
      url: `/v1/models/${model}:predict`,
      payload: { instances: items.slice(start, start + 50) },
    });
    assert.equal(response.statusCode, 200, response.body);
  }
}

export async function report(sluice: Sluice, model: string): Promise<QualityReport> {
  const response = await sluice.app.inject({ url: `/admin/models/${model}/quality` });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<QualityReport>();
}

/** The flagged features as `name:test`; `input` leaves out the model's outputs. */
export const drifted = (result: QualityReport, source: 'input' | 'all' = 'all'): string[] =>
  result.features
    .filter((feature) => feature.drifted)
    .filter((feature) => source === 'all' || !['confidence', 'predicted_class'].includes(feature.name))
    .map((feature) => `${feature.name}:${feature.test}`);
