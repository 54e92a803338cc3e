/**
 * The seed the embedded default models are built from. On its own so the configuration
 * (which defaults `models.build_seed` to it) does not load the training code.
 */
export const DEFAULT_SEED = 7;
