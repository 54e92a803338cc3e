/**
 * The personal-data redactor (issue 14): finds the identifiers a healthcare deployment sees and
 * replaces each with a typed placeholder, `[REDACTED:email]`. Pure and synchronous, for every sink
 * past the request path: logs, audit records, error messages that echo input. What it finds and
 * misses, measured on a labelled corpus, is in docs/redaction.md.
 */
import { findDates } from './detect-dates.ts';
import { findEmails, findPhones, findStreetAddresses } from './detect-contacts.ts';
import { findCards, findIpAddresses, findNationalIds, findRecordNumbers } from './detect-ids.ts';
import { findNames } from './detect-names.ts';
import { hintForKey } from './key-hints.ts';
import { placeholder, type Detector, type FoundIdentifier, type IdentifierKind } from './kinds.ts';

export { IDENTIFIER_KINDS, type FoundIdentifier, type IdentifierKind } from './kinds.ts';

/**
 * Text past this many UTF-16 units is cut before scanning, so one huge log field cannot stall the
 * process: the scan is linear, but 64 Ki units of message-like text already cost about 10 ms.
 */
export const MAX_SCAN_CHARS = 65_536;
/** Scanned past the cut so an identifier that straddles it is still recognised whole. */
const CUT_OVERLAP = 256;

// When two detectors claim the same characters, the more specific kind wins; within a kind, the
// longer span. Dates share a rank so the longer date wins over the shorter whatever its kind.
const RANK: Record<IdentifierKind, number> = {
  email: 0,
  card: 1,
  ssn: 2,
  ip_address: 3,
  mrn: 4,
  date_of_birth: 5,
  date: 5,
  phone: 6,
  street_address: 7,
  name: 8,
};

const HAS_DIGIT = /\d/;
const HAS_UPPER = /\p{Lu}/u;

function detectorsFor(text: string): Detector[] {
  const detectors: Detector[] = [];
  const digits = HAS_DIGIT.test(text);
  if (text.includes('@')) detectors.push(findEmails);
  if (digits) {
    detectors.push(findCards, findNationalIds, findIpAddresses, findRecordNumbers, findDates, findPhones);
    detectors.push(findStreetAddresses);
  }
  if (HAS_UPPER.test(text)) detectors.push(findNames);
  return detectors;
}

/** Keeps, of overlapping candidates, the one of better rank; returns the survivors in text order. */
function settle(candidates: FoundIdentifier[]): FoundIdentifier[] {
  if (candidates.length < 2) return candidates;
  candidates.sort((a, b) => RANK[a.kind] - RANK[b.kind] || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: FoundIdentifier[] = [];
  for (const candidate of candidates) {
    if (!overlapsAny(kept, candidate)) insertSorted(kept, candidate);
  }
  return kept;
}

/** `kept` is sorted by start and has no overlaps, so only the neighbours of the insertion point matter. */
function overlapsAny(kept: FoundIdentifier[], span: FoundIdentifier): boolean {
  const at = lowerBound(kept, span.start);
  const before = kept[at - 1];
  const after = kept[at];
  return (before !== undefined && before.end > span.start) || (after !== undefined && after.start < span.end);
}

function insertSorted(kept: FoundIdentifier[], span: FoundIdentifier): void {
  kept.splice(lowerBound(kept, span.start), 0, span);
}

function lowerBound(kept: FoundIdentifier[], start: number): number {
  let low = 0;
  let high = kept.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((kept[mid]?.start ?? 0) < start) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Every identifier found in `text`, in text order, without overlaps. Only the first
 * `MAX_SCAN_CHARS` units (plus an identifier that straddles the cut) are scanned.
 */
export function findIdentifiers(text: string): FoundIdentifier[] {
  const scanned = text.length > MAX_SCAN_CHARS ? text.slice(0, MAX_SCAN_CHARS + CUT_OVERLAP) : text;
  const candidates: FoundIdentifier[] = [];
  for (const detect of detectorsFor(scanned)) detect(scanned, candidates);
  const found = settle(candidates);
  return text.length > MAX_SCAN_CHARS ? found.filter((span) => span.start < MAX_SCAN_CHARS) : found;
}

/** Where a text over the cap is cut: at the cap, or past an identifier that straddles it. */
function cutAt(text: string, found: FoundIdentifier[]): number {
  const last = found[found.length - 1];
  let cut = Math.max(MAX_SCAN_CHARS, last?.end ?? 0);
  // Never split a surrogate pair.
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut += 1;
  return cut;
}

/**
 * `text` with every identifier replaced by `[REDACTED:<kind>]`. Text longer than
 * `MAX_SCAN_CHARS` is cut and ends with `[TRUNCATED:<n> chars]`, n being how many were dropped.
 */
export function redactText(text: string): string {
  const found = findIdentifiers(text);
  const cut = text.length > MAX_SCAN_CHARS ? cutAt(text, found) : text.length;
  if (found.length === 0 && cut === text.length) return text;
  let result = '';
  let from = 0;
  for (const span of found) {
    result += text.slice(from, span.start) + placeholder(span.kind);
    from = span.end;
  }
  result += text.slice(from, cut);
  return cut < text.length ? `${result}[TRUNCATED:${text.length - cut} chars]` : result;
}

export interface RedactValueOptions {
  /** Nesting below this depth is replaced by `[REDACTED:depth]`. */
  maxDepth?: number;
  /** Values visited past this count are replaced by `[REDACTED:size]`. */
  maxNodes?: number;
  /** Characters scanned past this budget: the strings that would exceed it become `[REDACTED:size]`. */
  maxChars?: number;
}

const VALUE_LIMITS: Required<RedactValueOptions> = { maxDepth: 16, maxNodes: 10_000, maxChars: 1_048_576 };

interface Walk {
  readonly limits: Required<RedactValueOptions>;
  /** The objects on the path from the root, to recognise a cycle. */
  readonly ancestors: Set<object>;
  nodes: number;
  chars: number;
}

/**
 * A redacted copy of a JSON-like value (a log object, an audit record's details): strings are
 * redacted, keys, numbers and booleans kept, except that a value under a field that names an
 * identifier (`phone`, `dob`, `lastName`, ...: key-hints.ts) is replaced whole. Errors become
 * `{ type, message, stack }`, values with `toJSON` (Dates) are walked as they serialise,
 * functions and symbols are dropped. Depth, count and characters are bounded; cycles are cut.
 */
export function redactValue(value: unknown, options: RedactValueOptions = {}): unknown {
  const walk: Walk = { limits: { ...VALUE_LIMITS, ...options }, ancestors: new Set(), nodes: 0, chars: 0 };
  return visit(value, 0, {}, walk);
}

/** Where a value sits: the kind its field names, if any, and the key of that field. */
interface Place {
  hint?: IdentifierKind;
  key?: string;
}

function visit(value: unknown, depth: number, place: Place, walk: Walk): unknown {
  walk.nodes += 1;
  if (walk.nodes > walk.limits.maxNodes) return placeholder('size');
  if (place.hint !== undefined && isIdentifierScalar(value)) return placeholder(place.hint);
  switch (typeof value) {
    case 'string':
      return visitString(value, walk);
    case 'object':
      return value === null ? null : visitObject(value, depth, place, walk);
    case 'function':
    case 'symbol':
      return undefined;
    default:
      return value;
  }
}

/** What a hinted field holds that is replaced whole: a non-empty string or a number (`phone: 6175550142`). */
function isIdentifierScalar(value: unknown): boolean {
  return (typeof value === 'string' && value !== '') || typeof value === 'number' || typeof value === 'bigint';
}

function visitString(text: string, walk: Walk): string {
  walk.chars += Math.min(text.length, MAX_SCAN_CHARS);
  return walk.chars > walk.limits.maxChars ? placeholder('size') : redactText(text);
}

function visitObject(value: object, depth: number, place: Place, walk: Walk): unknown {
  if (depth >= walk.limits.maxDepth) return placeholder('depth');
  if (walk.ancestors.has(value)) return placeholder('cycle');
  walk.ancestors.add(value);
  try {
    // An array's items sit where the array does: `name: [{ family }]` is still under `name`.
    if (Array.isArray(value)) return value.map((item: unknown) => visit(item, depth + 1, place, walk));
    const view = jsonView(value);
    if (view !== value) return visit(view, depth, place, walk);
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // A hint holds for everything under its field: `address: { line1, city }` goes whole.
      const hint = place.hint ?? hintForKey(key, place.key);
      const redacted = visit(item, depth + 1, { hint, key }, walk);
      if (redacted !== undefined) copy[key] = redacted;
    }
    return copy;
  } finally {
    walk.ancestors.delete(value);
  }
}

/** What an object serialises as, when that is not its own enumerable fields. */
function jsonView(value: object): unknown {
  if (value instanceof Error) {
    const view: Record<string, unknown> = { type: value.name, message: value.message, stack: value.stack };
    for (const [key, item] of Object.entries(value)) view[key] = item;
    if (value.cause !== undefined) view.cause = value.cause;
    return view;
  }
  const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
  return typeof toJSON === 'function' ? (toJSON as () => unknown).call(value) : value;
}
