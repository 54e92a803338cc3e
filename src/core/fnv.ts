/** 32-bit FNV-1a over UTF-8, the hash of text features and seed streams (any language can reproduce it). */
export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a state after the UTF-8 bytes of one code point (a lone surrogate as 3 bytes, like WTF-8). */
export function fnvCodePoint(hash: number, code: number): number {
  if (code < 0x80) return Math.imul(hash ^ code, FNV_PRIME);
  if (code < 0x800) {
    hash = Math.imul(hash ^ (0xc0 | (code >> 6)), FNV_PRIME);
    return Math.imul(hash ^ (0x80 | (code & 0x3f)), FNV_PRIME);
  }
  if (code < 0x10000) {
    hash = Math.imul(hash ^ (0xe0 | (code >> 12)), FNV_PRIME);
    hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), FNV_PRIME);
    return Math.imul(hash ^ (0x80 | (code & 0x3f)), FNV_PRIME);
  }
  hash = Math.imul(hash ^ (0xf0 | (code >> 18)), FNV_PRIME);
  hash = Math.imul(hash ^ (0x80 | ((code >> 12) & 0x3f)), FNV_PRIME);
  hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), FNV_PRIME);
  return Math.imul(hash ^ (0x80 | (code & 0x3f)), FNV_PRIME);
}

/** 32-bit FNV-1a over the UTF-8 bytes of `text`, so any language can reproduce the ids from the spec alone. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  for (let index = 0; index < text.length; index++) {
    const code = text.codePointAt(index) ?? 0;
    if (code > 0xffff) index++;
    hash = fnvCodePoint(hash, code);
  }
  return hash >>> 0;
}
