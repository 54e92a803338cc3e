/** The README.md of a benchmark model: what it is for, that its weights are random, and its card. */
export interface BenchReadme {
  readonly name: string;
  readonly summary: string;
  /** One line drawing the graph. */
  readonly graph: string;
  readonly card: Readonly<Record<string, unknown>>;
}

export function benchReadme(readme: BenchReadme): string {
  const facts = Object.entries(readme.card).map(([key, value]) => `| ${key} | ${String(value)} |`);
  return [
    `# ${readme.name}`,
    '',
    readme.summary,
    '',
    'Built by `src/offline/bench-models/` for benchmarks only. The weights are seeded random',
    'numbers, not trained: the model costs what a real model of its shape costs, and its',
    'outputs carry no meaning. `golden.jsonl` holds random sample items (no labels) for',
    'load generators.',
    '',
    '```',
    readme.graph,
    '```',
    '',
    '| fact | value |',
    '| --- | --- |',
    ...facts,
    '',
  ].join('\n');
}
