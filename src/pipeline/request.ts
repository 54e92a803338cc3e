/** One inference request in protocol-neutral form, as the protocol adapters build it. */
import type { ModelDescription } from './model-description.ts';

/** What is asked of the model. */
export type Operation = 'predict' | 'embed' | 'chat' | 'complete';

/**
 * The API family whose schema the request's document follows. A remote model forwards a
 * document of its own family and refuses the others; a local model reads items.
 */
export type ApiFamily = 'openai' | 'open-inference' | 'kserve-v1';

/** One item of a request: a value per request field. */
export type Item = Readonly<Record<string, unknown>>;

/** How the protocol names item `i` in error messages (`instances[3]`, `input[3]`, ...). */
export type ItemLabel = (index: number) => string;

/** The items of a request, read from the wire once the model (and so its inputs) is known. */
export interface ItemSource {
  readonly decode: (model: ModelDescription) => readonly Item[];
  readonly label: ItemLabel;
}

/** What the request itself asked for (headers or protocol parameters); undefined when it did not ask. */
export interface RequestedLimits {
  readonly priority: number | undefined;
  readonly timeoutMs: number | undefined;
}

export const NO_REQUESTED_LIMITS: RequestedLimits = Object.freeze({ priority: undefined, timeoutMs: undefined });

export interface InferenceRequest {
  readonly operation: Operation;
  readonly model: string;
  /** A pinned version; undefined: the newest. */
  readonly version: string | undefined;
  readonly limits: RequestedLimits;
  /** The answer is wanted as a stream of events. */
  readonly stream: boolean;
  readonly family: ApiFamily;
  /** The request as its family writes it; remote models of that family forward it. */
  readonly document: Readonly<Record<string, unknown>>;
  /** Predict and embed requests: their items, for models that read items. */
  readonly items: ItemSource | undefined;
}
