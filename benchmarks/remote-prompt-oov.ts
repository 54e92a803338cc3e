/**
 * What a remote model's prompt out-of-vocabulary count adds to a request, in one process:
 * two RemoteQualityMonitors fed the same answered chats, `off` as before (tokens, finish
 * reason, outcome) and `on` with the prompt's words as the traffic stage gives them
 * (`promptWords`: the user turn split by textWords, then counted against the reference's
 * vocabulary and maybe sampled). Every prompt is a new text, so the tokenizer's memo never
 * helps: on a real gateway nothing else splits a remote prompt with it. Windows of 1,000
 * requests close as in a server, the first becoming the reference (its vocabulary made on
 * the `on` side), later ones tested. The sides take turns, the order swapped each round.
 * Last, `promptWords` alone on user turns of 50,000 characters (a pasted document): what
 * the bound on the characters read keeps a long prompt to.
 *
 *   taskset -c 0 node --import tsx benchmarks/remote-prompt-oov.ts [rounds] [requests-per-round]
 */
import { setImmediate as turn } from 'node:timers/promises';
import { createRng } from '../src/core/seeded-rng.ts';
import { promptWords } from '../src/quality/remote/prompt-words.ts';
import { RemoteQualityMonitor } from '../src/quality/remote/remote-monitor.ts';
import { formatSpread, spreadOf } from './lib/slots-report.ts';

const rounds = Number(process.argv[2] ?? 20);
const perRound = Number(process.argv[3] ?? 5_000);
const WINDOW = 1_000;
const SYSTEM = 'You are the assistant of a clinic. Answer briefly and never give a diagnosis.';

/** A vocabulary of 3,000 made-up words, Zipf-like in use: a few common, most rare. */
function makeWords(): string[] {
  const rng = createRng(7);
  const syllables = ['ba', 'ke', 'lo', 'mi', 'nu', 'ra', 'se', 'ti', 'vo', 'zu', 'che', 'dra', 'pli', 'stor'];
  return Array.from({ length: 3_000 }, () =>
    Array.from({ length: 1 + rng.int(3) }, () => syllables[rng.int(syllables.length)]).join(''),
  );
}

/** Chat documents whose user turn is 10 to 200 words and a number, so no two texts are alike. */
function* chats(seed: number): Generator<Record<string, unknown>> {
  const words = makeWords();
  const rng = createRng(seed);
  for (let index = 0; ; index += 1) {
    const length = 10 + rng.int(191);
    const text = Array.from({ length }, () => words[Math.floor(words.length * rng.next() ** 3)]).join(' ');
    yield {
      model: 'chat',
      messages: [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: `${text} ${index}` },
      ],
    };
  }
}

function cpuMicroseconds(): number {
  const used = process.cpuUsage();
  return used.user + used.system;
}

const sides = ['off', 'on'] as const;
type Side = (typeof sides)[number];
const options = { windowItems: WINDOW, windowMs: 3_600_000, now: Date.now };
const monitors = new Map<Side, RemoteQualityMonitor>(
  sides.map((side) => [side, new RemoteQualityMonitor({ name: side, version: '1' }, options)]),
);
const streams = new Map(sides.map((side) => [side, chats(1)]));

/** CPU µs per answered request on one side, a window's evaluation included. */
async function measure(side: Side, count: number): Promise<number> {
  const monitor = monitors.get(side) as RemoteQualityMonitor;
  const documents = streams.get(side) as Generator<Record<string, unknown>>;
  const started = cpuMicroseconds();
  for (let sent = 0; sent < count; sent += 1) {
    const document = documents.next().value as Record<string, unknown>;
    const words = side === 'on' ? promptWords(document) : undefined;
    monitor.answered(120 + (sent % 50), 40 + (sent % 30), [{ finish_reason: 'stop' }], words);
    // Closed windows are tested on a later turn of the loop, as in a server.
    if (sent % WINDOW === WINDOW - 1) await turn();
  }
  await turn();
  return (cpuMicroseconds() - started) / count;
}

for (const side of sides) await measure(side, 2 * WINDOW); // warm-up: each side's reference made
const perRequest = new Map<Side, number[]>(sides.map((side) => [side, []]));
for (let round = 0; round < rounds; round += 1)
  for (const side of round % 2 === 0 ? sides : [...sides].reverse())
    perRequest.get(side)?.push(await measure(side, perRound));

const off = perRequest.get('off') ?? [];
const on = perRequest.get('on') ?? [];
const added = on.map((value, round) => value - (off[round] ?? NaN));
const format = (values: number[]) => formatSpread(spreadOf(values), (value) => value.toFixed(1));
console.log('| side | CPU µs per request, median (min to max) |');
console.log('| --- | ---: |');
console.log(`| off | ${format(off)} |`);
console.log(`| on | ${format(on)} |`);
console.log(`| on − off, round by round | ${format(added)} |`);
const longTurns = chats(2);
const long = (index: number) => {
  const opening = (longTurns.next().value as { messages: Array<{ content: string }> }).messages[1]?.content ?? '';
  return { messages: [{ role: 'user', content: `${index} ${opening.repeat(Math.ceil(50_000 / opening.length))}` }] };
};
// Parsed from JSON, as a server's are: flat strings, not the joins that built them.
const documents = JSON.parse(JSON.stringify(Array.from({ length: 2_000 }, (_, index) => long(index)))) as Array<
  Record<string, unknown>
>;
const started = cpuMicroseconds();
for (const document of documents) promptWords(document);
const longCost = (cpuMicroseconds() - started) / documents.length;
console.log(`| promptWords of a 50,000-character user turn | ${longCost.toFixed(1)} |`);
const report = monitors.get('on')?.report();
const oov = report?.features.find((feature) => feature.name === 'prompt.oov_rate');
console.log(`\n${rounds} rounds of ${perRound}; the last window's prompt.oov_rate: ${JSON.stringify(oov)}`);
