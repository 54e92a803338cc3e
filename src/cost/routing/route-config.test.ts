import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../config/load.ts';
import { servedRoutes } from './route-config.ts';

const load = (routes: unknown) => loadConfig({ env: {}, overrides: { routes } });
const refusal = (routes: unknown): string => {
  try {
    load(routes);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  throw new Error('the configuration was accepted');
};
const cascade = (stages: unknown[]) => [{ name: 'triage', cascade: stages }];

describe('routes in the configuration', () => {
  test('a cascade and a rules route are accepted as written', () => {
    const config = load([
      { name: 'triage', cascade: [{ model: 'small', min_confidence: 0.8 }, { model: 'large' }] },
      { name: 'by-size', rules: [{ when: { max_input_chars: 200 }, model: 'small' }], default: 'large' },
    ]);
    assert.equal(config.routes?.length, 2);
  });

  const refused: Array<{ name: string; routes: unknown; message: RegExp }> = [
    {
      name: 'a cascade of one model',
      routes: cascade([{ model: 'small' }]),
      message: /routes\.0\.cascade: needs two models or more/,
    },
    {
      name: 'a model before the last without min_confidence',
      routes: cascade([{ model: 'small' }, { model: 'large' }]),
      message: /routes\.0\.cascade\.0\.min_confidence: required/,
    },
    {
      name: 'the last model with min_confidence',
      routes: cascade([
        { model: 'small', min_confidence: 0.5 },
        { model: 'large', min_confidence: 0.5 },
      ]),
      message: /routes\.0\.cascade\.1\.min_confidence: the last model answers every item/,
    },
    {
      name: 'the last model with escalate_labels',
      routes: cascade([
        { model: 'small', min_confidence: 0.5 },
        { model: 'large', escalate_labels: ['urgent'] },
      ]),
      message: /routes\.0\.cascade\.1\.escalate_labels: the last model answers every item/,
    },
    {
      name: 'an empty escalate_labels',
      routes: cascade([{ model: 'small', min_confidence: 0.5, escalate_labels: [] }, { model: 'large' }]),
      message: /routes\.0\.cascade\.0\.escalate_labels/,
    },
    {
      name: 'a negative threshold',
      routes: cascade([{ model: 'small', min_confidence: -0.1 }, { model: 'large' }]),
      message: /routes\.0\.cascade\.0\.min_confidence/,
    },
    {
      name: 'a model listed twice',
      routes: cascade([{ model: 'small', min_confidence: 0.5 }, { model: 'small' }]),
      message: /routes\.0\.cascade\.1\.model: "small" is listed twice/,
    },
    {
      name: 'a misspelt key',
      routes: cascade([{ model: 'small', min_confidense: 0.5 }, { model: 'large' }]),
      message: /routes\.0\.cascade\.0: Unrecognized key: "min_confidense"/,
    },
    {
      name: 'a route with both a cascade and rules',
      routes: [{ name: 'x', cascade: [], rules: [{ when: { tenant: ['a'] }, model: 'm' }], default: 'm' }],
      message: /routes\.0: a route has either "cascade" or "rules"/,
    },
    {
      name: 'rules without a default',
      routes: [{ name: 'x', rules: [{ when: { tenant: ['a'] }, model: 'm' }] }],
      message: /routes\.0\.default: required with "rules"/,
    },
    {
      name: 'a rule without a condition',
      routes: [{ name: 'x', rules: [{ when: {}, model: 'm' }], default: 'm' }],
      message: /routes\.0\.rules\.0\.when: a rule needs at least one condition/,
    },
    {
      name: 'a length range that holds nothing',
      routes: [{ name: 'x', rules: [{ when: { min_input_chars: 10, max_input_chars: 5 }, model: 'm' }], default: 'm' }],
      message: /routes\.0\.rules\.0\.when\.max_input_chars: must be ≥ min_input_chars \(10\)/,
    },
    {
      name: 'a header name in capitals',
      routes: [{ name: 'x', rules: [{ when: { header: { 'X-Tier': ['gold'] } }, model: 'm' }], default: 'm' }],
      message: /routes\.0\.rules\.0\.when\.header.*lower case/,
    },
    {
      name: 'two routes of one name',
      routes: [
        { name: 'x', rules: [{ when: { tenant: ['a'] }, model: 'm' }], default: 'm' },
        { name: 'x', rules: [{ when: { tenant: ['a'] }, model: 'm' }], default: 'm' },
      ],
      message: /routes\.1\.name: route "x" is listed twice/,
    },
  ];
  for (const { name, routes, message } of refused) {
    test(`${name} is refused, naming the key`, () => assert.match(refusal(routes), message));
  }
});

describe('servedRoutes', () => {
  const defaults = { repository: 'models', build_defaults: true };

  test('without routes, the default repository gets the triage cascade over the embedded models', () => {
    const [route] = servedRoutes(undefined, defaults, 'models', '/srv');
    assert.deepEqual(route, {
      kind: 'cascade',
      name: 'triage',
      stages: [
        { model: 'triage-small', minConfidence: 0.9 },
        { model: 'triage-large', minConfidence: undefined },
      ],
    });
  });

  test('a repository the user names, or no demo models built, gets no route unless configured', () => {
    assert.deepEqual(servedRoutes(undefined, { ...defaults, repository: '/data/models' }, 'models', '/srv'), []);
    assert.deepEqual(servedRoutes(undefined, { ...defaults, build_defaults: false }, 'models', '/srv'), []);
  });

  test('configured routes replace the default, an empty list included', () => {
    assert.deepEqual(servedRoutes([], defaults, 'models', '/srv'), []);
    const rules = [{ name: 'r', rules: [{ when: { tenant: ['a'] }, model: 'm' }], default: 'n' }];
    assert.deepEqual(servedRoutes(rules, defaults, 'models', '/srv'), [
      { kind: 'rules', name: 'r', rules: rules[0]?.rules, default: 'n' },
    ]);
  });
});
