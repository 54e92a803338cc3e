/**
 * Dates. Every full calendar date (day, month and year) is redacted: in a message about a patient
 * a full date is a birth, admission, visit or discharge date, all personal data under HIPAA's safe
 * harbor. A date near a birth cue ("DOB", "born", "birthday") is `date_of_birth`, any other is
 * `date`. A date without a year ("March 14", "14/3") is redacted only next to a birth cue, and a
 * year alone never. Machine timestamps (`2024-06-10T14:53:54Z`, `2024-11-05 08:14:22`) are kept:
 * they mark events in the gateway, not in a patient's life.
 */
import { anyOf, eachMatch, type Detector, type FoundIdentifier, type IdentifierKind } from './kinds.ts';

const MONTH = anyOf(
  'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?',
  'sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?',
);
const ORDINAL = String.raw`(?:st|nd|rd|th)?`;

// Year first: 1985-03-14, 1985/03/14. A clock time with seconds after it, joined by T or a space,
// makes it a log timestamp (2024-06-10T14:53:54Z, 2024-11-05 08:14:22,301), which is kept.
const YEAR_FIRST = /(?<![\w./-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\w]|[-/.]\d| \d{1,2}:\d{2}:\d{2})/g;
// Day or month first: 03/14/1985, 14.03.1985, 3/4/85 (a two-digit year only near a birth cue).
const NUMERIC = /(?<![\w./:-])(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?![\w]|[-/.:]\d)/g;
const DAY_MONTH_YEAR = new RegExp(
  String.raw`(?<![\w])(\d{1,2})${ORDINAL}(?:[ \t]+of)?[ \t]+(${MONTH})\.?,?[ \t]+(\d{4})(?![\w])`,
  'gi',
);
const MONTH_DAY_YEAR = new RegExp(
  String.raw`(?<![\w])(${MONTH})\.?[ \t]+(\d{1,2})${ORDINAL},?[ \t]+(\d{4})(?![\w])`,
  'gi',
);
// Dates without a year, kept only when a birth cue is next to them.
const PARTIAL_FORMS = anyOf(
  String.raw`${MONTH}\.?[ \t]+\d{1,2}${ORDINAL}`, // March 14
  String.raw`\d{1,2}${ORDINAL}(?:[ \t]+of)?[ \t]+${MONTH}`, // 14th of March
  String.raw`\d{1,2}[/.]\d{1,2}`, // 14/3
);
const PARTIAL = new RegExp(String.raw`(?<![\w./-])${PARTIAL_FORMS}(?![\w]|[/.]\d)`, 'gi');

// A birth cue before the date, in the same clause and with no other number in between.
const CUE_BEFORE = /(?:\bd\.?o\.?b\b\.?|\bdate of birth|\bbirth ?date|\bborn\b|\bbirthday)[^\n;.\d]{0,30}$/i;
const CUE_AFTER =
  /^[\s)]{0,3}(?:(?:is|was)\s+)?(?:(?:my|his|her|their|the)\s+)?(?:d\.?o\.?b\b|date of birth|birthday)/i;

function nearBirthCue(text: string, start: number, end: number): boolean {
  return CUE_BEFORE.test(text.slice(Math.max(0, start - 48), start)) || CUE_AFTER.test(text.slice(end, end + 32));
}

function kindAt(text: string, start: number, end: number): IdentifierKind {
  return nearBirthCue(text, start, end) ? 'date_of_birth' : 'date';
}

const validYear = (year: number): boolean => year >= 1900 && year <= 2099;
const validDay = (day: number): boolean => day >= 1 && day <= 31;
const validMonth = (month: number): boolean => month >= 1 && month <= 12;

function findYearFirst(text: string, out: FoundIdentifier[]): void {
  eachMatch(YEAR_FIRST, text, (m) => {
    if (!validYear(Number(m[1])) || !validMonth(Number(m[3])) || !validDay(Number(m[4]))) return;
    const end = m.index + m[0].length;
    out.push({ kind: kindAt(text, m.index, end), start: m.index, end });
  });
}

function findNumeric(text: string, out: FoundIdentifier[]): void {
  eachMatch(NUMERIC, text, (m) => {
    const first = Number(m[1]);
    const second = Number(m[3]);
    const year = m[4] ?? '';
    // Either order (US month-first or day-first) is a date, as long as one of them can be the month.
    if (!validDay(first) || !validDay(second) || (first > 12 && second > 12)) return;
    const end = m.index + m[0].length;
    const cued = nearBirthCue(text, m.index, end);
    if (year.length === 4 ? !validYear(Number(year)) : !cued) return;
    out.push({ kind: cued ? 'date_of_birth' : 'date', start: m.index, end });
  });
}

function findWritten(text: string, out: FoundIdentifier[]): void {
  for (const re of [DAY_MONTH_YEAR, MONTH_DAY_YEAR]) {
    eachMatch(re, text, (m) => {
      const day = Number(re === DAY_MONTH_YEAR ? m[1] : m[2]);
      if (!validDay(day) || !validYear(Number(m[3]))) return;
      const end = m.index + m[0].length;
      out.push({ kind: kindAt(text, m.index, end), start: m.index, end });
    });
  }
}

function findPartialBirthDates(text: string, out: FoundIdentifier[]): void {
  eachMatch(PARTIAL, text, (m) => {
    const end = m.index + m[0].length;
    if (nearBirthCue(text, m.index, end)) out.push({ kind: 'date_of_birth', start: m.index, end });
  });
}

export const findDates: Detector = (text, out) => {
  findYearFirst(text, out);
  findNumeric(text, out);
  findWritten(text, out);
  // A partial date inside a full one is dropped when the redactor settles overlaps.
  findPartialBirthDates(text, out);
};
