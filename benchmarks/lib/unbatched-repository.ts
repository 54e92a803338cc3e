/**
 * The `batching` benchmark's "batching off" side: a copy of a model repository whose every
 * `model.yaml` says `max_batch_size: 1` (each request item runs as its own batch) and
 * waits for no company (`max_queue_delay_ms: 0`). Everything else, queues, instances and
 * load control included, stays as it was; the ONNX files and golden sets are symlinked.
 */
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

type Document = Record<string, unknown>;

/** The same `model.yaml` document with dynamic batching turned off; the input is not changed. */
export function unbatchedDocument(document: Readonly<Document>): Document {
  const batching = isRecord(document['batching']) ? document['batching'] : {};
  const result: Document = {
    ...document,
    batching: { ...batching, max_batch_size: 1, max_queue_delay_ms: 0, preferred_batch_sizes: [] },
  };
  // Warm-up sizes above the batch size would be batches the batcher can never form.
  const warmup = document['warmup'];
  if (isRecord(warmup) && Array.isArray(warmup['batch_sizes'])) result['warmup'] = { ...warmup, batch_sizes: [1] };
  return result;
}

/** Writes the unbatched copy of `source` (laid out `<name>/<version>/`) into `target`. */
export async function writeUnbatchedRepository(source: string, target: string): Promise<void> {
  for (const name of await subdirectories(source)) {
    for (const version of await subdirectories(join(source, name))) {
      const from = join(source, name, version);
      const to = join(target, name, version);
      await mkdir(to, { recursive: true });
      for (const entry of await readdir(from)) {
        if (entry === 'model.yaml') {
          const document: unknown = parseYaml(await readFile(join(from, entry), 'utf8'));
          if (!isRecord(document)) throw new Error(`${join(from, entry)} is not a mapping`);
          await writeFile(join(to, entry), stringifyYaml(unbatchedDocument(document)));
        } else {
          await symlink(join(from, entry), join(to, entry));
        }
      }
    }
  }
}

async function subdirectories(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name);
}

function isRecord(value: unknown): value is Document {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
