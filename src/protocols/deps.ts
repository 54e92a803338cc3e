/** What the protocol adapters are given: the pipeline's entry, the models' directory, and the server's state. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Protocol } from '../pipeline/context.ts';
import type { AnsweredContext } from '../pipeline/context.ts';
import type { InferenceRequest } from '../pipeline/request.ts';
import type { ProbeContext } from '../pipeline/target.ts';
import type { TargetDirectory } from '../pipeline/target-directory.ts';

/** How a protocol route hands its request to the pipeline (the HTTP edge provides it). */
export type Infer = (
  request: FastifyRequest,
  reply: FastifyReply,
  protocol: Protocol,
  inference: InferenceRequest,
) => Promise<AnsweredContext>;

export interface ProtocolDeps {
  readonly infer: Infer;
  readonly targets: TargetDirectory;
  /** Every model warmed up and the server not shutting down; `reason` says what is missing when not. */
  readonly readiness: () => { readonly ready: boolean; readonly reason?: string | undefined };
  readonly serverVersion: string;
  /** What a request to a model's server on the client's behalf needs: an abort signal for a client that leaves. */
  readonly probeContext: (request: FastifyRequest, reply: FastifyReply) => ProbeContext;
  /** When the server started, in Unix seconds (OpenAI's `created`). */
  readonly startedAt: number;
}
