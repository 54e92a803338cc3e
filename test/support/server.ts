/** An in-process sluice on the default models, for `inject()` tests and loopback clients. */
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { createSluice, type Sluice, type SluiceOverrides } from '../../src/http/server.ts';
import { defaultModelsDir } from './models.ts';

export interface TestSluiceOptions extends SluiceOverrides {
  /** Load and warm the models before returning (default true). */
  readonly load?: boolean;
  /** A repository other than the default models. */
  readonly repository?: string;
  readonly config?: Record<string, unknown>;
}

/**
 * The HTTP admission gate is off unless a test configures `admission`: its event-loop lag
 * guard reads CPU starvation as a backlog, and CI runs test files side by side on two
 * cores, so a protocol test would now and then get 429 instead of the 400 it checks.
 * The gate has its own tests (test/http-admission.test.ts), which configure it.
 */
const TESTS_WITHOUT_ADMISSION = { enabled: false };

export async function startTestSluice(options: TestSluiceOptions = {}): Promise<Sluice> {
  const repository = options.repository ?? (await defaultModelsDir());
  const config = loadConfig({
    env: {},
    overrides: {
      admission: TESTS_WITHOUT_ADMISSION,
      ...options.config,
      models: { ...sectionOf(options.config, 'models'), repository, build_defaults: false },
      server: { ...sectionOf(options.config, 'server'), port: 0, host: '127.0.0.1' },
    },
  });
  const overrides = {
    ...(options.openSession === undefined ? {} : { openSession: options.openSession }),
    ...(options.replaceBackoffMs === undefined ? {} : { replaceBackoffMs: options.replaceBackoffMs }),
    ...(options.slots === undefined ? {} : { slots: options.slots }),
    ...(options.store === undefined ? {} : { store: options.store }),
    ...(options.wallClock === undefined ? {} : { wallClock: options.wallClock }),
  };
  const sluice = createSluice(config, pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }), overrides);
  await sluice.openState();
  if (options.load !== false) await sluice.models.loadRepository(repository);
  return sluice;
}

/** A test's own `models` and `server` settings are kept; the repository and the address are always the test's. */
function sectionOf(config: Record<string, unknown> | undefined, name: 'models' | 'server'): Record<string, unknown> {
  const section = config?.[name];
  return typeof section === 'object' && section !== null ? (section as Record<string, unknown>) : {};
}
