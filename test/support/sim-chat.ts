import { join } from 'node:path';
import type { Sluice } from '../../src/http/server.ts';
import { openSqliteStore } from '../../src/state/sqlite-store.ts';
import { startTestSluice } from './server.ts';

/** The config of one OpenAI-dialect backend, `sim`, with the simulator as its replica and `chat` as its model. */
export function simChatBackends(simUrl: string) {
  return [
    {
      name: 'sim',
      dialect: 'openai' as const,
      replicas: [{ url: simUrl }],
      models: [{ name: 'chat', upstream: 'sim-small' }],
    },
  ];
}

/**
 * Sluice in front of the simulator's `chat`, its state in `directory`'s SQLite file (so a
 * second server on the same directory is a replica sharing the store), quality windows of
 * `windowItems` requests; `wallClock` moves its pins' and captures' times.
 */
export function startSimChatSluice(options: {
  readonly simUrl: string;
  readonly directory: string;
  readonly windowItems: number;
  readonly wallClock?: () => number;
}): Promise<Sluice> {
  return startTestSluice({
    load: false,
    store: openSqliteStore(join(options.directory, 'sluice.db')),
    ...(options.wallClock === undefined ? {} : { wallClock: options.wallClock }),
    config: {
      backends: simChatBackends(options.simUrl),
      quality: { window_items: options.windowItems, window_seconds: 3600 },
    },
  });
}
