/**
 * Builds a model version's reference profile from items: the items go through the serving
 * path itself (the same decoding, preprocessing and model), and an observe-slot stage
 * keeps what the model read and answered. Used by `sluice profile` and by the build of
 * the default models (from their training data).
 */
import type { Row } from '../core/tensors.ts';
import type { PipelineStage } from '../pipeline/pipeline.ts';
import type { Item } from '../pipeline/request.ts';
import type { Observation } from './reference-profile.ts';

export class ProfileCapture {
  readonly observations: Observation[] = [];

  readonly stage: PipelineStage = {
    name: 'profile-capture',
    run: (context) => {
      const { answer, prepared } = context;
      if (answer?.kind !== 'rows' || prepared?.items === undefined) return;
      const rows: readonly Row[] = answer.rows;
      prepared.items.forEach((item: Item, index) => this.observations.push({ item, row: rows[index] }));
    },
  };
}
