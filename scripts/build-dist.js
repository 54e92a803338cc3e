/**
 * Compiles src/ into dist/ (`tsc -p tsconfig.build.json`): the JavaScript that `npm start`
 * and the `sluice` bin run. `npm install` and `npm ci` run it (the prepare script), and
 * bin/sluice.js runs it again in a checkout whose src/ changed since the last build.
 *
 * A build lands whole: tsc writes into .dist-building/, which is also the lock, and a
 * rename swaps it in for dist/. A server that starts meanwhile (benchmarks start several at
 * once) waits for that build instead of loading half of one or compiling a second time.
 *
 *   node scripts/build-dist.js            build; fails on a type error
 *   node scripts/build-dist.js --prepare  the same, but only a note when typescript (a
 *                                         devDependency) is not installed: npm ci --omit=dev
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILDING = '.dist-building';
const RETIRED = '.dist-retired';
/** Empty; its mtime is when the build read its sources. */
const STAMP = '.build-stamp';
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json'];
/** A lock older than this was left by a build that died. */
const LOCK_STALE_MS = 5 * 60_000;

/** `missing`, `stale` (an input changed after the build read it) or `fresh`. */
export function distState(root = ROOT) {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) return 'missing';
  const stamp = statSync(join(root, 'dist', STAMP), { throwIfNoEntry: false });
  if (stamp === undefined) return 'stale';
  return INPUTS.some((input) => changedSince(join(root, input), stamp.mtimeMs)) ? 'stale' : 'fresh';
}

/** A directory's own mtime counts too: it changes when a file is added, removed or renamed. */
function changedSince(path, time) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined || path.endsWith('.test.ts')) return false;
  if (stat.mtimeMs > time) return true;
  return stat.isDirectory() && readdirSync(path).some((entry) => changedSince(join(path, entry), time));
}

function tscPath(root) {
  try {
    return createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    return undefined;
  }
}

/**
 * Makes dist/ fresh for bin/sluice.js: builds it when missing or stale. Without typescript,
 * a stale dist/ runs with a warning and a missing one is an error. Throws an Error whose
 * message says what to do.
 */
export async function ensureDist(root = ROOT, log = (line) => console.error(`sluice: ${line}`)) {
  const state = distState(root);
  if (state === 'fresh') return;
  if (tscPath(root) === undefined) {
    const install = 'typescript, a devDependency, is not installed: run `npm install` (or `npm ci`), which builds it';
    if (state === 'missing') throw new Error(`dist/ is missing and ${install}`);
    log(`warning: dist/ is older than src/ and ${install}; running the older build`);
    return;
  }
  log(`building dist/ from src/ (${state === 'missing' ? 'not built yet' : 'src/ changed since the last build'})`);
  await buildDist(root, log);
}

/** Builds dist/, or waits for the build another process has under way and rebuilds only if that one failed. */
export async function buildDist(root = ROOT, log = (line) => console.error(line)) {
  const tsc = tscPath(root);
  if (tsc === undefined) throw new Error('typescript is not installed: run `npm install` first');
  const building = join(root, BUILDING);
  for (let waited = false; !takeLock(building); waited = true) {
    if (!waited) log('another process is building dist/: waiting for it');
    await sleep(200);
    if (!existsSync(building) && distState(root) === 'fresh') return;
  }
  try {
    const started = Date.now();
    const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', BUILDING], {
      cwd: root,
      stdio: ['ignore', 2, 2],
    });
    if (run.status !== 0) throw new Error(`tsc failed (exit ${run.status ?? run.signal}); its errors are above`);
    const stamp = join(building, STAMP);
    writeFileSync(stamp, '');
    utimesSync(stamp, started / 1000, started / 1000);
    swapIn(root, building);
    log(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

/** mkdir is atomic: whoever creates the directory builds. A lock left by a dead build is taken over. */
function takeLock(building) {
  try {
    mkdirSync(building);
    return true;
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
    const since = statSync(building, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
    if (Date.now() - since > LOCK_STALE_MS) rmSync(building, { recursive: true, force: true });
    return false;
  }
}

function swapIn(root, building) {
  const dist = join(root, 'dist');
  const retired = join(root, RETIRED);
  rmSync(retired, { recursive: true, force: true });
  if (existsSync(dist)) renameSync(dist, retired);
  renameSync(building, dist);
  rmSync(retired, { recursive: true, force: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const prepare = process.argv.includes('--prepare');
  if (prepare && tscPath(ROOT) === undefined) {
    console.error(
      'typescript (a devDependency) is not installed, so dist/ is not built: run `npm run build` after installing it',
    );
  } else {
    try {
      await buildDist(ROOT);
    } catch (error) {
      console.error(error.message);
      process.exitCode = 1;
    }
  }
}
