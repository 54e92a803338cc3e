/**
 * The reference profile of one model version from example items (`sluice profile`, and the
 * default models' build from their training data): an in-process sluice serves the version
 * alone, the items go through its real serving path in batches, and what the model read and
 * answered becomes the profile (src/quality/reference-profile.ts).
 */
import { pino } from 'pino';
import { loadConfig } from '../../config/load.ts';
import { createSluice } from '../../http/server.ts';
import { embeddingOutputOf, featuresOf, textFieldsOf } from '../../quality/features.ts';
import { ProfileCapture } from '../../quality/profile-capture.ts';
import { buildProfile, type ReferenceProfile } from '../../quality/reference-profile.ts';

const BATCH = 64;

export interface ProfileOptions {
  readonly source: string;
  readonly maxRows?: number;
  readonly seed?: number;
  /** A text field's vocabulary keeps at most this many tokens (DEFAULT_VOCABULARY_SIZE). */
  readonly vocabularySize?: number;
}

export async function profileModelVersion(
  dir: string,
  items: Iterable<Readonly<Record<string, unknown>>>,
  options: ProfileOptions,
): Promise<ReferenceProfile> {
  const config = loadConfig({
    env: {},
    overrides: {
      quality: { enabled: false },
      admission: { enabled: false },
      models: { build_defaults: false, execution: 'main' },
      server: { grpc_port: 0 },
    },
  });
  const capture = new ProfileCapture();
  const sluice = createSluice(config, pino({ level: 'silent' }), {
    slots: { quality: [], cache: [], observe: [capture.stage] },
  });
  try {
    const model = await sluice.models.loadVersion(dir);
    const fields = model.spec.inputs.map((input) => input.name);
    let batch: Array<Record<string, unknown>> = [];
    let sent = 0;
    const missing: Record<string, number> = {};
    const flush = async () => {
      if (batch.length === 0) return;
      const response = await sluice.app.inject({
        method: 'POST',
        url: `/v1/models/${encodeURIComponent(model.spec.name)}:predict`,
        payload: { instances: batch },
      });
      if (response.statusCode !== 200)
        throw new Error(`items ${sent + 1}–${sent + batch.length}: ${response.statusCode} ${response.body}`);
      sent += batch.length;
      batch = [];
    };
    for (const item of items) {
      const present = fields.filter((field) => item[field] !== undefined && item[field] !== null);
      for (const field of fields) if (!present.includes(field)) missing[field] = (missing[field] ?? 0) + 1;
      batch.push(Object.fromEntries(present.map((field) => [field, item[field]])));
      if (batch.length === BATCH) await flush();
    }
    await flush();
    const schema = { items: sent, missing };
    const embeddingOutput = embeddingOutputOf(model.spec);
    return buildProfile(model.spec, featuresOf(model.spec), capture.observations, {
      ...options,
      schema,
      embeddingOutput,
      textFields: textFieldsOf(model.spec),
    });
  } finally {
    await sluice.close();
  }
}
