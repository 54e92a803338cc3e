/**
 * A signal that aborts when either of two does, for one upstream attempt: the client's
 * request and the attempt's own cancel (a hedge won). `AbortSignal.any` does the same
 * but registers weak references and a finalizer on both sources, which the garbage
 * collector must process; two listeners, taken off when the attempt is over, cost less
 * on a path taken for every proxied request.
 */
export interface EitherSignal {
  readonly signal: AbortSignal;
  /** The attempt is over: stop listening to the sources (the signal stays as it is). */
  release(): void;
}

export function eitherSignal(first: AbortSignal, second: AbortSignal): EitherSignal {
  const aborted = first.aborted ? first : second.aborted ? second : undefined;
  if (aborted !== undefined) return { signal: AbortSignal.abort(aborted.reason), release: () => undefined };
  const controller = new AbortController();
  const release = (): void => {
    first.removeEventListener('abort', onFirst);
    second.removeEventListener('abort', onSecond);
  };
  const onFirst = (): void => {
    release();
    controller.abort(first.reason);
  };
  const onSecond = (): void => {
    release();
    controller.abort(second.reason);
  };
  first.addEventListener('abort', onFirst, { once: true });
  second.addEventListener('abort', onSecond, { once: true });
  return { signal: controller.signal, release };
}
