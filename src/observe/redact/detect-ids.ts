/** Numbers that identify a person: SSNs and other national numbers, cards, record numbers, IP addresses. */
import { isIPv6 } from 'node:net';
import { anyOf, digitsOf, eachMatch, groupSpan, passesLuhn, type Detector } from './kinds.ts';

// 123-45-6789 or 123 45 6789 without a label; a label ("SSN", "social security number") also
// admits nine bare digits a few words later.
const SSN_DASHED = /(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-]|[ ]\d)/g;
const SSN_LABELLED = new RegExp(
  String.raw`(?<![\p{L}])(?:SSN|SS#|social security(?: number| no\.?| #)?)(?![\p{L}])` +
    String.raw`[^\d\n]{0,24}?(\d{3}[- ]?\d{2}[- ]?\d{4})(?![\w-])`,
  'dgiu',
);
// Other national numbers, only after their label: UK NHS (10 digits, mod 11) and Canadian SIN (Luhn).
const NHS_LABELLED = new RegExp(
  String.raw`(?<![\p{L}])NHS(?: number| no\.?| #)?[^\d\n]{0,16}?(\d{3}[- ]?\d{3}[- ]?\d{4})(?![\w-])`,
  'dgiu',
);
const SIN_LABELLED = new RegExp(
  String.raw`(?<![\p{L}])(?:SIN|[Ss]ocial [Ii]nsurance [Nn]umber)(?![\p{L}])` +
    String.raw`[^\d\n]{0,16}?(\d{3}[- ]?\d{3}[- ]?\d{3})(?![\w-])`,
  'dgu',
);

/** SSA never issues area 000, 666 or 900-999, group 00 or serial 0000. */
export function isValidSsn(digits: string): boolean {
  if (digits.length !== 9) return false;
  const area = digits.slice(0, 3);
  return (
    area !== '000' && area !== '666' && area[0] !== '9' && digits.slice(3, 5) !== '00' && digits.slice(5) !== '0000'
  );
}

function isValidNhsNumber(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < 9; i += 1) sum += (digits.charCodeAt(i) - 48) * (10 - i);
  const check = 11 - (sum % 11);
  return (check === 11 ? 0 : check) === digits.charCodeAt(9) - 48;
}

export const findNationalIds: Detector = (text, out) => {
  eachMatch(SSN_DASHED, text, (m) => {
    if (isValidSsn(digitsOf(m[0]))) out.push({ kind: 'ssn', start: m.index, end: m.index + m[0].length });
  });
  const labelled: Array<[RegExp, (digits: string) => boolean]> = [
    [SSN_LABELLED, isValidSsn],
    [NHS_LABELLED, isValidNhsNumber],
    [SIN_LABELLED, passesLuhn],
  ];
  for (const [re, valid] of labelled) {
    eachMatch(re, text, (m) => {
      const span = groupSpan(m, 1);
      if (span && valid(digitsOf(m[1] ?? ''))) out.push({ kind: 'ssn', start: span[0], end: span[1] });
    });
  }
};

// 13 to 19 digits, single spaces or dashes between them, an issuer's prefix, and the Luhn check.
const CARD_RUN = /(?<!\d[ -]?)\d(?:[ -]?\d){12,18}(?![ -]?\d)/g;
const CARD_PREFIX = /^(?:4|5[1-5]|2[2-7]|3[47]|3[0689]|35|6(?:011|5|4[4-9]|2))/;

export const findCards: Detector = (text, out) => {
  eachMatch(CARD_RUN, text, (m) => {
    const digits = digitsOf(m[0]);
    if (CARD_PREFIX.test(digits) && passesLuhn(digits)) {
      out.push({ kind: 'card', start: m.index, end: m.index + m[0].length });
    }
  });
};

/*
 * Medical record numbers (and the like: patient, hospital, chart, member and Medicare numbers) are
 * recognised only after their label; on their own they are just numbers. The identifier must hold
 * a digit; up to two short digit groups after it are taken too ("Medicare number 2123 45670 1").
 */
const NUMBER_WORD = String.raw`(?:number|no\.?|#)`;
const MRN_LABEL = anyOf(
  String.raw`MRN|MR ?#|MR ?No\.?|record ?#|health card(?: number)?|medicaid (?:id|number)|insurance (?:id|number)`,
  String.raw`(?:medical record|record|chart|hospital|medicare) ${NUMBER_WORD}`,
  String.raw`(?:patient|pt|member)[ _]?(?:id|identifier|${NUMBER_WORD})`,
);
const LABEL_SEPARATOR = String.raw`["']?[ \t]{0,3}(?:[:=#]|is\b|no\.?)?[ \t]{0,3}["']?[ \t]{0,3}`;
const RECORD_ID = String.raw`(?=[A-Za-z0-9-]{0,20}\d)[A-Za-z0-9][A-Za-z0-9-]{2,19}(?: \d{1,6}){0,2}`;
const MRN = new RegExp(String.raw`(?<![\p{L}])${MRN_LABEL}${LABEL_SEPARATOR}(${RECORD_ID})(?![\w-])`, 'dgiu');
const TRAILING_GROUPS = / \d{1,6}/g;

export const findRecordNumbers: Detector = (text, out) => {
  eachMatch(MRN, text, (m) => {
    const span = groupSpan(m, 1);
    if (!span) return;
    const id = m[1] ?? '';
    const head = id.replace(TRAILING_GROUPS, '');
    // Extra groups belong to short numeric IDs written in blocks, not to a long ID followed by a count.
    const end = head.length > 6 || !/^\d+$/.test(head) ? span[0] + head.length : span[1];
    out.push({ kind: 'mrn', start: span[0], end });
  });
};

// IPv4 with each part 0-255; IPv6 candidates are checked by node:net. Unspecified and loopback
// addresses say nothing about a person, and a dotted number after "version" is a version.
const OCTET = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)`;
const IPV4 = new RegExp(String.raw`(?<![\w.])(?:${OCTET}\.){3}${OCTET}(?![\w]|\.\d)`, 'g');
const IPV6 = /(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])/g;
const VERSION_BEFORE = /(?:version|firmware|build|release|v)[ \t]*$/i;
const NOT_PERSONAL = new Set(['0.0.0.0', '127.0.0.1', '::', '::1']);

export const findIpAddresses: Detector = (text, out) => {
  eachMatch(IPV4, text, (m) => {
    if (NOT_PERSONAL.has(m[0]) || VERSION_BEFORE.test(text.slice(Math.max(0, m.index - 12), m.index))) return;
    out.push({ kind: 'ip_address', start: m.index, end: m.index + m[0].length });
  });
  if (!text.includes(':')) return;
  eachMatch(IPV6, text, (m) => {
    if (!NOT_PERSONAL.has(m[0]) && isIPv6(m[0])) {
      out.push({ kind: 'ip_address', start: m.index, end: m.index + m[0].length });
    }
  });
};
