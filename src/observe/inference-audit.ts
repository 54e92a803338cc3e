/**
 * The audit record of an inference, for the models `audit.inferences` names: who, which
 * model and version answered, by which route, the status, the latency, and how much (items,
 * or tokens where the upstream reported them). Never the payload, nor anything else a
 * client wrote: every value is a name from sluice's config, a code or a number, which is
 * why these entries are the only ones the audit log takes without redacting them.
 */
import type { Config } from '../config/schema.ts';
import { isoTime } from '../core/iso-time.ts';
import type { RequestContext } from '../pipeline/context.ts';
import type { SpelledEntry } from '../state/store.ts';
import type { Caller } from '../tenancy/tenant-directory.ts';

export interface AuditSink {
  /** Buffers the entry; never throws, never waits. */
  recordSpelled(entry: SpelledEntry): void;
}

export interface FinishedInference {
  readonly protocol: string;
  readonly status: number;
  readonly seconds: number;
  readonly caller: Caller;
  /** Undefined when the request was refused before a pipeline context existed. */
  readonly context: RequestContext | null | undefined;
}

/** A recorder for finished inferences, or undefined when none is audited (the edge then does nothing). */
export function inferenceAuditor(
  setting: Config['audit']['inferences'],
  sink: AuditSink,
): ((finished: FinishedInference) => void) | undefined {
  if (setting === 'none') return undefined;
  const audited = setting === 'all' ? undefined : new Set(setting);
  return (finished) => {
    const model = finished.context?.answer?.provenance.model ?? finished.context?.target?.name;
    if (audited !== undefined && (model === undefined || !audited.has(model))) return;
    sink.recordSpelled(inferenceEntry(finished, model));
  };
}

/** The entry as text: its details object lives only until spelled, so a buffered entry holds no object but itself. */
function inferenceEntry(finished: FinishedInference, model: string | undefined): SpelledEntry {
  const { context, caller } = finished;
  const provenance = context?.answer?.provenance;
  const details: InferenceDetails = {
    protocol: finished.protocol,
    model: model ?? null,
    version: provenance?.version ?? context?.target?.version ?? null,
    route: provenance?.route ?? null,
    status: finished.status,
    latency_ms: Math.round(finished.seconds * 1e5) / 100,
  };
  const amount = amountOf(context);
  if (amount !== undefined) details[amount.unit] = amount.count;
  return {
    time: isoTime(),
    actor: caller.key?.id ?? 'anonymous',
    action: 'inference',
    tenant: caller.tenant.name,
    detailsJson: inferenceDetailsJson(details),
  };
}

/** A type, not an interface, so it is a record of JSON values as AuditEntry's details are. */
type InferenceDetails = {
  protocol: string;
  model: string | null;
  version: string | null;
  route: string | null;
  status: number;
  latency_ms: number;
  items?: number;
  tokens?: number;
};

/**
 * canonicalJson(details), spelled out in its sorted key order: the generic one sorts and
 * walks the object, the dearest part of sealing an inference (docs/benchmarks.md). The
 * test holds the two equal over every shape an inference's details take. Between the counts
 * and the version, the text repeats from one request of a model to the next (its model,
 * protocol, route and status), so that middle is kept per model and made again only when
 * one of them changes: fewer strings to make and collect a request.
 */
export function inferenceDetailsJson(details: InferenceDetails): string {
  const { items, tokens } = details;
  const middle = middleOf(details);
  return (
    `{${items === undefined ? '' : `"items":${number(items)},`}"latency_ms":${number(details.latency_ms)},` +
    (tokens === undefined ? middle.withVersion : `${middle.text}"tokens":${number(tokens)},${middle.version}`)
  );
}

interface DetailsMiddle {
  readonly protocol: string;
  readonly route: string | null;
  readonly status: number;
  readonly versionName: string | null;
  /** `"model":…,"protocol":…,"route":…,"status":…,` */
  readonly text: string;
  /** `"version":…}` */
  readonly version: string;
  readonly withVersion: string;
}

/**
 * The middles last made for each model name, newest first, a few a model: a canary's two
 * versions or a mix of statuses each keep theirs. Bounded: names come from sluice's config.
 */
const middles = new Map<string | null, DetailsMiddle[]>();
const MIDDLES_PER_MODEL = 8;

function middleOf(details: InferenceDetails): DetailsMiddle {
  const kept = middles.get(details.model) ?? [];
  for (const middle of kept) if (sameMiddle(middle, details)) return middle;
  const made = makeMiddle(details);
  middles.set(details.model, [made, ...kept.slice(0, MIDDLES_PER_MODEL - 1)]);
  return made;
}

function sameMiddle(middle: DetailsMiddle, { protocol, route, status, version }: InferenceDetails): boolean {
  return (
    middle.protocol === protocol && middle.route === route && middle.status === status && middle.versionName === version
  );
}

function makeMiddle({ model, protocol, route, status, version }: InferenceDetails): DetailsMiddle {
  const text =
    `"model":${spelled(model)},"protocol":${JSON.stringify(protocol)},"route":${spelled(route)},` +
    `"status":${number(status)},`;
  const versionText = `"version":${spelled(version)}}`;
  return {
    protocol,
    route,
    status,
    versionName: version,
    text,
    version: versionText,
    withVersion: text + versionText,
  };
}

function spelled(value: string | null): string {
  return value === null ? 'null' : JSON.stringify(value);
}

/** As canonicalJson writes a number: JSON's spelling (for a finite number, String's), null where JSON has none. */
function number(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/** Items for a local model, tokens where a remote one reported its usage. */
function amountOf(context: RequestContext | null | undefined): { unit: 'items' | 'tokens'; count: number } | undefined {
  const answer = context?.answer;
  if (answer?.kind === 'rows') return { unit: 'items', count: answer.rows.length };
  if (answer?.kind === 'document') {
    const usage = answer.document['usage'];
    const total =
      typeof usage === 'object' && usage !== null ? (usage as Record<string, unknown>)['total_tokens'] : undefined;
    if (typeof total === 'number') return { unit: 'tokens', count: total };
  }
  return undefined;
}
