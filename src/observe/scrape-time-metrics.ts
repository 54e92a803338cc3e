/**
 * Metrics read from a component's own stats when Prometheus scrapes, instead of being
 * kept in step by hand on every change. Each scrape starts from zero, so a label set
 * that is gone (a model unloaded, a tenant no longer shed) disappears instead of freezing
 * at its last value.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** One value and the labels it carries. */
export type Reading<L extends string> = readonly [labels: Partial<Record<L, string>>, value: number];

interface ScrapeTimeMetric<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
  /** Every value to export now. */
  readonly read: () => Iterable<Reading<L>>;
}

/** A gauge whose values are read from stats at scrape time. */
export function scrapeTimeGauge<L extends string>(registry: Registry, metric: ScrapeTimeMetric<L>): void {
  new Gauge<L>({
    ...optionsOf(registry, metric),
    collect() {
      this.reset();
      for (const [labels, value] of metric.read()) this.set(labels, value);
    },
  });
}

/** A counter mirroring totals a component keeps itself (they only grow, so neither does the counter). */
export function scrapeTimeCounter<L extends string>(registry: Registry, metric: ScrapeTimeMetric<L>): void {
  new Counter<L>({
    ...optionsOf(registry, metric),
    collect() {
      this.reset();
      for (const [labels, value] of metric.read()) this.inc(labels, value);
    },
  });
}

function optionsOf<L extends string>(registry: Registry, metric: ScrapeTimeMetric<L>) {
  return { name: metric.name, help: metric.help, labelNames: metric.labelNames ?? [], registers: [registry] };
}
