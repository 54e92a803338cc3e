/**
 * Phrase banks that make the messages hard: distractors that mention another
 * intent without asking for it, negations, secondary requests, very short and
 * vague messages, and the greetings and sign-offs around a message.
 */
import type { Intent } from './intents.ts';

/** Statements that mention an intent's vocabulary without asking for it. */
export const DISTRACTORS: Readonly<Record<Intent, readonly string[]>> = {
  appointment: ['i had my {visit} recently', 'i see {doctor} next month anyway', 'my appointment last week went fine'],
  prescription_refill: [
    'i take {drug} every day',
    'my {drug} is fine for now',
    'i picked up my meds at {pharmacy} already',
  ],
  billing: ['i already paid my last bill', 'my insurance is {insurance}', 'the copay was no problem'],
  lab_results: ['my {test} last year was normal', 'i had a {test} done recently', 'my results were fine last time'],
  urgent_symptoms: ['no chest pain or trouble breathing', 'this is not an emergency', 'nothing urgent'],
  routine_symptoms: ["i've had {routine} before", 'otherwise i feel fine', 'my cold is gone now'],
  records_request: [
    'you should have my records from before',
    'my chart should show it',
    'i filled out the forms already',
  ],
  other: ['the parking was easy', 'thanks for your help', 'the front desk was very nice'],
};

/** What a message says it is not about; the intent key is the topic being negated. */
export const NEGATIONS: Readonly<Record<Intent, readonly string[]>> = {
  appointment: ["this isn't about an appointment", 'not trying to book anything'],
  prescription_refill: ['not asking for a refill', "this isn't about my prescription"],
  billing: ["this isn't about my bill", 'not a billing question'],
  lab_results: ['not about my lab results', "this isn't about test results"],
  urgent_symptoms: ['not an emergency', 'nothing urgent'],
  routine_symptoms: ["i'm not sick", 'not about symptoms'],
  records_request: ['not a records request', "i don't need my records"],
  other: ['not about parking', 'not a password problem'],
};

/** A second, lesser request appended to a message; urgent symptoms are never secondary. */
export const SECONDARY_REQUESTS: Readonly<Record<Exclude<Intent, 'urgent_symptoms'>, readonly string[]>> = {
  appointment: ['can i also [book|schedule] a {visit}', 'i also need to reschedule my appointment'],
  prescription_refill: ['i also need a refill of {drug}', 'could you refill my {drug} too'],
  billing: ['i also have a question about my bill', 'why was i charged {amount}'],
  lab_results: ['are my {test} results back', 'what did my {test} show'],
  routine_symptoms: ["i've had {routine} {duration}", 'what can i take for {routine}'],
  records_request: ['can you send my {record} to {destination}', 'i need a copy of my {record}'],
  other: ['what are your hours', 'where do i park'],
};

export const SECONDARY_JOINERS = ['also', 'and', 'btw', 'oh and', 'one more thing', 'while i have you', 'p.s.'];

/** Whole messages of one to three words, as people send from a phone. */
export const SHORT_MESSAGES: Readonly<Record<Intent, readonly string[]>> = {
  appointment: ['appt', 'reschedule', 'book appointment', 'cancel appt', 'need appointment', 'appointment {day}'],
  prescription_refill: ['refill', 'refill pls', '{drug} refill', 'rx refill', 'need {drug}'],
  billing: ['bill', 'billing question', 'payment', 'copay?', '{insurance}', 'invoice'],
  lab_results: ['results?', 'lab results', '{test} results', 'test results', '{test}?'],
  urgent_symptoms: ['{urgent}', 'emergency', 'help', '{urgent} now'],
  routine_symptoms: ['{routine}', '{routine} advice', 'sick', 'cold symptoms'],
  records_request: ['records', 'medical records', 'records request', 'my {record}', 'forms'],
  other: ['hours?', 'parking', 'hello', 'hi', 'password', 'address?', 'fax number'],
};

/** Messages that carry no intent of their own; the triage policy routes them to "other". */
export const VAGUE_MESSAGES = [
  'i have a question',
  'please call me back',
  'can someone help me',
  'i need to talk to someone',
  'is anyone there',
  'got your message',
  'returning your call',
  'can you call me at {phone}',
  'following up on my last message',
  'who do i ask about this',
];

export const GREETINGS = [
  'hi',
  'hello',
  'good morning',
  'hey',
  'dear doctor',
  'hi there',
  'to whom it may concern',
  'good afternoon',
  'hello this is {name}',
];

export const SIGN_OFFS = [
  'thanks',
  'thank you',
  'thanks so much',
  'please call me back',
  'my number is {phone}',
  '- {name}',
  'appreciate it',
  'regards {name}',
  'thx',
];
