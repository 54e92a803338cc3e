/** Request bodies for load runs, serialised before the run starts. */
import type { RequestSource } from './http-target.ts';

/** KServe v2 infer requests with one text item each, cycling through `texts` in order. */
export function v2TextInferRequests(model: string, texts: readonly string[]): RequestSource {
  if (texts.length === 0) throw new Error('no texts to send');
  const path = `/v2/models/${encodeURIComponent(model)}/infer`;
  const specs = texts.map((text) => ({ method: 'POST', path, body: JSON.stringify({ inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: [text] }] }) }) as const);
  return (index) => {
    const spec = specs[index % specs.length];
    if (spec === undefined) throw new RangeError(`no request for index ${index}`);
    return spec;
  };
}
