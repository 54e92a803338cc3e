/** The remote models as pipeline targets: each with its fallbacks as one target, when it has any. */
import { FallbackTarget } from '../../pipeline/fallback-target.ts';
import type { Target } from '../../pipeline/target.ts';
import type { TargetSource } from '../../pipeline/target-directory.ts';
import type { RemoteMetrics } from './remote-metrics.ts';
import type { RemoteModels } from './remote-models.ts';
import { RemoteTarget } from './remote-target.ts';

export class RemoteTargets implements TargetSource {
  private readonly byName = new Map<string, readonly [Target]>();
  private readonly pinnedTargets = new Map<string, RemoteTarget>();

  constructor(
    private readonly models: RemoteModels,
    private readonly metrics: RemoteMetrics,
  ) {
    const direct = new Map(models.all().map((model) => [model.name, new RemoteTarget(model, metrics)]));
    for (const model of models.all()) {
      const [own, ...fallbacks] = models.chain(model).map((linked) => direct.get(linked.name) as RemoteTarget);
      const target =
        fallbacks.length === 0 ? (own as RemoteTarget) : new FallbackTarget(own as RemoteTarget, () => fallbacks);
      this.byName.set(model.name, [target]);
    }
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  versions(name: string): readonly Target[] | undefined {
    return this.byName.get(name);
  }

  /** A KServe v2 upstream keeps its own versions: a pinned one is forwarded as asked. */
  forPinnedVersion(name: string, version: string): Target | undefined {
    const model = this.models.find(name);
    if (model?.dialect !== 'kserve-v2') return undefined;
    let pinned = this.pinnedTargets.get(model.name);
    if (pinned === undefined)
      this.pinnedTargets.set(model.name, (pinned = new RemoteTarget(model, this.metrics, model.version)));
    // Only the configured version is kept: the others are whatever clients name.
    return version === model.version ? pinned : new RemoteTarget(model, this.metrics, version);
  }
}
