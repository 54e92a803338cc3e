/**
 * What shedding can leave for serving, from two costs measured on the server's core:
 * `servedUs`, the CPU per request served at capacity, and `refusedUs`, the CPU per
 * request a bare `node:http` server spends answering 429 (benchmarks/refusal-floor-server.ts).
 *
 * A server that answers every arrival, at m times capacity, serving A a second and
 * refusing the rest, spends A·served + (m·capacity − A)·refused ≤ 1 core-second a second:
 *
 *   A ≤ (1 − m·capacity·refused) ÷ (served − refused)
 *
 * That is the most goodput any Node.js server could keep there, however cleverly it chose
 * what to refuse: below it, refusals alone take the core.
 */
import type { CpuCores } from './process-usage.ts';
import { formatPercent, formatRate, markdownTable, type Column } from './report.ts';

export interface FloorMeasurement {
  /** 429s a second the bare server answered (closed loop). */
  readonly refusalsPerS: number;
  readonly cpu: CpuCores;
}

export interface ShedBound {
  readonly multiplier: number;
  readonly arrivalsPerS: number;
  /** The most 2xx a second a server answering every arrival could keep, as a share of capacity (0–1). */
  readonly goodputFraction: number;
}

export interface FloorReport {
  readonly servedUs: number;
  readonly refusedUs: number;
  readonly bounds: readonly ShedBound[];
}

export function shedBounds(
  capacity: { readonly okPerS: number; readonly serverCores: number },
  floor: FloorMeasurement,
  multipliers: readonly number[],
): FloorReport {
  const served = capacity.serverCores / capacity.okPerS;
  const refused = floor.cpu.server / floor.refusalsPerS;
  const bounds = multipliers.map((multiplier) => {
    const arrivalsPerS = multiplier * capacity.okPerS;
    const kept = served > refused ? (1 - arrivalsPerS * refused) / (served - refused) : 0;
    return { multiplier, arrivalsPerS, goodputFraction: Math.min(1, Math.max(0, kept / capacity.okPerS)) };
  });
  return { servedUs: served * 1e6, refusedUs: refused * 1e6, bounds };
}

export function floorTable(report: FloorReport): string {
  const columns: Column<ShedBound>[] = [
    { header: 'load', cell: (bound) => `${bound.multiplier}x`, align: 'left' },
    { header: 'arrivals/s', cell: (bound) => formatRate(bound.arrivalsPerS), align: 'right' },
    {
      header: 'most goodput a Node.js server answering every arrival could keep',
      cell: (bound) => formatPercent(bound.goodputFraction),
      align: 'right',
    },
  ];
  return markdownTable(columns, report.bounds);
}
