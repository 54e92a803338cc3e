#!/usr/bin/env node
// Runs the compiled CLI, dist/cli/main.js. In a checkout (src/ is here) it first builds
// dist/ when dist/ is missing or older than src/ (scripts/build-dist.js), so `npm start`
// never runs stale code; an installed package ships dist/ built and only runs it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
const builder = new URL('../scripts/build-dist.js', import.meta.url);

try {
  if (existsSync(new URL('../src/', import.meta.url)) && existsSync(builder)) {
    const { ensureDist } = await import(builder.href);
    await ensureDist();
  }
  if (!existsSync(main)) throw new Error(`${fileURLToPath(main)} is missing: build it with \`npm run build\``);
} catch (error) {
  console.error(`sluice: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
await import(main.href);
