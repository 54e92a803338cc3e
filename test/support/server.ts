/** An in-process sluice on the default models, for `inject()` tests and loopback clients. */
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { createSluice, type Sluice } from '../../src/server.ts';
import { defaultModelsDir } from './models.ts';

export async function startTestSluice(options: { load?: boolean } = {}): Promise<Sluice> {
  const repository = await defaultModelsDir();
  const config = loadConfig({ env: {}, overrides: { models: { repository, build_defaults: false }, server: { port: 0, host: '127.0.0.1' } } });
  const sluice = createSluice(config, pino({ level: 'silent' }));
  if (options.load !== false) await sluice.models.loadRepository(repository);
  return sluice;
}
