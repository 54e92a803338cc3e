/**
 * Keyboard typos: swapped, dropped, doubled or mistyped letters. Only words of
 * three letters or more are touched, as people rarely mistype "my" or "i".
 */
import type { Rng } from '../../../core/seeded-rng.ts';

const QWERTY_ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];

function keyboardNeighbour(letter: string, rng: Rng): string {
  for (const row of QWERTY_ROWS) {
    const index = row.indexOf(letter);
    if (index < 0) continue;
    const neighbours = [row[index - 1], row[index + 1]].filter((key): key is string => key !== undefined);
    return rng.pick(neighbours);
  }
  return letter;
}

export function misspell(word: string, rng: Rng): string {
  if (word.length < 3) return word;
  const at = 1 + rng.int(word.length - 2);
  const letter = word[at] ?? '';
  switch (rng.int(4)) {
    case 0:
      return word.slice(0, at) + (word[at + 1] ?? '') + letter + word.slice(at + 2);
    case 1:
      return word.slice(0, at) + word.slice(at + 1);
    case 2:
      return word.slice(0, at) + letter + word.slice(at);
    default:
      return word.slice(0, at) + keyboardNeighbour(letter, rng) + word.slice(at + 1);
  }
}

/** Misspells each eligible word with probability `rate`. */
export function addTypos(text: string, rate: number, rng: Rng): string {
  return text
    .split(' ')
    .map((word) => (/^[a-z]{3,}$/.test(word) && rng.chance(rate) ? misspell(word, rng) : word))
    .join(' ');
}
