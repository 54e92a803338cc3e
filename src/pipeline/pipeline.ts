/**
 * The request pipeline, the one path every inference request takes, local model or
 * remote, streamed or not (docs/lifecycle.md draws it):
 *
 *   resolve → validate → (quality) → (limits) → (cache) → route → admit → dispatch → (observe)
 *
 * The stages in brackets are slots for platform stages; an empty slot costs one length
 * check. A slot stage may answer on its own (a cache hit sets `context.answer`), and then
 * route, admit and dispatch are skipped.
 */
import { authorizeModel } from '../tenancy/tenant-directory.ts';
import { performance } from 'node:perf_hooks';
import { SluiceError, toSluiceError } from '../core/errors.ts';
import { armTicket, makeTicket, type TicketScheduling } from './admit.ts';
import type { AnsweredContext, RequestContext } from './context.ts';
import type { Ticket } from '../core/ticket.ts';
import type { Answer, Dispatch, PreparedCall, StreamAnswer, Target, TargetLog } from './target.ts';
import type { TargetDirectory } from './target-directory.ts';

/** A platform stage in one of the pipeline's slots. */
export interface PipelineStage {
  readonly name: string;
  run(context: RequestContext): void | Promise<void>;
  /** Observe stages only: hears a request the pipeline refused or failed after resolving it (never throws). */
  rejected?(context: RequestContext, failure: SluiceError): void;
}

export interface PipelineSlots {
  readonly quality: readonly PipelineStage[];
  /** Rate limits and budgets (src/cost/limits): before the cache, so every request counts. */
  readonly limits?: readonly PipelineStage[];
  readonly cache: readonly PipelineStage[];
  readonly observe: readonly PipelineStage[];
}

export const EMPTY_SLOTS: PipelineSlots = Object.freeze({ quality: [], cache: [], observe: [] });

export interface PipelineOptions {
  /** Off: no deadlines, one priority level (the overload benchmark's naive baseline). */
  readonly loadControl: boolean;
  /** True once shutdown began: new requests are refused while accepted ones finish. */
  readonly draining: () => boolean;
  readonly slots?: PipelineSlots;
  /** Hears each dispatch start, for the in-flight gauge; what it returns is called once the answer is complete. */
  readonly onDispatch?: (context: RequestContext) => (() => void) | undefined;
}

export class InferencePipeline {
  private readonly slots: PipelineSlots;

  constructor(
    private readonly directory: TargetDirectory,
    private readonly options: PipelineOptions,
  ) {
    this.slots = options.slots ?? EMPTY_SLOTS;
  }

  async run(context: RequestContext): Promise<AnsweredContext> {
    try {
      const target = this.resolve(context);
      context.prepared = await target.prepare(context.request, context); // validate
      // `await` only what waits: an empty slot, or one of synchronous stages, costs no microtask.
      let waiting = runStages(this.slots.quality, context, UNTIL_ANSWERED);
      if (waiting !== undefined) await waiting;
      waiting = runStages(this.slots.limits ?? NO_STAGES, context, UNTIL_ANSWERED);
      if (waiting !== undefined) await waiting;
      waiting = runStages(this.slots.cache, context, UNTIL_ANSWERED);
      if (waiting !== undefined) await waiting;
      if (context.answer === undefined) {
        this.route(target);
        const ticket = this.admit(context, target);
        await this.dispatch(context, context.prepared, ticket);
      }
      waiting = runStages(this.slots.observe, context, EVERY_STAGE);
      if (waiting !== undefined) await waiting;
      return context as AnsweredContext;
    } catch (error) {
      // A stream not relayed is closed, so its upstream call and slot are freed.
      if (context.answer?.kind === 'stream') context.answer.discard();
      const failure = toSluiceError(error);
      if (this.slots.observe.length > 0) for (const stage of this.slots.observe) stage.rejected?.(context, failure);
      throw failure;
    }
  }

  /** The model version the request names, if the caller's key may call it; nothing new is taken once shutdown began. */
  private resolve(context: RequestContext): Target {
    if (this.options.draining()) {
      throw new SluiceError('ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down and accepts no new requests');
    }
    const target = this.directory.resolve(context.request.model, context.request.version);
    authorizeModel(context.caller, target.name);
    return (context.target = target);
  }

  /** Only targets that take traffic are sent any; compositions (fallbacks) choose their arm inside. */
  private route(target: Target): void {
    if (!target.ready) {
      throw new SluiceError('ERR_MODEL_NOT_READY', `model "${target.name}" is not ready yet (${target.state})`);
    }
  }

  /** Settles the request's priority, tenant share and deadline; the target admits or sheds on them. */
  private admit(context: RequestContext, target: Target): Ticket {
    const { tenant, request } = context;
    const ticket = makeTicket(target.scheduling, tenant, request.limits, performance.now(), this.options.loadControl);
    return (context.ticket = ticket);
  }

  /** Counted in flight until its answer is complete: a stream until it is relayed or discarded. */
  private async dispatch(context: RequestContext, prepared: PreparedCall, ticket: Ticket): Promise<void> {
    const dispatch = new PipelineDispatch(context, ticket, performance.now(), this.options.loadControl);
    const done = this.options.onDispatch?.(context) ?? noop;
    let answer: Answer;
    try {
      answer = await prepared.run(dispatch);
    } catch (error) {
      done();
      throw error;
    }
    context.answer = answer.kind === 'stream' ? untilRelayed(answer, done) : (done(), answer);
  }
}

/** What a target is handed to run a request: a class, so its getter and method are shared, not made per request. */
class PipelineDispatch implements Dispatch {
  readonly requestId: string;
  readonly log: TargetLog;
  readonly receivedAt: number;

  constructor(
    private readonly context: RequestContext,
    readonly ticket: Ticket,
    private readonly admittedAt: number,
    private readonly loadControl: boolean,
  ) {
    this.requestId = context.requestId;
    this.log = context.log;
    this.receivedAt = context.receivedAt;
  }

  /** Read through: a transport may make the signal only when a target asks for it. */
  get signal(): AbortSignal {
    return this.context.signal;
  }

  ticketFor(scheduling: TicketScheduling): Ticket {
    const { tenant, request } = this.context;
    return armTicket(scheduling, tenant, request.limits, this.admittedAt, this.loadControl);
  }
}

/** The stream, calling `done` once when it has been relayed or discarded. */
function untilRelayed(stream: StreamAnswer, done: () => void): StreamAnswer {
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    done();
  };
  return {
    ...stream,
    relay: (sink, control) => stream.relay(sink, control).finally(finish),
    discard: () => {
      finish();
      stream.discard();
    },
  };
}

const NO_STAGES: readonly PipelineStage[] = [];
const UNTIL_ANSWERED = true;
const EVERY_STAGE = false;

/**
 * Runs the stages in order, the rest skipped once one answers (`untilAnswered`). A stage that
 * finishes at once returns nothing and is not awaited, so a slot of synchronous stages (data
 * quality, the ledger) costs no promise and no microtask; undefined when none waited.
 */
function runStages(
  stages: readonly PipelineStage[],
  context: RequestContext,
  untilAnswered: boolean,
  from = 0,
): Promise<void> | undefined {
  for (let index = from; index < stages.length; index += 1) {
    if (untilAnswered && context.answer !== undefined) return undefined;
    const pending = stages[index]?.run(context);
    if (pending !== undefined) return pending.then(() => runStages(stages, context, untilAnswered, index + 1));
  }
  return undefined;
}

function noop(): void {}
