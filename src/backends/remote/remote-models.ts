/** The remote backends from the configuration, and which of them serves each model name. */
import type { Config } from '../../config/schema.ts';
import { RemoteBackend, type BackendStats, type RemoteBackendOptions } from './remote-backend.ts';

export interface RemoteModel {
  /** The name clients use with sluice. */
  readonly name: string;
  readonly backend: RemoteBackend;
}

export class RemoteModels {
  private readonly backends: RemoteBackend[];
  private readonly byModel = new Map<string, RemoteBackend>();

  /** `fallbacks`: for a model name, the models to try in order when it fails or sheds. */
  constructor(
    backends: readonly RemoteBackend[],
    private readonly fallbacks: ReadonlyMap<string, readonly string[]> = new Map(),
  ) {
    this.backends = [...backends];
    for (const backend of backends) {
      for (const name of backend.modelNames()) {
        if (this.byModel.has(name)) throw new Error(`model "${name}" is served by two backends ("${this.byModel.get(name)?.name}" and "${backend.name}")`);
        this.byModel.set(name, backend);
      }
    }
  }

  /** Only the OpenAI dialect is served so far; other dialects are skipped (see docs/backends.md). */
  static fromConfig(config: Readonly<Config>, options: (backendName: string) => RemoteBackendOptions = () => ({})): RemoteModels {
    const served = config.backends.filter((backend) => backend.dialect === 'openai');
    const fallbacks = new Map(served.flatMap((backend) => backend.models.map((model) => [model.name, model.fallbacks] as const)));
    return new RemoteModels(
      served.map((backend) => new RemoteBackend(backend, options(backend.name))),
      fallbacks,
    );
  }

  /** The model itself, then its fallbacks that are served, in order. */
  chain(model: RemoteModel): RemoteModel[] {
    const fallbacks = (this.fallbacks.get(model.name) ?? []).map((name) => this.find(name)).filter((found) => found !== undefined);
    return [model, ...fallbacks];
  }

  find(name: string): RemoteModel | undefined {
    const backend = this.byModel.get(name);
    return backend === undefined ? undefined : { name, backend };
  }

  /** Every remote model, in configuration order. */
  all(): RemoteModel[] {
    return [...this.byModel].map(([name, backend]) => ({ name, backend }));
  }

  stats(): BackendStats[] {
    return this.backends.map((backend) => backend.stats());
  }

  async close(): Promise<void> {
    await Promise.all(this.backends.map((backend) => backend.close()));
  }
}
