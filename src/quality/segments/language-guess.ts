/**
 * A cheap language guess for segmenting traffic, not a language identifier: the script of
 * most letters in the first 400 characters decides (Hangul is ko, kana ja, Han zh, Greek el,
 * Hebrew he, Thai th, Devanagari hi, Arabic ar or fa, Cyrillic ru or uk); Latin text is
 * guessed from its most frequent function words among en, es, fr, de, it, pt and nl.
 * Anything unsure is `und` (ISO 639's "undetermined"). It costs one pass over at most 400
 * characters and a few dozen set lookups, which is why it is good enough for a segment
 * label and no more: short texts, mixed languages and languages outside the list come out
 * `und` or as their nearest neighbour.
 */

const SCAN_CHARS = 400;
const SCAN_WORDS = 60;
export const UNDETERMINED = 'und';

type Script = 'latin' | 'cyrillic' | 'greek' | 'arabic' | 'hebrew' | 'han' | 'kana' | 'hangul' | 'thai' | 'devanagari';

const SCRIPTS: ReadonlyArray<readonly [Script, RegExp]> = [
  ['latin', /\p{Script=Latin}/u],
  ['cyrillic', /\p{Script=Cyrillic}/u],
  ['greek', /\p{Script=Greek}/u],
  ['arabic', /\p{Script=Arabic}/u],
  ['hebrew', /\p{Script=Hebrew}/u],
  ['kana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['han', /\p{Script=Han}/u],
  ['hangul', /\p{Script=Hangul}/u],
  ['thai', /\p{Script=Thai}/u],
  ['devanagari', /\p{Script=Devanagari}/u],
];

const BY_SCRIPT: Readonly<Partial<Record<Script, string>>> = {
  greek: 'el',
  hebrew: 'he',
  hangul: 'ko',
  thai: 'th',
  devanagari: 'hi',
};

/** Words frequent in one language and rare in the others of the list (accents kept). */
const STOPWORDS: Readonly<Record<string, ReadonlySet<string>>> = {
  en: words('the and is are was were of to in that this with for you not have what how'),
  es: words('el la los las es está son del que por para con una pero qué cómo muy también'),
  fr: words('le la les est sont des du que pour avec une mais pas vous je nous très aussi'),
  de: words('der die das und ist sind nicht ein eine mit für auch ich sie wir wie was'),
  it: words('il la gli le è sono del della che per con una non ma come anche molto sei'),
  pt: words('o a os as é são do da que para com uma não mas como também muito você'),
  nl: words('de het een is zijn niet en van dat met voor ook ik je wat hoe maar'),
};

export function guessLanguage(text: string): string {
  const sample = text.length > SCAN_CHARS ? text.slice(0, SCAN_CHARS) : text;
  const script = dominantScript(sample);
  if (script === undefined) return UNDETERMINED;
  if (script === 'latin') return latinLanguage(sample);
  if (script === 'cyrillic') return /[іїєґІЇЄҐ]/u.test(sample) ? 'uk' : 'ru';
  if (script === 'arabic') return /[پچژگ]/u.test(sample) ? 'fa' : 'ar';
  // Japanese mixes kana with Han; Chinese has no kana.
  if (script === 'han') return /[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(sample) ? 'ja' : 'zh';
  if (script === 'kana') return 'ja';
  return BY_SCRIPT[script] ?? UNDETERMINED;
}

function dominantScript(sample: string): Script | undefined {
  const counts = new Map<Script, number>();
  for (const char of sample) {
    if (char.charCodeAt(0) < 0x41) continue; // digits, spaces, ASCII punctuation
    const script = SCRIPTS.find(([, pattern]) => pattern.test(char))?.[0];
    if (script !== undefined) counts.set(script, (counts.get(script) ?? 0) + 1);
  }
  let best: Script | undefined;
  let bestCount = 0;
  for (const [script, count] of counts) {
    if (count > bestCount) [best, bestCount] = [script, count];
  }
  return best;
}

/** The language whose function words are most frequent: at least two, and more than any other's. */
function latinLanguage(sample: string): string {
  const tokens =
    sample
      .toLowerCase()
      .match(/[\p{L}]+/gu)
      ?.slice(0, SCAN_WORDS) ?? [];
  let best = UNDETERMINED;
  let bestHits = 0;
  let tied = false;
  for (const [language, stopwords] of Object.entries(STOPWORDS)) {
    let hits = 0;
    for (const token of tokens) if (stopwords.has(token)) hits += 1;
    if (hits > bestHits) [best, bestHits, tied] = [language, hits, false];
    else if (hits === bestHits) tied = true;
  }
  return bestHits >= 2 && !tied ? best : UNDETERMINED;
}

function words(list: string): ReadonlySet<string> {
  return new Set(list.split(' '));
}
