/**
 * A model with fallbacks as one target: the model first, then each fallback in order,
 * while the one tried is unavailable or sheds the request (429) before any byte reached
 * the client. The last one's answer, whatever it is, goes to the client; the answer's
 * route says which model it came from (`fallback:<model>`). Each model is asked with a
 * ticket of its own scheduling (its priority levels and timeout), from the same arrival.
 */
import { performance } from 'node:perf_hooks';
import { isUpstreamUnavailable, SluiceError } from '../core/errors.ts';
import type { TicketScheduling } from './admit.ts';
import type { InferenceRequest } from './request.ts';
import type { Answer, Dispatch, PreparedCall, ProbeContext, Readiness, Target } from './target.ts';
import { dispatchWith } from './target.ts';

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

  metadata(context: ProbeContext, known: { readonly versions: readonly string[] }): Promise<Answer> {
    return this.primary.metadata(context, known);
  }

  probeReady(context: ProbeContext): Promise<Readiness> {
    return this.primary.probeReady(context);
  }

  statistics(): Readonly<Record<string, unknown>> | undefined {
    return this.primary.statistics();
  }

  private async run(request: InferenceRequest, first: PreparedCall, dispatch: Dispatch): Promise<Answer> {
    const chain = [this.primary, ...this.fallbacks()];
    // The client waited for every model tried: each one's own time is the upstream's, not sluice's.
    let earlierEngineMs = 0;
    for (const [position, target] of chain.entries()) {
      const last = position === chain.length - 1;
      const next = chain[position + 1]?.name;
      const started = performance.now();
      try {
        const prepared = position === 0 ? first : await target.prepare(request);
        const ticket = position === 0 ? dispatch.ticket : dispatch.ticketFor(target.scheduling);
        const answer = await prepared.run(dispatchWith(dispatch, { ticket }));
        if (answer.kind === 'rejection' && answer.status === TOO_MANY_REQUESTS && !last) {
          earlierEngineMs += answer.provenance.engineMs;
          dispatch.log.info({ model: target.name, next }, 'model is shedding (429): falling back');
          continue;
        }
        if (position === 0) return answer;
        const engineMs = earlierEngineMs + answer.provenance.engineMs;
        return { ...answer, provenance: { ...answer.provenance, route: `fallback:${target.name}`, engineMs } };
      } catch (error) {
        if (dispatch.signal.aborted || last || !(error instanceof SluiceError) || !isUpstreamUnavailable(error.code)) {
          throw error;
        }
        earlierEngineMs += performance.now() - started;
        dispatch.log.info({ model: target.name, next, code: error.code }, 'model unavailable: falling back');
      }
    }
    throw new Error('a fallback chain always holds its own model');
  }
}
