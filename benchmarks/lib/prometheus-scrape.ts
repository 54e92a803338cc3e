/**
 * Counters read from a server's `GET /metrics` (Prometheus text format), so a benchmark can
 * compare what a gateway sent upstream with what its clients asked for: the difference
 * between two scrapes around a run is that run's share.
 */

/** One sample: metric name, its labels, its value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE_LINE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL_PAIR = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = SAMPLE_LINE.exec(line);
    if (match === null) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(LABEL_PAIR)) labels[pair[1] ?? ''] = pair[2] ?? '';
    samples.push({ name: match[1] ?? '', labels, value });
  }
  return samples;
}

/** Every sample of `/metrics`; empty when it cannot be read (the caller reports "n/a"). */
export async function scrapeMetrics(origin: string): Promise<Sample[]> {
  try {
    const response = await fetch(`${origin}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return response.status === 200 ? parsePrometheusText(await response.text()) : [];
  } catch {
    return [];
  }
}

/** Sum of the samples named `name`, grouped by the value of `label` (all under "" without one). */
export function sumBy(samples: readonly Sample[], name: string, label?: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const sample of samples) {
    if (sample.name !== name) continue;
    const key = label === undefined ? '' : (sample.labels[label] ?? '');
    sums.set(key, (sums.get(key) ?? 0) + sample.value);
  }
  return sums;
}

/** `after − before` of the counters named `name`, per value of `label` (all under "" without one), for scrapes around a run. */
export function counterDelta(
  before: readonly Sample[],
  after: readonly Sample[],
  name: string,
  label?: string,
): Map<string, number> {
  const earlier = sumBy(before, name, label);
  const delta = new Map<string, number>();
  for (const [key, value] of sumBy(after, name, label)) delta.set(key, value - (earlier.get(key) ?? 0));
  return delta;
}
