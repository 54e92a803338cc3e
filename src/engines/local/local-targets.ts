/** The local model versions as pipeline targets, newest version first. */
import type { Target } from '../../pipeline/target.ts';
import type { TargetSource } from '../../pipeline/target-directory.ts';
import { LocalTarget, type QueueObserver } from './local-target.ts';
import type { ModelRegistry } from './models/registry.ts';
import type { ServedModel } from './models/served-model.ts';

export class LocalTargets implements TargetSource {
  /** The registry replaces a name's list when a version is added, so a list's targets are made once. */
  private readonly targets = new WeakMap<readonly ServedModel[], readonly Target[]>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly onQueued: QueueObserver,
  ) {}

  names(): readonly string[] {
    return this.registry.names();
  }

  versions(name: string): readonly Target[] | undefined {
    const models = this.registry.versionsOf(name);
    if (models === undefined) return undefined;
    let targets = this.targets.get(models);
    if (targets === undefined) {
      targets = models.map((model) => new LocalTarget(model, this.onQueued, (other) => this.versions(other)?.[0]));
      this.targets.set(models, targets);
    }
    return targets;
  }
}
