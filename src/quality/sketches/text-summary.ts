/**
 * A text feature's live window: how long texts are (characters and tokens, each in a KLL
 * sketch) and how many tokens fall outside a vocabulary (`OovCounts`, exact under merge).
 *
 * Tokens are the words sluice's text models see: `normalizeText` (NFKC, lowercase, anything
 * not a letter, combining mark or digit separates words, apostrophes kept inside words), split
 * on spaces. So the out-of-vocabulary rate against a model's vocabulary is the rate the
 * model itself meets, not one of another tokeniser.
 */
import { fnv1a32 } from '../../core/fnv.ts';
import { textWords } from '../../core/text.ts';
import { OovCounts, type OovCountsJson } from './oov-counts.ts';
import { QuantileSketch, type QuantileSketchJson } from './quantile-sketch.ts';
import { z } from 'zod';

/** The words sluice's text models see (core/text.ts), shared with the model's preprocessing of the same text. */
export const tokenize = textWords;

/** A set of known tokens, normalised like the text, with a fingerprint so merges can check both sides used it. */
export class Vocabulary {
  readonly size: number;
  /** FNV-1a of the sorted tokens, one per line, as 8 hex digits. */
  readonly fingerprint: string;
  private readonly tokens: ReadonlySet<string>;

  constructor(words: Iterable<string>) {
    const tokens = new Set<string>();
    for (const word of words) for (const token of tokenize(word)) tokens.add(token);
    this.tokens = tokens;
    this.size = tokens.size;
    this.fingerprint = fnv1a32([...tokens].sort().join('\n'))
      .toString(16)
      .padStart(8, '0');
  }

  has(token: string): boolean {
    return this.tokens.has(token);
  }
}

const summaryJson = z.object({
  kind: z.literal('text-summary'),
  version: z.literal(2),
  vocabulary: z.object({ size: z.number().int().min(0), fingerprint: z.string() }),
  oov: z.unknown(),
  characters: z.unknown(),
  tokensPerText: z.unknown(),
});

export interface TextSummaryJson {
  readonly kind: 'text-summary';
  readonly version: 2;
  readonly vocabulary: { readonly size: number; readonly fingerprint: string };
  readonly oov: OovCountsJson;
  readonly characters: QuantileSketchJson;
  readonly tokensPerText: QuantileSketchJson;
}

export interface TextSummaryOptions {
  /** The KLL k of both length sketches. Default 200. */
  readonly k?: number;
}

export class TextSummary {
  /** Length of each text in UTF-16 code units (JavaScript's `length`), before normalisation. */
  readonly characters: QuantileSketch;
  /** Tokens per text. */
  readonly tokensPerText: QuantileSketch;
  private oov = new OovCounts();

  constructor(
    readonly vocabulary: Vocabulary,
    options: TextSummaryOptions = {},
  ) {
    this.characters = new QuantileSketch({ k: options.k });
    this.tokensPerText = new QuantileSketch({ k: options.k });
  }

  /** Texts added. */
  get count(): number {
    return this.characters.count;
  }

  get tokens(): number {
    return this.oov.tokens;
  }

  get oovTokens(): number {
    return this.oov.oovTokens;
  }

  /** Out-of-vocabulary tokens over all tokens; NaN before the first token. */
  get oovRate(): number {
    return this.oov.rate;
  }

  add(text: string): void {
    const tokens = tokenize(text);
    this.characters.add(text.length);
    this.tokensPerText.add(tokens.length);
    this.oov.add(tokens, this.vocabulary);
  }

  merge(other: TextSummary): void {
    if (other.vocabulary.fingerprint !== this.vocabulary.fingerprint) {
      throw new RangeError('cannot merge text summaries kept against different vocabularies');
    }
    this.characters.merge(other.characters);
    this.tokensPerText.merge(other.tokensPerText);
    this.oov.merge(other.oov);
  }

  toJSON(): TextSummaryJson {
    return {
      kind: 'text-summary',
      version: 2,
      vocabulary: { size: this.vocabulary.size, fingerprint: this.vocabulary.fingerprint },
      oov: this.oov.toJSON(),
      characters: this.characters.toJSON(),
      tokensPerText: this.tokensPerText.toJSON(),
    };
  }

  /** The vocabulary is not serialised (it can be large): pass the one the summary was kept against. */
  static fromJSON(input: unknown, vocabulary: Vocabulary): TextSummary {
    const json = summaryJson.parse(input);
    if (json.vocabulary.fingerprint !== vocabulary.fingerprint) {
      throw new RangeError(`text summary was kept against vocabulary ${json.vocabulary.fingerprint}`);
    }
    const oov = OovCounts.fromJSON(json.oov);
    const characters = QuantileSketch.fromJSON(json.characters);
    const summary = new TextSummary(vocabulary, { k: characters.k });
    summary.characters.merge(characters);
    summary.tokensPerText.merge(QuantileSketch.fromJSON(json.tokensPerText));
    summary.oov = oov;
    return summary;
  }
}
