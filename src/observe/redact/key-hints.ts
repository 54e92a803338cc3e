/**
 * Field names that say what a value is. In a log object or audit record, `{ phone: 6175550142 }`
 * or `{ lastName: "Doe" }` holds an identifier that no text pattern would find (a bare number, a
 * lone surname), so the value is replaced whole. A bare `name` is a hint only inside a person
 * (`patient.name`, FHIR's `name[].family`): in the gateway's own records it names a model or a tenant.
 */
import type { IdentifierKind } from './kinds.ts';

const NAME_KEYS = [
  'patientname',
  'fullname',
  'firstname',
  'lastname',
  'givenname',
  'familyname',
  'surname',
  'middlename',
  'forename',
  'contactname',
  'guardianname',
  'parentname',
  'membername',
  'nextofkin',
];

const KEYS: Array<[IdentifierKind, string[]]> = [
  ['name', NAME_KEYS],
  ['email', ['email', 'emailaddress', 'mail']],
  ['phone', ['phone', 'phonenumber', 'mobile', 'mobilenumber', 'telephone', 'tel', 'fax', 'cell', 'cellphone']],
  ['date_of_birth', ['dob', 'dateofbirth', 'birthdate', 'birthday']],
  ['ssn', ['ssn', 'socialsecuritynumber', 'nationalid', 'nhsnumber', 'sin', 'taxid']],
  ['mrn', ['mrn', 'medicalrecordnumber', 'patientid', 'memberid', 'hospitalnumber', 'chartnumber', 'medicarenumber']],
  ['card', ['cardnumber', 'creditcard', 'creditcardnumber', 'ccnumber', 'pan']],
  ['ip_address', ['ip', 'ipaddress', 'remoteaddress', 'clientip', 'remoteip', 'xforwardedfor', 'xrealip']],
  ['street_address', ['address', 'streetaddress', 'addressline', 'addressline1', 'addressline2', 'street', 'postcode']],
];

const HINTS = new Map<string, IdentifierKind>(KEYS.flatMap(([kind, keys]) => keys.map((key) => [key, kind] as const)));

// "homePhone", "patient_email", "billingAddress": a qualifier in front does not change the kind.
const QUALIFIER = /^(?:patient|home|work|mobile|contact|primary|secondary|emergency|billing|mailing|shipping|user)/;
const NOT_ALPHANUMERIC = /[^a-z0-9]/g;

const PERSON = /^(?:patient|person|contact|guardian|parent|subject|member|user|practitioner|nextofkin|name|names)$/;
const NAME_PARTS = new Set(['name', 'names', 'family', 'given', 'first', 'last', 'middle']);

const normalize = (key: string): string => key.toLowerCase().replace(NOT_ALPHANUMERIC, '');

/** The kind a field's value is, going by its key and the key of the object holding it. */
export function hintForKey(key: string, parentKey?: string): IdentifierKind | undefined {
  const normalized = normalize(key);
  const hint = HINTS.get(normalized) ?? HINTS.get(normalized.replace(QUALIFIER, ''));
  if (hint !== undefined || parentKey === undefined) return hint;
  return NAME_PARTS.has(normalized) && PERSON.test(normalize(parentKey)) ? 'name' : undefined;
}
