import { FakeClock } from '../core/clock.ts';
import type { ModelSession } from '../engines/local/models/model-session.ts';
import { InstancePool } from '../engines/local/models/instance-pool.ts';
import { AdaptiveLimit } from './adaptive-limit.ts';
import { runConcurrencyGateContract } from './concurrency-gate.contract.ts';
import { FixedGate } from './concurrency-gate.ts';

/** Zero-length windows of one sample: every measured outcome may move the limit. */
const adaptive = (initialLimit: number): AdaptiveLimit =>
  new AdaptiveLimit({ initialLimit, minLimit: 1, maxLimit: 8, windowMs: 0, windowSamples: 1, clock: new FakeClock() });

/** A pool whose instances are all ready; the sessions are never run, only counted. */
async function readyPool(instances: number, limit?: AdaptiveLimit): Promise<InstancePool> {
  const session: ModelSession = { run: async (batch) => batch, release: async () => {} };
  const pool = new InstancePool({ start: async () => session, limit, onCapacity: () => {} });
  await pool.scaleTo(instances);
  return pool;
}

runConcurrencyGateContract('FixedGate', () => new FixedGate(3));
runConcurrencyGateContract('AdaptiveLimit', () => adaptive(4));
runConcurrencyGateContract('InstancePool', () => readyPool(3));
runConcurrencyGateContract('InstancePool under an AdaptiveLimit', () => readyPool(6, adaptive(3)));
