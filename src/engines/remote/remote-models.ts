/** The remote backends from the configuration, and which of them serves each model name. */
import type { Config } from '../../config/schema.ts';
import type { Dialect } from './backend-settings.ts';
import { RemoteBackend, type BackendStats, type RemoteBackendOptions } from './remote-backend.ts';

export interface RemoteModel {
  /** The name clients use with sluice. */
  readonly name: string;
  /** The version sluice reports for it (configured; `1` by default). */
  readonly version: string;
  readonly backend: RemoteBackend;
  /** The API its backend speaks: OpenAI's (`/v1/...`) or KServe v2's (`/v2/models/...`). */
  readonly dialect: Dialect;
}

export class RemoteModels {
  private readonly backends: RemoteBackend[];
  private readonly byModel = new Map<string, RemoteModel>();

  /**
   * `fallbacks`: for a model name, the models to try in order when it fails or sheds.
   * `dialects`: for a backend name, the API it speaks (default `openai`).
   */
  constructor(
    backends: readonly RemoteBackend[],
    private readonly fallbacks: ReadonlyMap<string, readonly string[]> = new Map(),
    dialects: ReadonlyMap<string, Dialect> = new Map(),
  ) {
    this.backends = [...backends];
    for (const backend of backends) {
      const dialect = dialects.get(backend.name) ?? 'openai';
      for (const name of backend.modelNames()) {
        if (this.byModel.has(name))
          throw new Error(
            `model "${name}" is served by two backends ("${this.byModel.get(name)?.backend.name}" and "${backend.name}")`,
          );
        this.byModel.set(name, { name, version: backend.versionOf(name), backend, dialect });
      }
    }
  }

  static fromConfig(
    config: Readonly<Config>,
    options: (backendName: string) => RemoteBackendOptions = () => ({}),
  ): RemoteModels {
    const fallbacks = new Map(
      config.backends.flatMap((backend) => backend.models.map((model) => [model.name, model.fallbacks] as const)),
    );
    return new RemoteModels(
      config.backends.map((backend) => new RemoteBackend(backend, options(backend.name))),
      fallbacks,
      new Map(config.backends.map((backend) => [backend.name, backend.dialect])),
    );
  }

  /** The model itself, then its fallbacks that are served, in order. */
  chain(model: RemoteModel): RemoteModel[] {
    const fallbacks = (this.fallbacks.get(model.name) ?? [])
      .map((name) => this.find(name))
      .filter((found) => found !== undefined);
    return [model, ...fallbacks];
  }

  find(name: string): RemoteModel | undefined {
    return this.byModel.get(name);
  }

  /** Every remote model, in configuration order. */
  all(): RemoteModel[] {
    return [...this.byModel.values()];
  }

  stats(): BackendStats[] {
    return this.backends.map((backend) => backend.stats());
  }

  async close(): Promise<void> {
    await Promise.all(this.backends.map((backend) => backend.close()));
  }
}
