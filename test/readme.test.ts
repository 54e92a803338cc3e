/** What the README claims about running sluice agrees with the package and the CLI. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

test("the README's Node.js version is package.json's engines minimum", () => {
  const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
  const readme = /Node\.js ≥ (\S+) is all it needs/.exec(read('README.md'))?.[1];
  assert.equal(`>=${readme}`, engines);
});

test("every flag the README's two commands pass to npm start is a serve option", () => {
  const commands = read('README.md').split('## The two commands')[1]?.split('```')[1] ?? '';
  const flags = [...commands.matchAll(/npm start -- (.*?)\s+#/g)].flatMap((match) =>
    (match[1] ?? '').split(/\s+/).filter((word) => word.startsWith('--')),
  );
  assert.deepEqual(flags, ['--port']);
  const main = read('src/cli/main.ts');
  for (const flag of flags) assert.match(main, new RegExp(`'(-\\w, )?${flag} <`), flag);
});
