/**
 * A request's value in each declared segment, read from what the pipeline already holds:
 * a local model's decoded items, a remote request's document, the caller's tenant. The
 * reader for a spec is made once at start; reading costs a field lookup, a length or a
 * language guess (at most 400 characters).
 *
 * A request with several items (or texts) is one request: its text length is its longest
 * text's (a request is as long as its longest input), and its category and language are its
 * first item's. A chat request's text is its last user message.
 */
import type { Item } from '../../pipeline/request.ts';
import { guessLanguage } from './language-guess.ts';
import type { SegmentSpec } from './segment-spec.ts';

/** A request without the field (or with no text in it). */
export const NO_VALUE = '(none)';

export interface SegmentSource {
  /** A local model's items, once decoded; undefined for a remote model (its document is read). */
  readonly items: readonly Item[] | undefined;
  readonly document: Readonly<Record<string, unknown>>;
  readonly tenant: string;
}

export type SegmentReader = (source: SegmentSource) => string;

export function segmentReader(spec: SegmentSpec): SegmentReader {
  if (spec.by === 'tenant') return (source) => source.tenant;
  const path = spec.field.split('.');
  switch (spec.by) {
    case 'text_length': {
      const labels = bucketLabels(spec.buckets);
      return (source) => {
        const texts = textsOf(source, path);
        if (texts.length === 0) return NO_VALUE;
        let longest = 0;
        for (const text of texts) longest = Math.max(longest, text.length);
        return labels[bucketOf(spec.buckets, longest)] as string;
      };
    }
    case 'language':
      return (source) => {
        const text = textsOf(source, path)[0];
        return text === undefined ? NO_VALUE : guessLanguage(text);
      };
    case 'field':
      return (source) => categoryOf(source.items === undefined ? at(source.document, path) : at(source.items[0], path));
  }
}

/** `[100, 1000]` → `0-100`, `101-1000`, `1001+`: inclusive bounds in characters. */
export function bucketLabels(bounds: readonly number[]): string[] {
  const labels = bounds.map((bound, i) => `${i === 0 ? 0 : (bounds[i - 1] as number) + 1}-${bound}`);
  return [...labels, `${(bounds[bounds.length - 1] ?? 0) + 1}+`];
}

/** The index of the first bucket whose inclusive bound holds `length`; the last is open above. */
export function bucketOf(bounds: readonly number[], length: number): number {
  const index = bounds.findIndex((bound) => length <= bound);
  return index === -1 ? bounds.length : index;
}

/** The texts of a field: each item's, or the document's (a string, strings, or the last user message). */
export function textsOf(source: SegmentSource, path: readonly string[]): string[] {
  if (source.items !== undefined) {
    return source.items.flatMap((item) => {
      const value = at(item, path);
      return typeof value === 'string' ? [value] : [];
    });
  }
  const value = at(source.document, path);
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  const last = lastUserText(value);
  if (last !== undefined) return [last];
  return value.filter((entry): entry is string => typeof entry === 'string');
}

/** A chat request's last user message, its content a string or text parts. */
function lastUserText(messages: readonly unknown[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const message = messages[i];
    if (!isRecord(message) || message.role !== 'user') continue;
    const { content } = message;
    if (typeof content === 'string') return content;
    if (Array.isArray(content))
      return content.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
    return '';
  }
  return undefined;
}

function at(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

function categoryOf(value: unknown): string {
  if (typeof value === 'string') return value === '' ? NO_VALUE : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return NO_VALUE;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
