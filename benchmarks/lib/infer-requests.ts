/** Request bodies for load runs, serialised before the run starts. */
import type { RequestSource } from './http-target.ts';

/** KServe v2 infer requests with one text item each, cycling through `texts` in order. */
export function v2TextInferRequests(
  model: string,
  texts: readonly string[],
  headers?: Readonly<Record<string, string>>,
): RequestSource {
  if (texts.length === 0) throw new Error('no texts to send');
  const path = `/v2/models/${encodeURIComponent(model)}/infer`;
  const specs = texts.map(
    (text) =>
      ({
        method: 'POST',
        path,
        ...(headers === undefined ? {} : { headers }),
        body: JSON.stringify({ inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: [text] }] }),
      }) as const,
  );
  return (index) => {
    const spec = specs[index % specs.length];
    if (spec === undefined) throw new RangeError(`no request for index ${index}`);
    return spec;
  };
}

/**
 * Non-streaming OpenAI chat completions with `max_tokens` fixed, cycling through a few
 * short prompts so the upstream does not see one request over and over.
 */
export function chatCompletionRequests(model: string, maxTokens: number, prompts: readonly string[]): RequestSource {
  if (prompts.length === 0) throw new Error('no prompts to send');
  const specs = prompts.map(
    (prompt) =>
      ({
        method: 'POST',
        path: '/v1/chat/completions',
        body: JSON.stringify({ model, messages: [{ role: 'user', content: prompt }], max_tokens: maxTokens }),
      }) as const,
  );
  return (index) => {
    const spec = specs[index % specs.length];
    if (spec === undefined) throw new RangeError(`no request for index ${index}`);
    return spec;
  };
}
