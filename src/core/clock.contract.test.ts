import { setTimeout as sleep } from 'node:timers/promises';
import { runClockContract } from './clock.contract.ts';
import { FakeClock, RealClock } from './clock.ts';

runClockContract('FakeClock', () => {
  const clock = new FakeClock(1_000);
  return { clock, pass: async (ms) => clock.advance(ms) };
});

// A real timer set after the clock's, for longer, fires after them: Node fires timers in due order.
runClockContract('RealClock', () => ({ clock: new RealClock(), pass: (ms) => sleep(ms + 5) }));
