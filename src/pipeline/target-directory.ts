/**
 * Every model sluice serves, local or remote, by name and version: the resolve stage's
 * lookup. Each source answers for its own names; a name is served by one source only.
 */
import { SluiceError } from '../core/errors.ts';
import type { RequestContext } from './context.ts';
import type { Target } from './target.ts';

/** The metric label of every version that is not listed (a remote server's own versions, named by clients). */
export const UNLISTED_VERSION = '_unlisted';

/** A model's name and version as metric labels. */
export interface ModelLabels {
  readonly name: string;
  readonly version: string;
}

export interface TargetSource {
  /** Every model name this source serves. */
  names(): readonly string[];
  /** The versions of `name`, newest first; undefined when the source does not serve it. */
  versions(name: string): readonly Target[] | undefined;
  /**
   * The target for a version no listed one has, for sources whose upstream keeps its own
   * versions (a KServe v2 server); undefined: that version does not exist.
   */
  forPinnedVersion?(name: string, version: string): Target | undefined;
}

export class TargetDirectory {
  constructor(private readonly sources: readonly TargetSource[]) {}

  /** The newest version of `name`, or the version asked for; 404s name what exists. */
  resolve(name: string, version?: string): Target {
    for (const source of this.sources) {
      const versions = source.versions(name);
      if (versions === undefined) continue;
      if (version === undefined) return versions[0] ?? this.notFound(name);
      const match = source.forPinnedVersion?.(name, version) ?? versions.find((target) => target.version === version);
      if (match !== undefined) return match;
      throw new SluiceError(
        'ERR_MODEL_VERSION_NOT_FOUND',
        `model "${name}" has no version "${version}" (available: ${versions.map((target) => target.version).join(', ')})`,
        { field: 'version' },
      );
    }
    return this.notFound(name);
  }

  /** The versions of `name` that are listed (configured or found on disk), newest first. */
  versionsOf(name: string): string[] {
    for (const source of this.sources) {
      const versions = source.versions(name);
      if (versions !== undefined) return versions.map((target) => target.version);
    }
    return [];
  }

  /** The metric labels of a model a client names: a name or version that is not served throws. */
  resolveLabels(name: string, version?: string): ModelLabels {
    const target = this.resolve(name, version);
    return { name: target.name, version: this.versionLabel(target.name, target.version) };
  }

  /** The metric labels of what answered a request, else of what it was resolved to; undefined before it resolved. */
  servedLabels(context: RequestContext | null | undefined): ModelLabels | undefined {
    const provenance = context?.answer?.provenance;
    const name = provenance?.model ?? context?.target?.name;
    const version = provenance?.version ?? context?.target?.version;
    return name === undefined || version === undefined
      ? undefined
      : { name, version: this.versionLabel(name, version) };
  }

  /** A version label that stays bounded: a version a client named that is not listed shares one label. */
  versionLabel(name: string, version: string): string {
    for (const source of this.sources) {
      const versions = source.versions(name);
      if (versions !== undefined)
        return versions.some((target) => target.version === version) ? version : UNLISTED_VERSION;
    }
    return UNLISTED_VERSION;
  }

  names(): string[] {
    return this.sources.flatMap((source) => source.names());
  }

  /** Every version of every model, sources in order, newest version first within a name. */
  all(): Target[] {
    return this.sources.flatMap((source) => source.names().flatMap((name) => source.versions(name) ?? []));
  }

  private notFound(name: string): never {
    throw new SluiceError(
      'ERR_MODEL_NOT_FOUND',
      `model "${name}" does not exist (available: ${this.names().join(', ') || 'none'})`,
      { field: 'model' },
    );
  }
}
