/**
 * The check of an OpenAI chat or completion request before it goes upstream: every rule it
 * breaks, reported together (one 400 with the whole list rather than one fix per round
 * trip), and nothing sent when there is one.
 *
 * Ajv rather than zod: this runs on every generation request, and ajv compiles each schema
 * once into a plain function (as fastify's route schemas and local models' item checks
 * already do on the request path); zod stays with the configuration and the admin input.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { SluiceError, type RequestFailure } from '../../../core/errors.ts';
import { chatCrossFieldFailures, completionCrossFieldFailures } from './cross-field-rules.ts';
import { inBodyOrder, locate, type Located } from './failures.ts';
import { CHAT_REQUEST_SCHEMA, COMPLETION_REQUEST_SCHEMA } from './request-schemas.ts';

export type GenerationOperation = 'chat' | 'complete';

type Document = Readonly<Record<string, unknown>>;

interface RequestCheck {
  readonly schema: ValidateFunction;
  readonly crossField: (document: Document) => Located[];
}

// `verbose` puts the failing value and its schema node (with its rule) on each error; it
// costs nothing while a request is valid.
const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true });
ajv.addKeyword({ keyword: 'rule', schemaType: 'string' });

const CHECKS: Readonly<Record<GenerationOperation, RequestCheck>> = {
  chat: { schema: ajv.compile(CHAT_REQUEST_SCHEMA), crossField: chatCrossFieldFailures },
  complete: { schema: ajv.compile(COMPLETION_REQUEST_SCHEMA), crossField: completionCrossFieldFailures },
};

/** A body of hundreds of bad messages gets a message of readable length. */
const MAX_LISTED = 50;

/** Every rule the request breaks, the schema's and those across fields, one per field, in the body's order. */
export function generationRequestFailures(operation: GenerationOperation, document: Document): RequestFailure[] {
  const { schema, crossField } = CHECKS[operation];
  const located = schema(document) ? [] : locate(schema.errors ?? []);
  const crossing = crossField(document);
  if (located.length === 0 && crossing.length === 0) return [];
  // The schema's failure of a field comes first, so a field is blamed once, for its own value.
  return inBodyOrder([...located, ...crossing], document);
}

/** Throws ERR_REQUEST_INVALID naming every failure (`param` is the first one's field). */
export function checkGenerationRequest(operation: GenerationOperation, document: Document): void {
  const failures = generationRequestFailures(operation, document);
  const first = failures[0];
  if (first === undefined) return;
  const listed = failures.slice(0, MAX_LISTED);
  const more = failures.length - listed.length;
  const message =
    listed.map((failure) => `${failure.field}: ${failure.rule}`).join('; ') + (more > 0 ? `; and ${more} more` : '');
  throw new SluiceError('ERR_REQUEST_INVALID', message, { field: first.field, failures: listed });
}
