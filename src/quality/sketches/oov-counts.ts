/**
 * Out-of-vocabulary counts of a text field: the items, their tokens, the tokens outside a
 * vocabulary, and the per-item sums of squares and products of those two counts. Tokens of
 * one text are not independent draws (an unknown name or a foreign sentence brings several),
 * so the OOV rate is a ratio estimate over items; these sums are its sufficient statistics,
 * and give its variance with items as the independent units (oov-drift.ts). Exact, and a
 * merge is the counts of both.
 */
/** A vocabulary (text-summary.ts) or a set of tokens. */
export interface KnownTokens {
  has(token: string): boolean;
}

export interface OovCountsJson {
  readonly items: number;
  readonly tokens: number;
  readonly oov_tokens: number;
  /** Σ tokens², Σ oov², Σ tokens·oov over the items. */
  readonly tokens_squared: number;
  readonly oov_squared: number;
  readonly tokens_oov: number;
}

const KEYS = ['items', 'tokens', 'oov_tokens', 'tokens_squared', 'oov_squared', 'tokens_oov'] as const;

export class OovCounts {
  private itemCount = 0;
  private tokenCount = 0;
  private oovCount = 0;
  private tokensSquared = 0;
  private oovSquared = 0;
  private tokensOov = 0;

  get items(): number {
    return this.itemCount;
  }

  get tokens(): number {
    return this.tokenCount;
  }

  get oovTokens(): number {
    return this.oovCount;
  }

  /** OOV tokens over tokens; NaN before the first token. */
  get rate(): number {
    return this.tokenCount === 0 ? NaN : this.oovCount / this.tokenCount;
  }

  /** One item's tokens, each looked up once in the vocabulary. */
  add(tokens: readonly string[], vocabulary: KnownTokens): void {
    let oov = 0;
    for (const token of tokens) if (!vocabulary.has(token)) oov++;
    this.addCounts(tokens.length, oov);
  }

  addCounts(tokens: number, oov: number): void {
    this.itemCount += 1;
    this.tokenCount += tokens;
    this.oovCount += oov;
    this.tokensSquared += tokens * tokens;
    this.oovSquared += oov * oov;
    this.tokensOov += tokens * oov;
  }

  merge(other: OovCounts): void {
    this.itemCount += other.itemCount;
    this.tokenCount += other.tokenCount;
    this.oovCount += other.oovCount;
    this.tokensSquared += other.tokensSquared;
    this.oovSquared += other.oovSquared;
    this.tokensOov += other.tokensOov;
  }

  /**
   * The sample variance of one item's residual oov − rate·tokens (the ratio estimator's
   * linearised variable, Cochran, Sampling Techniques, §6.4), from the sums; NaN below two items.
   */
  residualVariance(rate: number): number {
    if (this.itemCount < 2) return NaN;
    const squares = this.oovSquared - 2 * rate * this.tokensOov + rate * rate * this.tokensSquared;
    return Math.max(0, squares) / (this.itemCount - 1);
  }

  toJSON(): OovCountsJson {
    return {
      items: this.itemCount,
      tokens: this.tokenCount,
      oov_tokens: this.oovCount,
      tokens_squared: this.tokensSquared,
      oov_squared: this.oovSquared,
      tokens_oov: this.tokensOov,
    };
  }

  /** Throws naming the first count that is not a whole number ≥ 0, or OOV tokens above tokens. */
  static fromJSON(value: unknown): OovCounts {
    const json = (typeof value === 'object' && value !== null ? value : {}) as Partial<Record<string, unknown>>;
    for (const key of KEYS) {
      const count = json[key];
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
        throw new RangeError(`${key} must be a whole number ≥ 0`);
    }
    const counts = new OovCounts();
    const valid = json as unknown as OovCountsJson;
    if (valid.oov_tokens > valid.tokens) throw new RangeError('oov_tokens must not exceed tokens');
    counts.itemCount = valid.items;
    counts.tokenCount = valid.tokens;
    counts.oovCount = valid.oov_tokens;
    counts.tokensSquared = valid.tokens_squared;
    counts.oovSquared = valid.oov_squared;
    counts.tokensOov = valid.tokens_oov;
    return counts;
  }
}
