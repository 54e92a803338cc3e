/** A throwaway model repository holding default models whose model.yaml a test edits. */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { defaultModelsDir } from './models.ts';

export async function repositoryWith<T>(
  models: string | readonly string[],
  change: (document: T, model: string) => void,
): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'sluice-repo-'));
  for (const model of typeof models === 'string' ? [models] : models) {
    cpSync(join(await defaultModelsDir(), model), join(root, model), { recursive: true });
    const file = join(root, model, '1', 'model.yaml');
    const document = parse(readFileSync(file, 'utf8')) as T;
    change(document, model);
    writeFileSync(file, stringify(document));
  }
  return root;
}
