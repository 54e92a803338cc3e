/**
 * The models being served, by name and version. Resolution picks the requested
 * version, or the highest version when none is named.
 */
import { SluiceError } from '../../../core/errors.ts';
import { readModelRepository, readModelVersion } from './repository.ts';
import { ServedModel, type ServedModelOptions } from './served-model.ts';

export class ModelRegistry {
  private readonly byName = new Map<string, ServedModel[]>();
  private loading = true;

  constructor(private readonly options: ServedModelOptions) {}

  /** Loads and warms every model in the repository; any failure stops the whole load. */
  async loadRepository(root: string): Promise<void> {
    const entries = readModelRepository(root);
    const models = entries.map((entry) => new ServedModel(entry, this.options));
    for (const model of models) this.add(model);
    try {
      for (const model of models) await model.start();
    } finally {
      this.loading = false;
    }
  }

  /** Loads and warms one model version from its own directory (`<name>/<version>`). */
  async loadVersion(dir: string): Promise<ServedModel> {
    const model = new ServedModel(readModelVersion(dir), this.options);
    this.add(model);
    try {
      await model.start();
    } finally {
      this.loading = false;
    }
    return model;
  }

  add(model: ServedModel): void {
    const versions = this.byName.get(model.spec.name) ?? [];
    if (versions.some((existing) => existing.spec.version === model.spec.version)) {
      throw new Error(`model "${model.spec.name}" version ${model.spec.version} is already registered`);
    }
    // A new list, not the old one grown: readers may key what they derive by the list.
    const sorted = [...versions, model].sort((a, b) => Number(b.spec.version) - Number(a.spec.version));
    this.byName.set(model.spec.name, sorted);
  }

  /** The versions of `name`, newest first; undefined when it is not served. */
  versionsOf(name: string): readonly ServedModel[] | undefined {
    return this.byName.get(name);
  }

  /** Finishes loading without a repository (for servers assembled in code). */
  markLoaded(): void {
    this.loading = false;
  }

  resolve(name: string, version?: string): ServedModel {
    const versions = this.byName.get(name);
    if (versions === undefined) {
      throw new SluiceError('ERR_MODEL_NOT_FOUND', `model "${name}" does not exist (available: ${this.names().join(', ') || 'none'})`, { field: 'model' });
    }
    if (version === undefined) return versions[0] as ServedModel;
    const match = versions.find((model) => model.spec.version === version);
    if (match === undefined) {
      throw new SluiceError(
        'ERR_MODEL_VERSION_NOT_FOUND',
        `model "${name}" has no version "${version}" (available: ${versions.map((model) => model.spec.version).join(', ')})`,
        { field: 'version' },
      );
    }
    return match;
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** Every version of every model, newest version first within a name. */
  all(): ServedModel[] {
    return this.names().flatMap((name) => this.byName.get(name) ?? []);
  }

  get ready(): boolean {
    return !this.loading && this.all().every((model) => model.ready);
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((model) => model.close()));
  }
}
