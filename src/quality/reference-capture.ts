/**
 * A reference profile captured from live traffic (the admin API's
 * `POST /admin/models/{model}/reference`): the rows the monitor sampled from a window (its
 * last closed one, or the open one so far) become the version's profile, written beside the
 * model so it outlasts a restart, and the monitor tests every window opened after it
 * against it. The window open at the capture keeps the reference it opened with.
 *
 * The fields that fill from the reference take their new values at once: they are checked
 * before anything is written (a profile that cannot fill a field changes nothing), and the
 * file, the monitor and the fills change in one synchronous step, between two requests.
 */
import { SluiceError } from '../core/errors.ts';
import type { ModelRef, QualityMonitor } from './quality-monitor.ts';
import { profileOfRows, writeProfile, type ReferenceProfile } from './reference-profile.ts';
import { textReferencesOf, TRAFFIC_VOCABULARY } from './text-reference.ts';

export const CAPTURE_WINDOWS = ['last_closed', 'current'] as const;
export type CaptureWindow = (typeof CAPTURE_WINDOWS)[number];

export interface CaptureRequest {
  readonly model: ModelRef;
  /** The version's monitor; undefined when sluice does not monitor it (a remote model). */
  readonly monitor: QualityMonitor | undefined;
  /** The version's directory, where its ONNX file and profile live. */
  readonly modelDir: string;
  readonly window: CaptureWindow;
  /** Who asked (a key id, or "anonymous"), named in the profile's source. */
  readonly actor: string;
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** A text field's vocabulary keeps at most this many tokens (`quality.vocabulary_size`). */
  readonly vocabularySize: number;
  /**
   * The version's fills from the new profile, checked (throws a SluiceError naming the field
   * it cannot fill); the function returned puts them in force. Absent: nothing fills from it.
   */
  readonly fillsFrom?: (profile: ReferenceProfile) => () => void;
}

export interface Captured {
  readonly profile: ReferenceProfile;
  readonly file: string;
}

export function captureReference(request: CaptureRequest): Captured {
  const { model, monitor, window } = request;
  const named = `${model.name}:${model.version}`;
  if (monitor === undefined) {
    throw new SluiceError(
      'ERR_MODEL_UNSUPPORTED_OPERATION',
      `model "${model.name}" is not a local model: a reference is captured from the rows a local model's monitor samples`,
      { field: 'model' },
    );
  }
  // The open window always exists, and every window reads the same features.
  if (monitor.sampleOf('current')?.features.length === 0) {
    throw new SluiceError(
      'ERR_MODEL_UNSUPPORTED_OPERATION',
      `model ${named} has no features data quality reads (no typed request field, no preprocessing, no classifier output)`,
      { field: 'model' },
    );
  }
  const sample = monitor.sampleOf(window);
  if (sample === undefined || sample.rows.length === 0) {
    const which = sample === undefined ? 'no window has closed yet' : `its ${window} window holds no answered items`;
    throw new SluiceError(
      'ERR_QUALITY_WINDOW_EMPTY',
      `model ${named}: ${which}; send traffic first, or capture window "${window === 'current' ? 'last_closed' : 'current'}"`,
      { field: 'window' },
    );
  }
  const span = `${new Date(sample.start).toISOString()} – ${new Date(sample.end).toISOString()}`;
  const source =
    `live traffic of window ${span} (${window}), ${sample.rows.length} of its ${sample.count} items, ` +
    `captured through the admin API by ${request.actor} at ${new Date(request.at).toISOString()}`;
  const rows = profileOfRows(model, sample.features, sample.rows, source);
  // The sampled texts split in two as a built profile's: a vocabulary, and a held-out rate. Clients' texts: the
  // vocabulary keeps words that five of them hold, none with a digit or an `@` (no identifier in the file).
  const text = textReferencesOf(sample.textFields, sample.texts, request.vocabularySize, TRAFFIC_VOCABULARY);
  const profile: ReferenceProfile = {
    ...rows,
    ...(sample.embedding === undefined ? {} : { embedding: sample.embedding }),
    ...(Object.keys(text).length === 0 ? {} : { text }),
    captured: { at: new Date(request.at).toISOString(), by: request.actor },
  };
  const useFills = request.fillsFrom?.(profile);
  const file = writeProfile(request.modelDir, profile);
  monitor.useReference(profile);
  useFills?.();
  return { profile, file };
}
