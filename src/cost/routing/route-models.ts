/**
 * What a route's targets share: the models behind it looked up by name (the newest
 * version, at each request), readiness as the models' together, and a route's metadata.
 */
import { SluiceError } from '../../core/errors.ts';
import type { TargetDirectory } from '../../pipeline/target-directory.ts';
import type { Answer, ProbeContext, Readiness, Target } from '../../pipeline/target.ts';

/** A route has no versions of its own: this is the one it lists, and the one a request may pin. */
export const ROUTE_VERSION = 'route';

/** The models (never routes) a route's targets ask, by name. */
export class RouteModels {
  constructor(
    readonly route: string,
    private readonly models: TargetDirectory,
  ) {}

  /** The newest version of `name`; a model not (yet) loaded is not ready, which is the server's state, not the client's mistake. */
  target(name: string): Target {
    try {
      return this.models.resolve(name);
    } catch {
      throw new SluiceError('ERR_MODEL_NOT_READY', `route "${this.route}": model "${name}" is not loaded`);
    }
  }

  /** The newest version of `name`, or undefined while it is not loaded. */
  find(name: string): Target | undefined {
    try {
      return this.models.resolve(name);
    } catch {
      return undefined;
    }
  }

  /** Every model takes traffic; else which one does not, and why. */
  readiness(names: readonly string[]): { readonly ready: boolean; readonly state: string } {
    for (const name of names) {
      const target = this.find(name);
      if (target === undefined) return { ready: false, state: `model "${name}" is not loaded` };
      if (!target.ready) return { ready: false, state: `model "${name}": ${target.state}` };
    }
    return { ready: true, state: 'ready' };
  }

  async probeReady(names: readonly string[], context: ProbeContext): Promise<Readiness> {
    for (const name of names) {
      if (!(await this.target(name).probeReady(context)).ready) return { ready: false, version: ROUTE_VERSION };
    }
    return { ready: true, version: ROUTE_VERSION };
  }

  /**
   * The first model's metadata (a route's models answer in its terms) under the route's
   * name and version, with the route itself in `parameters.route`.
   */
  async metadata(first: string, context: ProbeContext, route: Readonly<Record<string, unknown>>): Promise<Answer> {
    const answer = await this.target(first).metadata(context, { versions: [ROUTE_VERSION] });
    if (answer.kind !== 'document') return answer;
    const parameters = answer.document['parameters'];
    const own = typeof parameters === 'object' && parameters !== null ? parameters : {};
    const document = { ...answer.document, name: this.route, parameters: { ...own, route } };
    return { ...answer, document, provenance: { ...answer.provenance, model: this.route, version: ROUTE_VERSION } };
  }
}
