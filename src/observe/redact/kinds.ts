/** The kinds of personal identifier the redactor finds, and the small helpers its detectors share. */

export const IDENTIFIER_KINDS = [
  'email',
  'card',
  'ssn',
  'ip_address',
  'mrn',
  'date_of_birth',
  'date',
  'phone',
  'street_address',
  'name',
] as const;

export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];

/** A found identifier: `text.slice(start, end)` is what gets replaced. */
export interface FoundIdentifier {
  kind: IdentifierKind;
  start: number;
  end: number;
}

/** A detector appends what it finds; the redactor settles overlaps between detectors afterwards. */
export type Detector = (text: string, out: FoundIdentifier[]) => void;

export function placeholder(kind: string): string {
  return `[REDACTED:${kind}]`;
}

/**
 * Runs a global (or sticky) regex over `text` from the start. The regexes are module-level and
 * compiled once, so `lastIndex` is reset here rather than trusted.
 */
export function eachMatch(re: RegExp, text: string, visit: (match: RegExpExecArray) => void): void {
  re.lastIndex = 0;
  for (let match = re.exec(text); match !== null; match = re.exec(text)) {
    if (match[0].length === 0) re.lastIndex += 1;
    visit(match);
  }
}

/** Start and end of capture group `group` (the regex needs the `d` flag), or of the whole match. */
export function groupSpan(match: RegExpExecArray, group: number): [number, number] | undefined {
  const span = match.indices?.[group];
  return span ? [span[0], span[1]] : undefined;
}

/** Luhn checksum over the digits of `digits` (cards, Canadian SINs). */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** `(?:a|b|c)` from alternatives given in pieces, so long word lists stay within the line width. */
export function anyOf(...pieces: string[]): string {
  return `(?:${pieces.join('|')})`;
}

const NON_DIGITS = /\D/g;

export function digitsOf(text: string): string {
  return text.replace(NON_DIGITS, '');
}
