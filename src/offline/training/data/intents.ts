/** The triage intents, in the order of the classifiers' probability outputs. */
export const INTENTS = [
  'appointment',
  'prescription_refill',
  'billing',
  'lab_results',
  'urgent_symptoms',
  'routine_symptoms',
  'records_request',
  'other',
] as const;

export type Intent = (typeof INTENTS)[number];

/** What made a generated message hard; kept for the model card's breakdown, never shown to a model. */
export type MessageTrait = 'short' | 'vague' | 'unseen_template' | 'negation' | 'distractor' | 'secondary' | 'typos';

export interface IntentExample {
  readonly text: string;
  readonly label: Intent;
  readonly traits: readonly MessageTrait[];
}

export function intentIndex(intent: Intent): number {
  return INTENTS.indexOf(intent);
}
