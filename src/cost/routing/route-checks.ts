/**
 * The models a route names, checked once they are known (after the repository loaded): each
 * is served and is a model, not a route or a model a route shadows; a cascade's are local
 * classifiers that answer in the same terms (labels and outputs), since their rows are
 * weighed against each other and returned side by side, and that declare their cost in one
 * unit, since a request's charges and its budget reservation add their costs. The first problem is thrown,
 * named by its key (`routes.0.cascade.1.model`).
 */
import type { ModelDescription } from '../../pipeline/model-description.ts';
import type { Target } from '../../pipeline/target.ts';
import { DEFAULT_ITEM_UNIT } from '../ledger/charge.ts';
import { CLASSIFIER_TASKS } from './escalation.ts';
import type { RouteSpec } from './route-config.ts';
import { isRouteTarget } from './route-targets.ts';

/** The served models by name (the newest version), without the routes. */
export type ModelFinder = (name: string) => Target | undefined;

export function checkRoutes(routes: readonly RouteSpec[], findModel: ModelFinder): void {
  const names = new Set(routes.map((route) => route.name));
  routes.forEach((route, index) => {
    const key = `routes.${index}`;
    if (findModel(route.name) !== undefined)
      throw new Error(`${key}.name: "${route.name}" is also a model's name; a route needs a name of its own`);
    const named = (model: string, at: string): Target => {
      if (names.has(model)) throw new Error(`${at}: "${model}" is a route; a route names models only`);
      const target = findModel(model);
      if (target === undefined) throw new Error(`${at}: no model "${model}" is served`);
      return target;
    };
    if (route.kind === 'rules') {
      route.rules.forEach((rule, r) => named(rule.model, `${key}.rules.${r}.model`));
      named(route.default, `${key}.default`);
      return;
    }
    const first = route.stages[0]?.model ?? '';
    let terms: ModelDescription | undefined;
    route.stages.forEach((stage, s) => {
      const at = `${key}.cascade.${s}.model`;
      const description = named(stage.model, at).description;
      if (description === undefined || !CLASSIFIER_TASKS.has(description.task))
        throw new Error(
          `${at}: "${stage.model}" is not a local classifier; a cascade weighs class probabilities (` +
            `${description === undefined ? 'a remote model' : `a ${description.task} model`})`,
        );
      terms ??= description;
      const differs = differentTerms(terms, description);
      if (differs !== undefined)
        throw new Error(`${at}: "${stage.model}" answers with other ${differs} than "${first}"`);
      const unknown = [...(stage.escalateLabels ?? [])].find((label) => !(description.labels ?? []).includes(label));
      if (unknown !== undefined)
        throw new Error(
          `routes.${index}.cascade.${s}.escalate_labels: "${unknown}" is not a label of "${stage.model}" (labels: ${(description.labels ?? []).join(', ') || 'none'})`,
        );
      const [unit, firstUnit] = [costUnit(description), costUnit(terms)];
      if (unit !== firstUnit)
        throw new Error(
          `${at}: "${stage.model}" declares its cost in ${unit}, "${first}" in ${firstUnit}; a cascade's charges add up in one unit`,
        );
    });
  });
}

/** What two classifiers disagree on, if anything: their task, their labels or their outputs. */
export function differentTerms(a: ModelDescription, b: ModelDescription): string | undefined {
  if (a.task !== b.task) return `a task (${b.task}, not ${a.task})`;
  if (JSON.stringify(a.labels ?? []) !== JSON.stringify(b.labels ?? [])) return 'labels';
  const outputs = (model: ModelDescription) =>
    JSON.stringify(model.tensors.outputs.map((output) => [output.name, output.dtype, output.shape.slice(1)]));
  return outputs(a) === outputs(b) ? undefined : 'outputs';
}

function costUnit(description: ModelDescription): string {
  return description.cost.unit ?? DEFAULT_ITEM_UNIT;
}

/** The newest version of each model a directory serves, leaving its routes out. */
export function modelFinder(directory: { all(): readonly Target[] }): ModelFinder {
  return (name) => directory.all().find((target) => target.name === name && !isRouteTarget(target));
}
