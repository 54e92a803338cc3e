/**
 * Slot values for the message templates. Every fifth value of each list is kept
 * out of the training data and appears only in the golden set, so the golden set
 * also measures how a model copes with drugs, tests or names it never saw.
 */
import type { Rng } from '../../seeded-rng.ts';

export type Split = 'train' | 'golden';

const SURNAMES = [
  'smith', 'patel', 'nguyen', 'garcia', 'okafor', 'chen', 'johansson', 'rossi', 'kim', 'haddad',
  'levy', 'mensah', 'obrien', 'kowalski', 'tanaka', 'silva', 'muller', 'abara', 'fischer', 'novak',
];

const LISTS: Readonly<Record<string, readonly string[]>> = {
  day: [
    'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'tomorrow', 'today', 'next week',
    'this friday', 'next tuesday', 'the 14th', 'saturday', 'this afternoon', 'march 3rd', 'later this week',
  ],
  time: ['9am', '10 30', 'the afternoon', 'the morning', 'after 3pm', 'noon', 'lunchtime', '8 15', 'the evening', '4pm'],
  visit: [
    'checkup', 'physical', 'follow up', 'annual exam', 'consultation', 'wellness visit', 'new patient visit',
    'telehealth visit', 'vaccine appointment', 'pap smear appointment', 'diabetes check', 'well child visit',
    'pre op visit', 'prenatal visit', 'blood pressure check',
  ],
  drug: [
    'lisinopril', 'metformin', 'atorvastatin', 'amlodipine', 'levothyroxine', 'sertraline', 'albuterol inhaler',
    'omeprazole', 'losartan', 'gabapentin', 'insulin', 'simvastatin', 'escitalopram', 'montelukast',
    'rosuvastatin', 'hydrochlorothiazide', 'birth control pills', 'blood pressure pills', 'thyroid medication',
    'pantoprazole', 'fluoxetine', 'metoprolol', 'allergy pills', 'estradiol', 'bupropion',
  ],
  pharmacy: ['cvs', 'walgreens', 'the pharmacy on main street', 'rite aid', 'costco pharmacy', 'my mail order pharmacy', 'walmart pharmacy', 'the hospital pharmacy', 'kroger pharmacy', 'express scripts'],
  insurance: ['aetna', 'blue cross', 'medicare', 'medicaid', 'cigna', 'united healthcare', 'kaiser', 'humana', 'tricare', 'my employer plan'],
  test: [
    'blood work', 'a1c', 'cholesterol panel', 'thyroid test', 'mri', 'ct scan', 'x ray', 'biopsy', 'urine test',
    'covid test', 'mammogram', 'ultrasound', 'ekg', 'cbc', 'vitamin d test', 'strep test', 'colonoscopy', 'allergy test',
    'liver panel', 'pregnancy test',
  ],
  marker: ['cholesterol', 'glucose', 'potassium', 'white count', 'tsh', 'vitamin d', 'a1c', 'iron', 'ldl', 'creatinine'],
  urgent: [
    'chest pain', 'crushing chest pressure', 'trouble breathing', 'shortness of breath', 'severe bleeding that will not stop',
    'one side of my face drooping', 'slurred speech', 'the worst headache of my life', 'fainting spells', 'my throat swelling up',
    'a seizure', 'coughing up blood', 'thoughts of hurting myself', 'a high fever and a stiff neck', 'sudden weakness in my arm',
    'a severe allergic reaction', 'blue lips', 'vomiting blood', 'severe stomach pain', 'sudden vision loss',
    'chest tightness and sweating', 'a deep cut that keeps bleeding', 'confusion and trouble staying awake', 'an overdose', 'numbness on one side',
  ],
  routine: [
    'a mild rash', 'a runny nose', 'a sore throat', 'lower back pain', 'trouble sleeping', 'a lingering cough', 'itchy eyes',
    'heartburn', 'a sprained ankle', 'mild headaches', 'a stuffy nose', 'an earache', 'dry itchy skin', 'a wart on my hand',
    'knee pain when i run', 'feeling tired all the time', 'a low grade fever', 'constipation', 'a mild chest cold',
    'seasonal allergies', 'an ingrown toenail', 'a stiff neck from sleeping wrong', 'pink eye', 'acne', 'mild nausea',
  ],
  duration: ['since yesterday', 'for two days', 'for a week', 'for a few days', 'since monday', 'for a month', 'on and off for weeks', 'for about ten days', 'since the weekend', 'for a while'],
  soon: ['an hour ago', 'a few minutes ago', 'this morning', 'about 30 minutes ago', 'since lunch', 'just now', 'tonight', 'an hour'],
  record: [
    'medical records', 'chart', 'immunization records', 'vaccination history', 'x ray images', 'visit notes',
    'complete file', 'records from my last visit', 'school physical form', 'disability paperwork', 'mri images',
    'surgical report', 'discharge summary', 'medication list', 'health history',
  ],
  destination: ['my new doctor', 'a specialist', 'my insurance company', 'my lawyer', 'the school', 'another clinic', 'my employer', 'the dmv', 'my daughter s camp', 'the va'],
  family: ['husband', 'wife', 'mother', 'father', 'son', 'daughter', 'grandmother', 'partner', 'brother', 'roommate'],
  holiday: ['christmas eve', 'thanksgiving', 'new year s day', 'memorial day', 'labor day', 'the fourth of july', 'easter', 'presidents day'],
  item: ['glasses', 'umbrella', 'jacket', 'keys', 'phone charger', 'scarf', 'wallet', 'water bottle', 'reading glasses', 'hat'],
  name: ['maria', 'john', 'aisha', 'wei', 'carlos', 'emma', 'olu', 'priya', 'dmitri', 'grace', 'sam', 'fatima', 'liam', 'noor', 'jose'],
};

export type SlotName = keyof typeof LISTS | 'doctor' | 'amount' | 'phone';

function valuesFor(list: readonly string[], split: Split): readonly string[] {
  return split === 'golden' ? list : list.filter((_, index) => index % 5 !== 4);
}

export function slotValue(slot: string, split: Split, rng: Rng): string {
  switch (slot) {
    case 'doctor':
      return `${rng.pick(['dr', 'dr.', 'doctor', 'dr'])} ${rng.pick(valuesFor(SURNAMES, split))}`;
    case 'amount': {
      const dollars = rng.chance(0.5) ? 10 * (2 + rng.int(60)) : 20 + rng.int(2000);
      return rng.chance(0.3) ? `$${dollars}.${String(rng.int(100)).padStart(2, '0')}` : `$${dollars}`;
    }
    case 'phone':
      return `555-${String(100 + rng.int(900))}-${String(1000 + rng.int(9000))}`;
    default: {
      const list = LISTS[slot];
      if (list === undefined) throw new Error(`unknown template slot {${slot}}`);
      return rng.pick(valuesFor(list, split));
    }
  }
}
