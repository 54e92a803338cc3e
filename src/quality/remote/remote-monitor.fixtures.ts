/** A remote chat model's monitor, windows of its answers and a store, as the pin tests use them. */
import type { TestContext } from 'node:test';
import { openSqliteStore } from '../../state/sqlite-store.ts';
import type { Store } from '../../state/store.ts';
import { RemoteQualityMonitor } from './remote-monitor.ts';

export const WINDOW = 50;
export const START = Date.UTC(2026, 2, 1);

export function monitor(clock = { now: START }): RemoteQualityMonitor {
  return new RemoteQualityMonitor(
    { name: 'chat', version: '1' },
    { windowItems: WINDOW, windowMs: 3_600_000, now: () => clock.now },
  );
}

/** A window of answers whose prompts are about `prompt` tokens. */
export function window(remote: RemoteQualityMonitor, prompt: number): void {
  for (let i = 0; i < WINDOW; i += 1) remote.answered(prompt + (i % 11), 20 + (i % 5), ['stop']);
}

/** A SQLite store in memory, closed when the test ends. */
export function store(t: TestContext): Store {
  const opened = openSqliteStore(':memory:');
  t.after(() => opened.close());
  return opened;
}
