/**
 * How sluice starts a worker thread on a module of its own, from compiled JavaScript
 * (`npm start`: bin/sluice.js runs dist/) or from TypeScript sources through tsx (tests,
 * benchmarks) alike. Shared by the preprocessing pool and the model sessions' workers.
 */

/**
 * The script a worker starts with: it imports `workerUrl`, plainly when it is JavaScript
 * (dist/), so a compiled server never loads tsx. From TypeScript sources that needs tsx's
 * loader, which on Node 20 a worker never has: a process that registers tsx in the main
 * thread only shares no hooks with its workers, and `--import tsx` skips worker threads.
 * Newer Node versions share the main thread's hooks (or strip types natively), so
 * rather than test versions the worker tries the import first and
 * registers tsx only if Node cannot load a `.ts` file (in this "type": "module" package,
 * ERR_UNKNOWN_FILE_EXTENSION). tsx is resolved from this file, so the server may run
 * from any working directory.
 */
export function workerModuleBootstrap(workerUrl: string): string {
  if (!workerUrl.endsWith('.ts')) return `import(${JSON.stringify(workerUrl)});`;
  return [
    `import(${JSON.stringify(workerUrl)}).catch(async (error) => {`,
    `  if (error?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;`,
    `  (await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})).register();`,
    // A new URL: the failed import above is cached as failed.
    `  await import(${JSON.stringify(`${workerUrl}?tsx`)});`,
    `});`,
  ].join('\n');
}

/**
 * The parent's Node flags are not copied wholesale: most (`-e`, `--test`, `--import`,
 * V8 heap sizes) are invalid or meaningless in a worker. Only flags that change how
 * modules resolve, or how stack traces read, are kept.
 */
const KEPT_FLAGS = new Set(['--conditions', '-C', '--enable-source-maps', '--preserve-symlinks']);

export function workerExecArgv(parentExecArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let index = 0; index < parentExecArgv.length; index++) {
    const arg = parentExecArgv[index] ?? '';
    const name = arg.split('=')[0] ?? arg;
    if (!KEPT_FLAGS.has(name)) continue;
    kept.push(arg);
    const takesValue = (name === '--conditions' || name === '-C') && !arg.includes('=');
    if (takesValue && index + 1 < parentExecArgv.length) kept.push(parentExecArgv[++index] ?? '');
  }
  return kept;
}
