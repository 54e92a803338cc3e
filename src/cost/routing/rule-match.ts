/**
 * A route's rules, decided apart from the target that runs them: what a request is (its
 * input's length, its tenant, the deadline it asks for, its headers), and the first rule
 * that matches it. Conditions of one rule must all hold; no rule matching means the
 * route's default.
 */
import type { RequestHeaders } from '../../pipeline/context.ts';
import type { Item } from '../../pipeline/request.ts';
import type { RuleConditions, RuleSpec } from './route-config.ts';

/** What rules may read of a request; the input's length is measured only if a rule asks. */
export interface RequestFeatures {
  readonly inputChars: () => number;
  readonly tenant: string | undefined;
  readonly timeoutMs: number | undefined;
  readonly headers: RequestHeaders | undefined;
}

/** The position of the first rule that matches, or undefined: the default. */
export function firstMatch(rules: readonly RuleSpec[], features: RequestFeatures): number | undefined {
  let chars: number | undefined;
  const measured = { ...features, inputChars: () => (chars ??= features.inputChars()) };
  const index = rules.findIndex((rule) => matches(rule.when, measured));
  return index < 0 ? undefined : index;
}

export function matches(when: RuleConditions, features: RequestFeatures): boolean {
  const { max_input_chars: max, min_input_chars: min, tenant, max_timeout_ms: maxTimeout, header } = when;
  if (tenant !== undefined && (features.tenant === undefined || !tenant.includes(features.tenant))) return false;
  if (maxTimeout !== undefined && (features.timeoutMs === undefined || features.timeoutMs > maxTimeout)) return false;
  if (header !== undefined && !headersMatch(header, features.headers)) return false;
  if (max !== undefined && features.inputChars() > max) return false;
  if (min !== undefined && features.inputChars() < min) return false;
  return true;
}

/** Each header named is present with one of its values (a repeated header: any of its values). */
function headersMatch(wanted: Readonly<Record<string, readonly string[]>>, headers: RequestHeaders | undefined) {
  return Object.entries(wanted).every(([name, values]) => {
    const given = headers?.[name];
    const sent = given === undefined ? [] : Array.isArray(given) ? given : [given];
    return sent.some((value) => values.includes(value.trim()));
  });
}

/** The longest item's text: its string fields' characters together. A batch is as long as its longest item. */
export function longestItemChars(items: readonly Item[]): number {
  return items.reduce((longest, item) => Math.max(longest, textChars(Object.values(item))), 0);
}

/** The characters of what an OpenAI-style document asks about: its messages' content, its prompt, its input. */
export function documentChars(document: Readonly<Record<string, unknown>>): number {
  const messages = Array.isArray(document['messages']) ? document['messages'] : [];
  const contents = messages.map((message: unknown) =>
    typeof message === 'object' && message !== null ? (message as Record<string, unknown>)['content'] : undefined,
  );
  return textChars([...contents, document['prompt'], document['input']]);
}

/** Strings, arrays of them, and content parts' `text`, in characters (code points: an emoji is one). */
function textChars(values: readonly unknown[]): number {
  let total = 0;
  for (const value of values) {
    if (typeof value === 'string') total += [...value].length;
    else if (Array.isArray(value)) total += textChars(value);
    else if (typeof value === 'object' && value !== null)
      total += textChars([(value as Record<string, unknown>)['text']]);
  }
  return total;
}
