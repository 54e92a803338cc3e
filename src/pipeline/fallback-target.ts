/**
 * A model with fallbacks as one target: the model first, then each fallback in order,
 * while the one tried is unavailable or sheds the request (429) before any byte reached
 * the client. The last one's answer, whatever it is, goes to the client; the answer's
 * route says which model it came from (`fallback:<model>`).
 */
import { SluiceError } from '../core/errors.ts';
import type { TicketScheduling } from './admit.ts';
import type { InferenceRequest } from './request.ts';
import type { Answer, Dispatch, PreparedCall, ProbeContext, Target } from './target.ts';

/** Failures after which the next target is tried: nothing has reached the client yet (the 429s: the model sheds). */
const FALL_BACK_ON: ReadonlySet<string> = new Set([
  'ERR_UPSTREAM_UNAVAILABLE',
  'ERR_UPSTREAM_NO_REPLICA',
  'ERR_UPSTREAM_RATE_LIMITED',
  'ERR_UPSTREAM_CONCURRENCY_LIMIT',
]);

const TOO_MANY_REQUESTS = 429;

export class FallbackTarget implements Target {
  /** `fallbacks` is read at each request, so it may name targets registered after this one. */
  constructor(
    private readonly primary: Target,
    private readonly fallbacks: () => readonly Target[],
  ) {}

  get name(): string {
    return this.primary.name;
  }
  get version(): string {
    return this.primary.version;
  }
  get owner(): string {
    return this.primary.owner;
  }
  get scheduling(): TicketScheduling {
    return this.primary.scheduling;
  }
  get ready(): boolean {
    return this.primary.ready;
  }
  get state(): string {
    return this.primary.state;
  }
  get description() {
    return this.primary.description;
  }

  async prepare(request: InferenceRequest): Promise<PreparedCall> {
    const first = await this.primary.prepare(request);
    return { run: (dispatch) => this.run(request, first, dispatch) };
  }

  upstreamMetadata(context: ProbeContext): Promise<Answer | undefined> {
    return this.primary.upstreamMetadata(context);
  }

  probeReady(context: ProbeContext): Promise<boolean> {
    return this.primary.probeReady(context);
  }

  statistics(): Readonly<Record<string, unknown>> | undefined {
    return this.primary.statistics();
  }

  private async run(request: InferenceRequest, first: PreparedCall, dispatch: Dispatch): Promise<Answer> {
    const chain = [this.primary, ...this.fallbacks()];
    for (const [position, target] of chain.entries()) {
      const last = position === chain.length - 1;
      const next = chain[position + 1]?.name;
      try {
        const prepared = position === 0 ? first : await target.prepare(request);
        const answer = await prepared.run(dispatch);
        if (answer.kind === 'rejection' && answer.status === TOO_MANY_REQUESTS && !last) {
          dispatch.log.info({ model: target.name, next }, 'model is shedding (429): falling back');
          continue;
        }
        if (position === 0) return answer;
        return { ...answer, provenance: { ...answer.provenance, route: `fallback:${target.name}` } };
      } catch (error) {
        if (dispatch.signal.aborted || last || !(error instanceof SluiceError) || !FALL_BACK_ON.has(error.code)) {
          throw error;
        }
        dispatch.log.info({ model: target.name, next, code: error.code }, 'model unavailable: falling back');
      }
    }
    throw new Error('a fallback chain always holds its own model');
  }
}
