/**
 * A text feature's live window: how long texts are (characters and tokens, each in a KLL
 * sketch) and how many tokens fall outside a vocabulary (two counters, exact under merge).
 *
 * Tokens are the words sluice's text models see: `normalizeText` (NFKC, lowercase, anything
 * not a letter, combining mark or digit separates words, apostrophes kept inside words), split
 * on spaces. So the out-of-vocabulary rate against a model's vocabulary is the rate the
 * model itself meets, not one of another tokeniser.
 */
import { fnv1a32 } from '../../core/fnv.ts';
import { normalizeText } from '../../core/text.ts';
import { QuantileSketch, type QuantileSketchJson } from './quantile-sketch.ts';
import { z } from 'zod';

export function tokenize(text: string): string[] {
  const normal = normalizeText(text);
  return normal === '' ? [] : normal.split(' ');
}

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
  version: z.literal(1),
  vocabulary: z.object({ size: z.number().int().min(0), fingerprint: z.string() }),
  tokens: z.number().int().min(0),
  oovTokens: z.number().int().min(0),
  characters: z.unknown(),
  tokensPerText: z.unknown(),
});

export interface TextSummaryJson {
  readonly kind: 'text-summary';
  readonly version: 1;
  readonly vocabulary: { readonly size: number; readonly fingerprint: string };
  readonly tokens: number;
  readonly oovTokens: number;
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
  private tokenTotal = 0;
  private oovTotal = 0;

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
    return this.tokenTotal;
  }

  get oovTokens(): number {
    return this.oovTotal;
  }

  /** Out-of-vocabulary tokens over all tokens; NaN before the first token. */
  get oovRate(): number {
    return this.tokenTotal === 0 ? NaN : this.oovTotal / this.tokenTotal;
  }

  add(text: string): void {
    const tokens = tokenize(text);
    this.characters.add(text.length);
    this.tokensPerText.add(tokens.length);
    this.tokenTotal += tokens.length;
    for (const token of tokens) if (!this.vocabulary.has(token)) this.oovTotal++;
  }

  merge(other: TextSummary): void {
    if (other.vocabulary.fingerprint !== this.vocabulary.fingerprint) {
      throw new RangeError('cannot merge text summaries kept against different vocabularies');
    }
    this.characters.merge(other.characters);
    this.tokensPerText.merge(other.tokensPerText);
    this.tokenTotal += other.tokenTotal;
    this.oovTotal += other.oovTotal;
  }

  toJSON(): TextSummaryJson {
    return {
      kind: 'text-summary',
      version: 1,
      vocabulary: { size: this.vocabulary.size, fingerprint: this.vocabulary.fingerprint },
      tokens: this.tokenTotal,
      oovTokens: this.oovTotal,
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
    if (json.oovTokens > json.tokens) throw new RangeError('text summary counts more OOV tokens than tokens');
    const characters = QuantileSketch.fromJSON(json.characters);
    const summary = new TextSummary(vocabulary, { k: characters.k });
    summary.characters.merge(characters);
    summary.tokensPerText.merge(QuantileSketch.fromJSON(json.tokensPerText));
    summary.tokenTotal = json.tokens;
    summary.oovTotal = json.oovTokens;
    return summary;
  }
}
