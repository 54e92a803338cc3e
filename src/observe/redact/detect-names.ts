/**
 * Names, found only where something announces them: a title (Mr, Dr, Nurse ...), a label
 * ("Patient:", "Name:", `"name":"..."`), an introduction ("my name is", "I'm", "this is"), a
 * relation ("my son Tom"), a greeting ("Dear Jane,") or a sign-off ("Regards,\nJane Doe"). A name
 * nothing announces ("Tom's been coughing") is missed; telling it from other capitalised words
 * needs a model, not a pattern.
 */
import { anyOf, eachMatch, groupSpan, type Detector, type FoundIdentifier } from './kinds.ts';

// A capitalised word (O'Neill, Ferreira-Lopes, Ji-hoon, Müller) or an initial ("A.").
const WORD = String.raw`\p{Lu}\p{L}*(?:['’]\p{Lu}\p{L}*|-\p{L}+)*`;
const TOKEN = String.raw`(?:\p{Lu}\.|${WORD})`;
const PARTICLE = anyOf('van|von|de|der|den|del|della|da|di|du|dos|la|le|bin|al|ibn');
const NAME = String.raw`(${TOKEN}(?:[ \t]+(?:${PARTICLE}[ \t]+){0,2}${TOKEN}){0,3})(?![\p{L}\d@/])`;
const TITLE = anyOf('Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Doctor|Nurse|Sister|Sr|Master|MR|MRS|DR');
const OPTIONAL_TITLE = String.raw`(?:${TITLE}\.?[ \t]+)?`;
const NEWLINE = String.raw`(?:\r?\n|\\n)`; // real, or escaped inside a JSON log line

// Alternatives whose words may also start with a capital ("patient" or "Patient").
const FIRST_LETTERS = /\b([a-z])/g;
const either = (...pieces: string[]): string =>
  anyOf(...pieces).replace(FIRST_LETTERS, (_, letter: string) => `[${letter.toUpperCase()}${letter}]`);

const NAME_PREFIX = either(
  "patient|pt|client|resident|child|child's|child’s|full|first|last|given|family|preferred|my|his|her|their",
);
const COLON_LABEL = either(
  'patient|pt|client|resident|from|attn|contact|emergency contact|next of kin|policy holder|policyholder|guardian',
  'parent|carer|caregiver|attending|referrer|consultant|registrar|signed|surname|forename',
);
const RELATIVE = either(
  'son|daughter|wife|husband|partner|mum|mom|mother|dad|father|brother|sister|grandmother|grandfather|grandma',
  'grandpa|granny|grandson|granddaughter|child|baby|carer|caregiver|friend|aunt|uncle|niece|nephew|fiancé|fiancée',
  'girlfriend|boyfriend|neighbour|neighbor',
);
const CLOSING = either(
  'best regards|kind regards|warm regards|warmest regards|regards|best wishes|best|many thanks|thanks so much',
  'thanks again|thanks|thank you so much|thank you|with thanks|thx|cheers|sincerely|yours sincerely|yours truly',
  'yours faithfully|respectfully|take care|warmly|love',
);
// Where a greeting or sign-off may start: the text's start, a line's, a sentence's, or a quote's.
const OPENS = String.raw`(?:^|(?<=[\n.!?"'“][ \t]{0,3}|\\n))`;

const TITLED = new RegExp(String.raw`(?<![\p{L}])${TITLE}\.?[ \t]+${NAME}`, 'dgu');
// The cues a name follows directly, in one alternation so the text is scanned once for all of them.
const CUE = anyOf(
  // Name: Jane Doe, patient name Jane Doe, my name is Jane Doe, "name":"Jane Doe"
  String.raw`(?:${NAME_PREFIX}[ _]?)?(?:[Nn]ame|NAME)(?:[ \t]+on[ \t]+card)?["']?[ \t]*(?:[:=]|is\b)?[ \t]*["']?[ \t]*`,
  String.raw`${COLON_LABEL}[ \t]*:[ \t]*`, // Patient: Jane Doe, From: Jane Doe
  String.raw`(?:${either('i am')}|I['’]m|[Tt]his is|[Ii]t['’]?s)[ \t]+`, // I'm Jane, this is Jane
  String.raw`${RELATIVE}(?:['’]s)?[ \t]*,?[ \t]+`, // my son Tom, daughter, Helen Marsh
);
const CUED = new RegExp(String.raw`(?<![\p{L}])${CUE}${OPTIONAL_TITLE}${NAME}`, 'dgu');
const GREETING = new RegExp(
  String.raw`${OPENS}${either('dear|hi|hello|hey')}[ \t]+${OPTIONAL_TITLE}${NAME}(?=[ \t]*(?:[,!:;\n]|$))`,
  'dgu',
);
const SIGN_OFF = new RegExp(
  String.raw`${OPENS}${CLOSING}[ \t]*[,.!]?[ \t]*(?:${NEWLINE}[ \t]*){0,3}(?:[-–—]{1,2}[ \t]*(?:${NEWLINE}[ \t]*)?)?` +
    String.raw`${OPTIONAL_TITLE}${NAME}(?=[ \t]*(?:$|[\n,.!)"']|\\n))`,
  'dgu',
);
// "- Dave" as the last line of a message, unless the line before is a list item too ("- Paracetamol").
const DASH_SIGNATURE = new RegExp(String.raw`(?:^|\n)[ \t]*[-–—]{1,2}[ \t]*${NAME}[ \t]*$`, 'dgu');
const LIST_ITEM_BEFORE = /(?:^|\n)[ \t]*[-–—*•][^\n]*\n[ \t]*[-–—]{1,2}[^\n]*$/;

// Capitalised words that follow these cues without being names.
const NOT_NAMES = new Set(
  (
    'the a an this that these those team all everyone doctor doc nurse sir madam there folks guys reception admin ' +
    'clinic hospital practice surgery ward front i we you he she they it my our your his her their thanks thank ' +
    'regards best please hi hello dear yes no ok okay sent get not just also sorry fine good well type mum dad mom ' +
    'monday tuesday wednesday thursday friday saturday sunday today tomorrow tonight here now'
  ).split(' '),
);
const ALL_CAPS = /^\p{Lu}{2,}$/u;
const SINGLE_LETTER = /^\p{Lu}$/u;

const TOKENS = /\S+/g;

/**
 * How much of what the pattern took is a name: a trailing lone capital goes ("Ana I'm" → "Ana"),
 * and after a cue weaker than a title, a first word that is a stop word or an acronym ("my son's
 * MRN") means no name at all. Returns the name's length, 0 for none.
 */
function nameLength(name: string, titled: boolean): number {
  const tokens = [...name.matchAll(TOKENS)];
  while (tokens.length > 0 && SINGLE_LETTER.test(tokens[tokens.length - 1]?.[0] ?? '')) tokens.pop();
  const first = tokens[0]?.[0];
  const last = tokens[tokens.length - 1];
  if (first === undefined || last === undefined) return 0;
  if (!titled && (NOT_NAMES.has(first.toLowerCase()) || ALL_CAPS.test(first))) return 0;
  return last.index + last[0].length;
}

function collect(re: RegExp, titled: boolean, text: string, out: FoundIdentifier[]): void {
  eachMatch(re, text, (m) => {
    const span = groupSpan(m, 1);
    const name = m[1];
    if (!span || name === undefined) return;
    const length = nameLength(name, titled);
    if (length > 0) out.push({ kind: 'name', start: span[0], end: span[0] + length });
  });
}

export const findNames: Detector = (text, out) => {
  collect(TITLED, true, text, out);
  for (const re of [CUED, GREETING, SIGN_OFF]) collect(re, false, text, out);
  if (!LIST_ITEM_BEFORE.test(text.slice(-400))) collect(DASH_SIGNATURE, false, text, out);
};
