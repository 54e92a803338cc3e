/** An in-process sluice on the default models, for `inject()` tests and loopback clients. */
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { createSluice, type Sluice, type SluiceOverrides } from '../../src/server.ts';
import { defaultModelsDir } from './models.ts';

export interface TestSluiceOptions extends SluiceOverrides {
  /** Load and warm the models before returning (default true). */
  readonly load?: boolean;
  /** A repository other than the default models. */
  readonly repository?: string;
  readonly config?: Record<string, unknown>;
}

export async function startTestSluice(options: TestSluiceOptions = {}): Promise<Sluice> {
  const repository = options.repository ?? (await defaultModelsDir());
  const config = loadConfig({
    env: {},
    overrides: { ...options.config, models: { repository, build_defaults: false }, server: { port: 0, host: '127.0.0.1' } },
  });
  const sluice = createSluice(config, pino({ level: 'silent' }), options.openSession === undefined ? {} : { openSession: options.openSession });
  if (options.load !== false) await sluice.models.loadRepository(repository);
  return sluice;
}
