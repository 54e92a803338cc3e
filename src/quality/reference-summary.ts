/**
 * What a quality report and `GET /admin/models/{model}/reference` say of a reference: its
 * source text, and, for a program to read, how it was made, when and by whom.
 */
import type { ReferenceProfile } from './reference-profile.ts';

/**
 * - `profile`: a local model's `reference-profile.json` made by a build or `sluice profile`;
 * - `captured`: a local model's, captured from live traffic through the admin API;
 * - `first_window`: a remote model's first window closed after start;
 * - `pinned`: a remote model's window pinned through the admin API.
 */
export type ReferenceOrigin = 'profile' | 'captured' | 'first_window' | 'pinned';

export interface ReferenceSummary {
  readonly source: string;
  readonly rows: number;
  readonly origin: ReferenceOrigin;
  /** ISO 8601: when it was captured, pinned or its window closed; null for a built profile (its source says how it was made). */
  readonly made_at: string | null;
  /** Who captured or pinned it (a key id, or "anonymous" with auth off); null when nobody did. */
  readonly made_by: string | null;
}

/** A local model's profile: captured through the admin API when it says so, else built. */
export function summaryOfProfile(profile: ReferenceProfile): ReferenceSummary {
  const { source, rows, captured } = profile;
  return captured === undefined
    ? { source, rows, origin: 'profile', made_at: null, made_by: null }
    : { source, rows, origin: 'captured', made_at: captured.at, made_by: captured.by };
}
