/** E-mail addresses, phone numbers and street addresses. */
import { anyOf, digitsOf, eachMatch, type Detector, type FoundIdentifier } from './kinds.ts';

// Every quantifier is bounded and every pattern opens with a lookbehind that refuses to start in
// the middle of a token, so a scan costs a bounded amount per character even on hostile input.
const LOCAL_PART = String.raw`(?<![\w.+'%-])[A-Za-z0-9][\w.%+'-]{0,63}`;
const DOMAIN_LABEL = String.raw`[A-Za-z0-9][A-Za-z0-9-]{0,62}`;
const EMAIL = new RegExp(
  String.raw`${LOCAL_PART}@${DOMAIN_LABEL}(?:\.${DOMAIN_LABEL}){0,8}\.[A-Za-z]{2,24}(?![\w-])`,
  'g',
);

export const findEmails: Detector = (text, out) => {
  if (!text.includes('@')) return;
  eachMatch(EMAIL, text, (m) => out.push({ kind: 'email', start: m.index, end: m.index + m[0].length }));
};

/*
 * Phones: a run of 7 to 20 digits joined by at most two of ` .-()` between digits, optionally
 * opened by `+` or `(`, is a candidate; its grouping then decides (`isPhoneShape`). Grouping is
 * what tells `(617) 555-0142` from a date (`2024-03-12`), an SSN (`536-22-8451`), a card, an
 * IP address or an epoch timestamp.
 */
const PHONE_RUN = /(?<![\w.+/-]|\d[ .\-()]{1,2})(?:\+[ ]?|\()?\d(?:[ .\-()]{0,2}\d){6,19}/g;
const RUN_CONTINUES = /^[ .\-()]{0,2}\d/;
const EXTENSION = /[ \t]*(?:,?[ \t]*(?:ext\.?|extension|x|#)[ \t]*|;ext=)\d{1,6}(?!\d)/iy;
const DIGIT_GROUPS = /\d+/g;

function groupSizes(candidate: string): number[] {
  return (candidate.match(DIGIT_GROUPS) ?? []).map((group) => group.length);
}

const sameSizes = (sizes: number[], want: number[]): boolean =>
  sizes.length === want.length && sizes.every((size, i) => size === want[i]);

export function isPhoneShape(candidate: string): boolean {
  const digits = digitsOf(candidate);
  const sizes = groupSizes(candidate);
  // International: the `+` says it is a phone; E.164 allows 8 to 15 digits.
  if (candidate.startsWith('+')) return digits.length >= 8 && digits.length <= 15;
  // Local seven-digit number, only in its usual 555-0134 form.
  if (digits.length === 7) return /^\d{3}-\d{4}$/.test(candidate);
  // National format with a trunk 0 (UK, AU, DE, JP, ...): the area code never starts with 0.
  if (digits.startsWith('0'))
    return digits[1] !== '0' && digits.length >= 9 && digits.length <= 11 && sizes.length >= 2;
  // North American: 3-3-4 (optionally 1-3-3-4), or ten bare digits that obey the NANP rules.
  if (digits.length === 10)
    return sameSizes(sizes, [3, 3, 4]) || (sizes.length === 1 && /^[2-9]\d\d[2-9]/.test(digits));
  return digits.length === 11 && digits.startsWith('1') && sameSizes(sizes, [1, 3, 3, 4]);
}

export const findPhones: Detector = (text, out) => {
  eachMatch(PHONE_RUN, text, (m) => {
    let end = m.index + m[0].length;
    if (RUN_CONTINUES.test(text.slice(end, end + 3)) || !isPhoneShape(m[0])) return;
    EXTENSION.lastIndex = end;
    const extension = EXTENSION.exec(text);
    if (extension) end += extension[0].length;
    out.push({ kind: 'phone', start: m.index, end });
  });
};

/*
 * Street addresses: number, one to four capitalised words, a street suffix, an optional unit, and
 * an optional tail of city with US ZIP, Canadian or UK postcode, or a bare city that ends the
 * clause. Foreign forms that put the number after the street ("Hauptstraße 12") are not found.
 */
const WORD = String.raw`(?:\p{Lu}[\p{L}'’]*\.?|\d{1,3}(?:st|nd|rd|th))`;
const SUFFIX = anyOf(
  'Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Trail|Trl',
  'Parkway|Pkwy|Highway|Hwy|Circle|Cir|Square|Sq|Crescent|Cres|Close|Grove|Gardens|Loop|Row|Walk|Plaza',
  'Alley|Mews|Quay|Wharf|Esplanade|Pike|Crossing|Heights',
);
const UNIT = String.raw`(?:Apt|Apartment|Flat|Unit|Suite|Ste|#)\.?[ \t]*#?[\w-]{1,6}`;
const STREET = new RegExp(
  String.raw`(?<![\w:./,-])(?:${UNIT},?[ \t]+)?\d{1,6}[A-Za-z]?[ \t]+(?:${WORD}[ \t]+){1,4}` +
    String.raw`${SUFFIX}(?![\p{L}])\.?(?:,?[ \t]+${UNIT})?`,
  'gu',
);
const PO_BOX = /(?<![\p{L}])P\.?[ \t]?O\.?[ \t]+Box[ \t]+\d{1,6}/giu;
const CITY = String.raw`\p{Lu}\p{Ll}+(?:[ \t-]\p{Lu}\p{Ll}+){0,2}`;
const POSTCODE = anyOf(
  String.raw`[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?`, // US state and ZIP
  String.raw`[A-Z]{2}[ \t]+[A-Z]\d[A-Z][ ]?\d[A-Z]\d`, // Canadian province and postcode
  String.raw`[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}`, // UK postcode
);
const POSTCODE_TAIL = new RegExp(String.raw`,?[ \t]+(?:${CITY},?[ \t]+)?${POSTCODE}(?![\w])`, 'uy');
const CITY_TAIL = new RegExp(String.raw`,[ \t]*${CITY}(?:,[ \t]*${CITY})?(?=[ \t]*(?:$|[.;\n]))`, 'uy');

function tailEnd(text: string, end: number): number {
  for (const tail of [POSTCODE_TAIL, CITY_TAIL]) {
    tail.lastIndex = end;
    const match = tail.exec(text);
    if (match) return end + match[0].length;
  }
  return end;
}

export const findStreetAddresses: Detector = (text, out) => {
  for (const re of [STREET, PO_BOX]) {
    eachMatch(re, text, (m) => {
      const end = tailEnd(text, m.index + m[0].length);
      out.push({ kind: 'street_address', start: m.index, end });
    });
  }
};

export function collectContacts(text: string, out: FoundIdentifier[]): void {
  findEmails(text, out);
  findPhones(text, out);
  findStreetAddresses(text, out);
}
