/** The routes as pipeline targets, each under its own name beside the models (one version: `route`). */
import type { TargetDirectory, TargetSource } from '../../pipeline/target-directory.ts';
import type { Target } from '../../pipeline/target.ts';
import { CascadeTarget } from './cascade-target.ts';
import type { RouteSpec } from './route-config.ts';
import { RouteModels } from './route-models.ts';
import { RulesTarget } from './rules-target.ts';

/** Every route target made, so that checks can tell a route from a model of the same name. */
const ROUTE_TARGETS = new WeakSet<Target>();

export function isRouteTarget(target: Target): boolean {
  return ROUTE_TARGETS.has(target);
}

export class RouteTargets implements TargetSource {
  private readonly byName: ReadonlyMap<string, readonly [Target]>;

  /** `models` holds the models only: a route never names another route. */
  constructor(routes: readonly RouteSpec[], models: TargetDirectory) {
    this.byName = new Map(routes.map((route) => [route.name, [routeTarget(route, models)] as const]));
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  versions(name: string): readonly Target[] | undefined {
    return this.byName.get(name);
  }
}

function routeTarget(route: RouteSpec, directory: TargetDirectory): Target {
  const models = new RouteModels(route.name, directory);
  const target =
    route.kind === 'cascade'
      ? new CascadeTarget(route.stages, models)
      : new RulesTarget(route.rules, route.default, models);
  ROUTE_TARGETS.add(target);
  return target;
}
