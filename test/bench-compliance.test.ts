/**
 * The pure parts of the `compliance` benchmark (benchmarks/lib/compliance-report.ts): the
 * order of the variants in a round, each figure against the baseline of its own round
 * summarised as a median and range, issue 14's audit target, the audit log check and the
 * tables, and what each variant's server is configured with. No servers, no timings.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  auditCheckPassed,
  auditChecksTable,
  auditTarget,
  cpuPerThousand,
  roundOrder,
  roundsTable,
  summarise,
  summaryTable,
  variantConfig,
  type AuditCheck,
  type ComplianceRecord,
  type VariantKey,
} from '../benchmarks/lib/compliance-report.ts';

function row(round: number, side: VariantKey, okPerS: number, extra: Partial<ComplianceRecord> = {}): ComplianceRecord {
  return {
    round,
    side,
    users: 64,
    ok: okPerS * 10,
    okPerS,
    p50Ms: 20,
    p99Ms: 40,
    failureKinds: {},
    // One core busy for the 10 s row, whatever the rate.
    serverCpuSeconds: 10,
    cpu: { server: 1, client: 0.4, other: 0.1 },
    idleReached: true,
    meanBatch: 12.5,
    ...extra,
  };
}

test('each round starts one variant later, so none always runs first or last', () => {
  const variants = ['a', 'b', 'c'];
  assert.deepEqual(roundOrder(variants, 1), ['a', 'b', 'c']);
  assert.deepEqual(roundOrder(variants, 2), ['b', 'c', 'a']);
  assert.deepEqual(roundOrder(variants, 3), ['c', 'a', 'b']);
  assert.deepEqual(roundOrder(variants, 4), ['a', 'b', 'c']);
  assert.deepEqual(roundOrder([], 2), []);
});

test('CPU per 1000 requests is the server CPU of the row over its 2xx answers, and undefined without any', () => {
  assert.equal(cpuPerThousand({ ok: 20_000, serverCpuSeconds: 10 }), 0.5);
  assert.equal(cpuPerThousand({ ok: 0, serverCpuSeconds: 10 }), undefined);
});

test('a variant is compared with the baseline of the same round, then the ratios are summarised by median and range', () => {
  const records = [
    row(1, 'baseline', 2000),
    row(1, 'audit', 1800),
    row(2, 'audit', 1000),
    row(2, 'baseline', 1000), // a slow round for both: the ratio is 1, not 0.5
    row(3, 'baseline', 3000),
    row(3, 'audit', 2850),
    row(3, 'auth', 2700, { p99Ms: 80 }),
  ];
  const summaries = summarise(records);
  assert.deepEqual(
    summaries.map((summary) => [summary.variant, summary.rounds]),
    [
      ['baseline', 3],
      ['audit', 3],
      ['auth', 1],
    ],
  );
  const [baseline, audit, auth] = summaries;
  assert.equal(baseline?.ratios, undefined);
  assert.deepEqual(baseline?.figures.okPerS, { median: 2000, min: 1000, max: 3000 });
  assert.deepEqual(
    audit?.ratios?.okPerS?.pairs.map((pair) => pair.ratio),
    [0.9, 1, 0.95],
  );
  assert.equal(audit?.ratios?.okPerS?.median, 0.95);
  assert.equal(audit?.ratios?.okPerS?.min, 0.9);
  assert.equal(audit?.ratios?.okPerS?.max, 1);
  // The same CPU-seconds over fewer answers: a request costs more.
  assert.ok(Math.abs((audit?.ratios?.cpuPer1000?.median ?? 0) - 1 / 0.95) < 1e-9);
  assert.equal(auth?.ratios?.p99Ms?.median, 2);
  assert.equal(auth?.ratios?.okPerS?.pairs.length, 1);
});

test('a variant with no baseline in its round has no ratio, and a row with no 2xx no latency figure', () => {
  const summaries = summarise([row(1, 'redact', 500), row(2, 'baseline', 0, { ok: 0, p50Ms: undefined })]);
  const redact = summaries.find((summary) => summary.variant === 'redact');
  assert.notEqual(redact?.ratios, undefined);
  assert.equal(redact?.ratios?.okPerS, undefined);
  assert.match(summaryTable(summaries), /\| redact \(logging\.redact: true\) \| 500 \(500 to 500\) \| n\/a \|/);
  const baseline = summaries.find((summary) => summary.variant === 'baseline');
  assert.equal(baseline?.figures.p50Ms, undefined);
  assert.equal(baseline?.figures.cpuPer1000, undefined);
});

test('the audit target is met at a median throughput ratio of 0.95 or more, and missed below', () => {
  const met = auditTarget(summarise([row(1, 'baseline', 1000), row(1, 'audit', 950)]));
  assert.deepEqual(met, { verdict: 'met', measured: '0.95x', cost: '5.0%' });
  const missed = auditTarget(
    summarise([row(1, 'baseline', 1000), row(1, 'audit', 900), row(2, 'baseline', 1000), row(2, 'audit', 940)]),
  );
  assert.deepEqual(missed, { verdict: 'MISSED', measured: '0.92x (0.90x–0.94x)', cost: '8.0%' });
  assert.equal(auditTarget(summarise([row(1, 'baseline', 1000)])).verdict, 'n/a');
});

test('the summary table gives each figure as median (min to max) and its ratio to the baseline', () => {
  const table = summaryTable(
    summarise([
      row(1, 'baseline', 2000),
      row(1, 'all', 1500, { serverCpuSeconds: 12 }),
      row(2, 'baseline', 2200),
      row(2, 'all', 1650),
    ]),
  );
  const lines = table.split('\n');
  assert.equal(
    lines[0],
    '| variant | req/s | req/s ÷ baseline | CPU-s / 1000 req | CPU ÷ baseline | p50 ms | p50 ÷ baseline | p99 ms | p99 ÷ baseline |',
  );
  assert.equal(
    lines[2],
    '| baseline (auth off, audit none, redact off) | 2100 (2000 to 2200) | 1 (itself) | 0.48 (0.45 to 0.50) | 1 (itself) | 20 (20 to 20) | 1 (itself) | 40 (40 to 40) | 1 (itself) |',
  );
  assert.equal(
    lines[3],
    '| all (audit all + redact + auth) | 1575 (1500 to 1650) | 0.75x | 0.70 (0.61 to 0.80) | 1.47x (1.33x–1.60x) | 20 (20 to 20) | 1.00x | 40 (40 to 40) | 1.00x |',
  );
});

test('the rounds table shows every row with its throughput against its round’s baseline and its failures', () => {
  const table = roundsTable([
    row(1, 'baseline', 2000),
    row(1, 'audit', 1900, { failureKinds: { 'client timeout': 2 }, idleReached: false }),
  ]);
  const lines = table.split('\n');
  assert.equal(lines.length, 4);
  assert.equal(
    lines[3],
    '| 1 | audit | 1900 | 0.950x | 0.53 | 20 | 40 | 12.5 | client timeout 2 | 1.00 / 0.40 / 0.10 | NO |',
  );
});

test('the audit check passes only with one 2xx record per 2xx answer and a chain that verifies', () => {
  const good: AuditCheck = {
    variant: 'all',
    answered2xx: 1234,
    records2xx: 1234,
    recordsOther: 0,
    otherActions: 0,
    chain: 'ok (1234 records)',
    exitCode: 0,
  };
  assert.equal(auditCheckPassed(good), true);
  assert.equal(auditCheckPassed({ ...good, records2xx: 1233 }), false);
  assert.equal(auditCheckPassed({ ...good, chain: 'BROKEN at seq 7 (edited): …' }), false);
  assert.match(auditChecksTable([good]), /\| all \| 1234 \| 1234 \| 0 \| 0 \| ok \(1234 records\) \| 0 \| yes \|/);
});

test('each variant turns on its own stage, all turns on the three, and every server keeps its state apart; the keys: one to infer, one to read stats', () => {
  const hash = `sha256:${'0'.repeat(32)}:${'1'.repeat(64)}`;
  const keys = { tenant: 'bench', infer: { id: 'abcdefghjk', hash }, read: { id: 'mnpqrstuvw', hash } };
  const stages = (variant: VariantKey) => {
    const config = variantConfig(variant, `/tmp/${variant}`, keys) as {
      state: { directory: string };
      logging: { redact: boolean };
      audit: { inferences: string };
      auth: { enabled: boolean };
      quality: { enabled: boolean };
      ledger: { enabled: boolean };
      tenants: ReadonlyArray<{ keys: ReadonlyArray<{ scopes: readonly string[] }> }>;
    };
    return {
      state: config.state.directory,
      audit: config.audit.inferences,
      redact: config.logging.redact,
      auth: config.auth.enabled,
      quality: config.quality.enabled,
      ledger: config.ledger.enabled,
      keys: config.tenants.flatMap((tenant) => tenant.keys.map((each) => each.scopes.join())),
    };
  };
  const off = { audit: 'none', redact: false, auth: false, keys: [], ledger: true };
  assert.deepEqual(stages('baseline'), { state: '/tmp/baseline', ...off, quality: true });
  assert.deepEqual(stages('audit'), { state: '/tmp/audit', ...off, audit: 'all', quality: true });
  assert.deepEqual(stages('redact'), { state: '/tmp/redact', ...off, redact: true, quality: true });
  const authKeys = ['infer', 'read'];
  const auth = { state: '/tmp/auth', ...off, auth: true, keys: authKeys, quality: true };
  assert.deepEqual(stages('auth'), auth);
  assert.deepEqual(stages('all'), { ...auth, state: '/tmp/all', audit: 'all', redact: true });
  assert.deepEqual(stages('quality-off'), { state: '/tmp/quality-off', ...off, quality: false });
  assert.deepEqual(stages('ledger-off'), { state: '/tmp/ledger-off', ...off, quality: true, ledger: false });
});
