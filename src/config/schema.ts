/** The one configuration document: YAML file, then environment overrides, validated once and frozen. */
import { z } from 'zod';
import { DEFAULT_SEED } from '../training/build-models.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const ConfigSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1).default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(8080),
      /** Largest accepted request body; larger ones get 413. */
      body_limit_bytes: z.number().int().min(1024).default(10 * 1024 * 1024),
    })
    .prefault({}),
  models: z
    .strictObject({
      /** Directory laid out as `<name>/<version>/model.yaml`. */
      repository: z.string().min(1).default('models'),
      /** Build the embedded default models into the repository when they are missing. */
      build_defaults: z.boolean().default(true),
      /** Seed of the default models' data generator and training. */
      build_seed: z.number().int().default(DEFAULT_SEED),
      /** ONNX Runtime threads per session (0 lets ONNX Runtime choose). */
      intra_op_threads: z.number().int().min(0).default(1),
    })
    .prefault({}),
  logging: z
    .strictObject({
      level: z.enum(LOG_LEVELS).default('info'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
