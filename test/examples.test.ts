/** Every configuration under examples/ is valid, so the README's commands that use them start. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../src/config/load.ts';

const EXAMPLES = join(import.meta.dirname, '..', 'examples');

for (const file of readdirSync(EXAMPLES).filter((name) => name.endsWith('.yaml'))) {
  test(`examples/${file} is a valid configuration`, () => {
    const config = loadConfig({ file: join(EXAMPLES, file), env: {} });
    assert.ok(
      config.backends.length + config.tenants.length > 0,
      'the example configures something beyond the defaults',
    );
  });
}
