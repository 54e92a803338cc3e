/**
 * The timer behind `LoopLagGuard`: calls `onTurn` every `tickMs` for as long as the loop
 * lets it. Unreferenced, so it never keeps a process alive that has nothing else to do.
 */
export interface LoopProbe {
  stop(): void;
}

export function startLoopProbe(onTurn: () => void, tickMs: number): LoopProbe {
  const timer = setInterval(onTurn, tickMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
