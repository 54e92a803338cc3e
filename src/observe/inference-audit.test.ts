import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson } from '../audit/chain.ts';
import type { SpelledEntry } from '../state/store.ts';
import { inferenceAuditor, inferenceDetailsJson } from './inference-audit.ts';
import type { RequestContext } from '../pipeline/context.ts';
import type { Caller } from '../tenancy/tenant-directory.ts';

const BASE = {
  protocol: 'kserve-v2',
  model: 'triage-small',
  version: '1',
  route: 'direct',
  status: 200,
  latency_ms: 12.34,
};

test("an inference's details are spelled as canonicalJson spells them, whatever their shape", () => {
  const shapes = [
    BASE,
    { ...BASE, items: 3 },
    { ...BASE, tokens: 1234 },
    { ...BASE, model: null, version: null, route: null, status: 404, latency_ms: 0 },
    { ...BASE, route: 'fallback:chat-small', latency_ms: 1e21, items: 0 },
    { ...BASE, model: 'modèle "quoted" \\ \u2028 é', protocol: 'openai', latency_ms: 0.01 },
    { ...BASE, latency_ms: Number.NaN, tokens: Number.POSITIVE_INFINITY },
  ];
  // Twice, so that each shape also follows one of another model, route or status (the kept middles change).
  for (const details of [...shapes, ...[...shapes].reverse()])
    assert.equal(inferenceDetailsJson(details), canonicalJson(details));
});

test("one model's details follow each change of its protocol, route, status or version, one at a time", () => {
  const changes = [
    { protocol: 'openai' },
    { route: 'fallback:chat-small' },
    { status: 429 },
    { version: '2' },
    { version: null },
    { route: null },
  ];
  // Each change follows BASE and BASE follows it: one field apart, so a kept middle that missed it would be spelled.
  for (const change of changes) {
    for (const details of [BASE, { ...BASE, ...change }, BASE]) {
      assert.equal(inferenceDetailsJson(details), canonicalJson(details), JSON.stringify(change));
    }
  }
});

test('the auditor hands the sink spelled entries: their details as canonical text, the time as now', () => {
  const entries: SpelledEntry[] = [];
  const audit = inferenceAuditor('all', { recordSpelled: (entry) => entries.push(entry) });
  const before = Date.now();
  const caller = { tenant: { name: 'default' }, key: undefined } as unknown as Caller;
  const rows = { kind: 'rows', rows: [[0.1], [0.2]], provenance: { model: 'm', version: '2', route: 'direct' } };
  const remote = { kind: 'document', document: { usage: { total_tokens: 42 } }, provenance: rows.provenance };
  for (const answer of [rows, remote, undefined]) {
    const context = { answer, target: { name: 'm', version: '2' } } as unknown as RequestContext;
    audit?.({ protocol: 'openai', status: 200, seconds: 0.01234, caller, context });
  }
  audit?.({ protocol: 'openai', status: 429, seconds: 0.001, caller, context: undefined });
  assert.equal(entries.length, 4);
  const details = entries.map((entry) => JSON.parse(entry.detailsJson) as Record<string, unknown>);
  details.forEach((parsed, index) => assert.equal(entries[index]?.detailsJson, canonicalJson(parsed)));
  for (const { time } of entries) assert.ok(Date.parse(time) >= before && Date.parse(time) <= Date.now(), time);
  assert.deepEqual(
    details.map((parsed) => [parsed['items'], parsed['tokens']]),
    [
      [2, undefined],
      [undefined, 42],
      [undefined, undefined],
      [undefined, undefined],
    ],
  );
});
