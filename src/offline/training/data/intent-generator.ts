/**
 * Synthetic patient messages for the triage and embedding models.
 *
 * A message is a template filled with slot values, then, with fixed probabilities,
 * made harder the way real inboxes are: a distractor sentence about another topic,
 * a negation ("not a billing question"), a secondary request of another intent,
 * a two-word message, a vague message, typos, greetings, sign-offs and random case.
 * The label is always the primary intent (vague messages are "other").
 *
 * The golden split draws from its own RNG stream, uses held-out slot values and,
 * for some of its messages, templates that never occur in training.
 */
import { createRng, type Rng } from '../../../core/seeded-rng.ts';
import {
  DISTRACTORS,
  GREETINGS,
  NEGATIONS,
  SECONDARY_JOINERS,
  SECONDARY_REQUESTS,
  SHORT_MESSAGES,
  SIGN_OFFS,
  VAGUE_MESSAGES,
} from './intent-phrases.ts';
import { GOLDEN_ONLY_TEMPLATES, TRAIN_TEMPLATES } from './intent-templates.ts';
import { INTENTS, type Intent, type IntentExample, type MessageTrait } from './intents.ts';
import { slotValue, type Split } from './slot-values.ts';
import { addTypos } from './typos.ts';

/** How often each intent occurs, in INTENTS order (appointments are the most common). */
const INTENT_WEIGHTS = [18, 14, 12, 13, 9, 14, 9, 11];

export const MESSAGE_MIX = {
  short: 0.07,
  vague: 0.03,
  unseenTemplate: 0.25,
  distractor: 0.2,
  negation: 0.1,
  secondary: 0.2,
  typos: 0.6,
  typoRate: 0.25,
  greeting: 0.3,
  signOff: 0.3,
} as const;

export interface IntentDataOptions {
  readonly seed: number;
  readonly count: number;
  readonly split: Split;
}

export function generateIntentExamples(options: IntentDataOptions): IntentExample[] {
  const rng = createRng(options.seed);
  return Array.from({ length: options.count }, () => generateMessage(rng, options.split));
}

interface Draft {
  text: string;
  readonly label: Intent;
  readonly traits: MessageTrait[];
}

function generateMessage(rng: Rng, split: Split): IntentExample {
  const intent = INTENTS[rng.weighted(INTENT_WEIGHTS)] ?? 'other';
  const roll = rng.next();
  if (roll < MESSAGE_MIX.short) {
    return finish({ text: fill(rng.pick(SHORT_MESSAGES[intent]), rng, split), label: intent, traits: ['short'] }, rng);
  }
  if (roll < MESSAGE_MIX.short + MESSAGE_MIX.vague) {
    return finish({ text: fill(rng.pick(VAGUE_MESSAGES), rng, split), label: 'other', traits: ['vague'] }, rng);
  }
  const unseen = split === 'golden' && rng.chance(MESSAGE_MIX.unseenTemplate);
  const template = rng.pick(unseen ? GOLDEN_ONLY_TEMPLATES[intent] : TRAIN_TEMPLATES[intent]);
  const draft: Draft = { text: fill(template, rng, split), label: intent, traits: unseen ? ['unseen_template'] : [] };
  decorate(draft, rng, split);
  return finish(draft, rng);
}

/** Adds at most one negation, distractor and secondary request, each about another intent. */
function decorate(draft: Draft, rng: Rng, split: Split): void {
  if (rng.chance(MESSAGE_MIX.negation)) {
    draft.text = `${fill(rng.pick(NEGATIONS[otherIntent(draft.label, rng)]), rng, split)}, ${draft.text}`;
    draft.traits.push('negation');
  }
  if (rng.chance(MESSAGE_MIX.distractor)) {
    const distractor = fill(rng.pick(DISTRACTORS[otherIntent(draft.label, rng)]), rng, split);
    draft.text = rng.chance(0.5) ? `${distractor}. ${draft.text}` : `${draft.text}. ${distractor}`;
    draft.traits.push('distractor');
  }
  if (rng.chance(MESSAGE_MIX.secondary)) {
    const requests = SECONDARY_REQUESTS[rng.pick(SECONDARY_INTENTS.filter((intent) => intent !== draft.label))];
    draft.text = `${draft.text}. ${rng.pick(SECONDARY_JOINERS)} ${fill(rng.pick(requests), rng, split)}`;
    draft.traits.push('secondary');
  }
}

function otherIntent(intent: Intent, rng: Rng): Intent {
  return rng.pick(INTENTS.filter((candidate) => candidate !== intent));
}

/** Urgent symptoms are never a side note: a message that mentions them is urgent. */
const SECONDARY_INTENTS = INTENTS.filter(
  (intent): intent is Exclude<Intent, 'urgent_symptoms'> => intent !== 'urgent_symptoms',
);

/** Typos, greeting, sign-off and surface form: none of it changes the label. */
function finish(draft: Draft, rng: Rng): IntentExample {
  let text = draft.text;
  if (rng.chance(MESSAGE_MIX.typos)) {
    text = addTypos(text, MESSAGE_MIX.typoRate, rng);
    draft.traits.push('typos');
  }
  if (rng.chance(MESSAGE_MIX.greeting))
    text = `${fill(rng.pick(GREETINGS), rng, 'train')}${rng.pick([',', '', ' -', '!'])} ${text}`;
  if (rng.chance(MESSAGE_MIX.signOff))
    text = `${text}${rng.pick(['.', '', '!', ' -'])} ${fill(rng.pick(SIGN_OFFS), rng, 'train')}`;
  return { text: surfaceForm(text, rng), label: draft.label, traits: draft.traits };
}

function surfaceForm(text: string, rng: Rng): string {
  const ending = rng.pick(['', '', '.', '?', '!', '!!', '...']);
  const style = rng.next();
  if (style < 0.04) return text.toUpperCase() + ending;
  if (style < 0.5) return text.charAt(0).toUpperCase() + text.slice(1) + ending;
  return text + ending;
}

const ALTERNATIVES = /\[([^[\]]*)\]/g;
const SLOT = /\{(\w+)\}/g;

/** Expands "[a|b]" alternatives, then "{slot}" values. */
export function fill(template: string, rng: Rng, split: Split): string {
  const chosen = template.replace(ALTERNATIVES, (_, options: string) => rng.pick(options.split('|')));
  return chosen
    .replace(SLOT, (_, slot: string) => slotValue(slot, split, rng))
    .replace(/ {2,}/g, ' ')
    .trim();
}
