/**
 * Synthetic appointment records with a no-show outcome drawn from a hidden model.
 *
 * The hidden log-odds are deliberately not linear in the raw fields: risk rises
 * with the log of the lead time and saturates with prior no-shows, peaks for young
 * adults, reminders help far more for appointments booked well ahead, and Mondays,
 * Fridays and web bookings carry extra risk. A model must learn those shapes from
 * standardised inputs; the outcome is a coin flip with that probability, so even
 * the hidden model itself cannot reach an AUC of 1.
 */
import { createRng, type Rng } from '../../../core/seeded-rng.ts';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const CHANNELS = ['phone', 'web', 'referral'] as const;

export interface NoshowItem {
  readonly age: number;
  readonly lead_time_days: number;
  readonly prior_no_shows: number;
  readonly reminder_sent: boolean;
  readonly weekday: (typeof WEEKDAYS)[number];
  readonly channel: (typeof CHANNELS)[number];
}

export interface NoshowExample {
  readonly item: NoshowItem;
  readonly label: 0 | 1;
  /** The hidden model's probability: the best any model could predict. */
  readonly trueProbability: number;
}

const WEEKDAY_WEIGHTS = [19, 19, 19, 19, 16, 6, 2];
const WEEKDAY_EFFECT = [0.4, 0, -0.15, 0, 0.5, 0.2, 0.3];
const CHANNEL_WEIGHTS = [50, 35, 15];
const CHANNEL_EFFECT = [0, 0.5, -0.6];

export function generateNoshowExamples(options: { readonly seed: number; readonly count: number }): NoshowExample[] {
  const rng = createRng(options.seed);
  return Array.from({ length: options.count }, () => {
    const item = drawItem(rng);
    const trueProbability = 1 / (1 + Math.exp(-hiddenLogOdds(item)));
    return { item, label: rng.chance(trueProbability) ? 1 : 0, trueProbability };
  });
}

function drawItem(rng: Rng): NoshowItem {
  const group = rng.weighted([20, 60, 20]);
  const age = group === 0 ? rng.int(18) : group === 1 ? 18 + rng.int(47) : 65 + rng.int(36);
  const leadTime = rng.chance(0.1) ? 0 : Math.min(365, Math.round(-18 * Math.log(1 - rng.next())));
  const priorNoShows = Math.min(50, Math.floor(-0.9 * Math.log(1 - rng.next())));
  return {
    age,
    lead_time_days: leadTime,
    prior_no_shows: priorNoShows,
    reminder_sent: rng.chance(0.7),
    weekday: WEEKDAYS[rng.weighted(WEEKDAY_WEIGHTS)] ?? 'mon',
    channel: CHANNELS[rng.weighted(CHANNEL_WEIGHTS)] ?? 'phone',
  };
}

export function hiddenLogOdds(item: NoshowItem): number {
  const youngAdult = 1.6 * Math.exp(-(((item.age - 24) / 8) ** 2));
  const elderly = 0.7 / (1 + Math.exp(-(item.age - 82) / 4));
  const lead = 0.85 * Math.log1p(item.lead_time_days);
  const history = 3.2 * (1 - Math.exp(-item.prior_no_shows / 2));
  const reminder = item.reminder_sent ? -(0.3 + (1.3 * Math.min(item.lead_time_days, 30)) / 30) : 0;
  const weekday = WEEKDAY_EFFECT[WEEKDAYS.indexOf(item.weekday)] ?? 0;
  const channel = CHANNEL_EFFECT[CHANNELS.indexOf(item.channel)] ?? 0;
  return -3.9 + youngAdult + elderly + lead + history + reminder + weekday + channel;
}
