import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_SCAN_CHARS, findIdentifiers, redactText } from './redactor.ts';

// [input, what redactText must return]; an unchanged input is a negative.
type Case = readonly [string, string];

const CASES: Record<string, Case[]> = {
  email: [
    ['write to jane.doe84@gmail.com today', 'write to [REDACTED:email] today'],
    ['ROBERT.BROWN@YAHOO.COM', '[REDACTED:email]'],
    ['From: <a.b+clinic@mail.co.uk>', 'From: <[REDACTED:email]>'],
    ["mary.o'neil@example.com", '[REDACTED:email]'],
    ['price @ 5 each, see @clinic on social media', 'price @ 5 each, see @clinic on social media'],
  ],
  phone: [
    ['call (617) 555-0142 or 617-555-0142', 'call [REDACTED:phone] or [REDACTED:phone]'],
    ['text +1 (212) 555-0123 now', 'text [REDACTED:phone] now'],
    ['toll free 1-800-555-0199.', 'toll free [REDACTED:phone].'],
    ['+44 20 7946 0958 / 07700 900123', '[REDACTED:phone] / [REDACTED:phone]'],
    ['(02) 9374 4000', '[REDACTED:phone]'],
    ['fax 555.348.2290 ext. 12, thanks', 'fax [REDACTED:phone], thanks'],
    ['(303) 555-0176 x 4410', '[REDACTED:phone]'],
    ['tel:+1-202-555-0173;ext=22', 'tel:[REDACTED:phone]'],
    ['callback 555-0134.', 'callback [REDACTED:phone].'],
    ['my phone is 6175550142', 'my phone is [REDACTED:phone]'],
    ['take 2 tablets 3 times a day, BP 120/80 at 3:30', 'take 2 tablets 3 times a day, BP 120/80 at 3:30'],
    ['order 4471902, epoch 1718031234567, 1,250,000 units', 'order 4471902, epoch 1718031234567, 1,250,000 units'],
    ['NDC 0002-8215-01, build 10.0.19045.3570, dial 911', 'NDC 0002-8215-01, build 10.0.19045.3570, dial 911'],
    ['tracking 9400 1000 0000 0000 0000 00', 'tracking 9400 1000 0000 0000 0000 00'],
  ],
  dates: [
    ['DOB 04/17/1952.', 'DOB [REDACTED:date_of_birth].'],
    ['he was born on March 3rd, 1948', 'he was born on [REDACTED:date_of_birth]'],
    ['date of birth: 14.03.1985', 'date of birth: [REDACTED:date_of_birth]'],
    ['DOB 3/4/85, latex allergy', 'DOB [REDACTED:date_of_birth], latex allergy'],
    ['birthday 14/3', 'birthday [REDACTED:date_of_birth]'],
    ['Nov 2, 1988 is my DOB', '[REDACTED:date_of_birth] is my DOB'],
    ['{"dob":"1979-02-14"}', '{"dob":"[REDACTED:date_of_birth]"}'],
    ['seen 2024-03-12, next 12 June 2024', 'seen [REDACTED:date], next [REDACTED:date]'],
    ['Jan 5, 2024 and 21/05/2024 and 5th of November, 1990', '[REDACTED:date] and [REDACTED:date] and [REDACTED:date]'],
    ['2024-06-10T14:53:54.120Z INFO ready', '2024-06-10T14:53:54.120Z INFO ready'],
    ['2024-11-05 08:14:22,301 WARN slot 2024-04-02 09:40', '2024-11-05 08:14:22,301 WARN slot [REDACTED:date] 09:40'],
    [
      'since 2019, form rev. 06/2023, moved from 3/14 to 3/21',
      'since 2019, form rev. 06/2023, moved from 3/14 to 3/21',
    ],
    ['INV-2024-03-0142, 1985-13-45, sort code 20-00-00', 'INV-2024-03-0142, 1985-13-45, sort code 20-00-00'],
  ],
  street_address: [
    ['I moved to 742 Evergreen Terrace, Springfield, OR 97403, thanks', 'I moved to [REDACTED:street_address], thanks'],
    ['the pharmacy at 1200 Market St. says', 'the pharmacy at [REDACTED:street_address] says'],
    ['Apt 5B, 301 West 57th Street, New York, NY 10019', '[REDACTED:street_address]'],
    ['PO Box 4471, Tucson, AZ 85717', '[REDACTED:street_address]'],
    ['at 10 Downing St, London SW1A 2AA', 'at [REDACTED:street_address]'],
    ['to 14 Harbour View Road, Cork.', 'to [REDACTED:street_address].'],
    ['77 Sunset Blvd Apt 4, Los Angeles, CA 90028', '[REDACTED:street_address]'],
    ['use the side door on Main Street, room 214', 'use the side door on Main Street, room 214'],
    ['Apply 2 drops in each eye, Building C, Hall 2', 'Apply 2 drops in each eye, Building C, Hall 2'],
  ],
  mrn: [
    ['MRN: 00482913.', 'MRN: [REDACTED:mrn].'],
    ['MR# 4418820 - wound check', 'MR# [REDACTED:mrn] - wound check'],
    ['Patient ID: PT-00982', 'Patient ID: [REDACTED:mrn]'],
    ['medical record number 2019-44871', 'medical record number [REDACTED:mrn]'],
    ['member ID is XHB448812093', 'member ID is [REDACTED:mrn]'],
    ['Medicare number 2123 45670 1', 'Medicare number [REDACTED:mrn]'],
    ['{"mrn":"88120473"}', '{"mrn":"[REDACTED:mrn]"}'],
    ['MRN 12345678 2 visits', 'MRN [REDACTED:mrn] 2 visits'],
    [
      'Order number 4471902, request #88213, a record of 3 visits',
      'Order number 4471902, request #88213, a record of 3 visits',
    ],
  ],
  ssn: [
    ['SSN 536-22-8451 and 401 88 2390', 'SSN [REDACTED:ssn] and [REDACTED:ssn]'],
    ['SSN on the form is 078051120', 'SSN on the form is [REDACTED:ssn]'],
    ['Her NHS number is 943 476 5919', 'Her NHS number is [REDACTED:ssn]'],
    ['My SIN is 046 454 286', 'My SIN is [REDACTED:ssn]'],
    ['000-12-3456 666-12-3456 912-34-5678', '000-12-3456 666-12-3456 912-34-5678'],
    // A failed NHS checksum is no national number, but 3-3-4 digits are still redacted, as a phone.
    ['SSN ***-**-6789, NHS number 943 476 5918', 'SSN ***-**-6789, NHS number [REDACTED:phone]'],
  ],
  card: [
    ['pay with 4111 1111 1111 1111', 'pay with [REDACTED:card]'],
    ['5500-0000-0000-0004 or 378282246310005', '[REDACTED:card] or [REDACTED:card]'],
    ['Amex 3782 822463 10005', 'Amex [REDACTED:card]'],
    ['typo 4111 1111 1111 1112, time 1718031234567', 'typo 4111 1111 1111 1112, time 1718031234567'],
  ],
  ip_address: [
    ['client 192.168.14.7 POST', 'client [REDACTED:ip_address] POST'],
    ['ECONNREFUSED 10.20.3.44:5432', 'ECONNREFUSED [REDACTED:ip_address]:5432'],
    ['remote 2001:db8:85a3::8a2e:370:7334 connected', 'remote [REDACTED:ip_address] connected'],
    ['listen 0.0.0.0:8080 and 127.0.0.1, firmware 4.3.2.1', 'listen 0.0.0.0:8080 and 127.0.0.1, firmware 4.3.2.1'],
    ['999.1.1.1 at 14:53:54', '999.1.1.1 at 14:53:54'],
  ],
  name: [
    ['Hi, this is Mrs. Eleanor Whitfield.', 'Hi, this is Mrs. [REDACTED:name].'],
    ['Thank you Dr Chen! Mx Jordan Reyes here', 'Thank you Dr [REDACTED:name]! Mx [REDACTED:name] here'],
    ["Prof. Hiroshi Tanaka saw Mr. Liu's knee", "Prof. [REDACTED:name] saw Mr. [REDACTED:name]'s knee"],
    ['Mrs. Jane van der Berg and Miss Amelia Hart', 'Mrs. [REDACTED:name] and Miss [REDACTED:name]'],
    ['Patient: Grace Ho, DOB', 'Patient: [REDACTED:name], DOB'],
    ['Name: Chloe Dubois. Prefers email', 'Name: [REDACTED:name]. Prefers email'],
    ['{"name":"Omar Haddad"}', '{"name":"[REDACTED:name]"}'],
    ['Regards,\nJane Doe', 'Regards,\n[REDACTED:name]'],
    ['Call me. Thanks, John', 'Call me. Thanks, [REDACTED:name]'],
    ['Best, -- A. Smith', 'Best, -- [REDACTED:name]'],
    ['{"text":"Best wishes,\\nCatherine Zhou"}', '{"text":"Best wishes,\\n[REDACTED:name]"}'],
    ['my son Tom has a fever', 'my son [REDACTED:name] has a fever'],
    ["I'm Sarah Nguyen, my dad Gerald fell", "I'm [REDACTED:name], my dad [REDACTED:name] fell"],
    ['Can you resend the link?\n- Dave', 'Can you resend the link?\n- [REDACTED:name]'],
    [
      'Dr. appointment tomorrow. Patient: stable. Patient: N/A',
      'Dr. appointment tomorrow. Patient: stable. Patient: N/A',
    ],
    ['Thanks, will do! Best, regards from all of us', 'Thanks, will do! Best, regards from all of us'],
    ['Kind regards,\nThe Appointments Team', 'Kind regards,\nThe Appointments Team'],
    ["name=triage-large, my son's MRN, Best time is 2pm", "name=triage-large, my son's MRN, Best time is 2pm"],
    ['Take:\n- Ibuprofen\n- Paracetamol', 'Take:\n- Ibuprofen\n- Paracetamol'],
  ],
};

describe('redactText', () => {
  for (const [kind, cases] of Object.entries(CASES)) {
    it(`replaces each ${kind} with its placeholder and leaves look-alikes alone`, () => {
      for (const [input, expected] of cases) assert.equal(redactText(input), expected, JSON.stringify(input));
    });
  }

  it('returns text without identifiers unchanged, as the same string', () => {
    const text = 'the clinic opens at 8:00, take 2 tablets';
    assert.equal(redactText(text), text);
    assert.equal(redactText(''), '');
  });

  it('reports each identifier once, in text order, with the offsets the placeholder replaces', () => {
    const text = 'Mr. Ivan Petrov, DOB 1985-03-14, ivan@example.org, 4111 1111 1111 1111';
    assert.deepEqual(findIdentifiers(text), [
      { kind: 'name', start: 4, end: 15 },
      { kind: 'date_of_birth', start: 21, end: 31 },
      { kind: 'email', start: 33, end: 49 },
      { kind: 'card', start: 51, end: 70 },
    ]);
  });
});

describe('redactText on long input', () => {
  it('cuts text past the cap and says how much it dropped', () => {
    const text = 'a'.repeat(100_000);
    assert.equal(redactText(text), `${'a'.repeat(MAX_SCAN_CHARS)}[TRUNCATED:${100_000 - MAX_SCAN_CHARS} chars]`);
  });

  it('redacts an identifier that straddles the cut whole instead of leaving half of it', () => {
    const card = '4111 1111 1111 1111';
    const text = `${'x'.repeat(MAX_SCAN_CHARS - 8)} ${card} ${'y'.repeat(1000)}`;
    const redacted = redactText(text);
    assert.ok(redacted.includes('[REDACTED:card]'));
    assert.ok(!redacted.includes('4111'));
    assert.ok(redacted.endsWith(`[TRUNCATED:${1001} chars]`));
  });

  // Each unit repeated to 100 KB targets one pattern's worst case (runs of digits, of separators,
  // of titles, of half e-mail addresses ...); a backtracking blow-up would take seconds, not ms.
  const UNITS = [
    'a',
    '1',
    '1 ',
    '1-',
    '1.',
    '1/',
    'A',
    'a@',
    'a@a.',
    '+1',
    '(1',
    'Mr ',
    'Dr. A ',
    'Regards,\n',
    'Aa ',
    ':',
    'f:',
    'Apt 1, ',
    '1 Aa ',
    'Name: ',
    'MRN ',
    'SSN ',
    'Ab Cd ',
    '- A\n',
    'born 1/1 ',
    'March 1 ',
    'son ',
    '\\n',
    '555 ',
    '1.1.1.1.',
    '"Regards, ',
    "O'",
    'A-',
    'Mr. A. B 1 Main St 555-0134 a@b.co 12/03/2024 ',
    'a@b.co Mr Ab ',
  ];
  it('scans 100 KB of adversarial text in well under 100 ms', () => {
    for (const unit of UNITS) {
      const text = unit.repeat(Math.ceil(100_000 / unit.length)).slice(0, 100_000);
      let best = Infinity;
      // Best of three: the machine is shared, and only the algorithm's cost is under test.
      for (let round = 0; round < 3; round += 1) {
        const start = performance.now();
        redactText(text);
        best = Math.min(best, performance.now() - start);
      }
      assert.ok(best < 100, `${JSON.stringify(unit)} took ${best.toFixed(1)} ms`);
    }
  });
});
