/** Small helpers for the generated model cards. */

export function markdownTable(headers: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

export function integer(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
