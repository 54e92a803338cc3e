/**
 * `sluice audit …`: verify the chain, prune it behind a signed checkpoint, print its head
 * for an external anchor, and export the public key auditors verify with (docs/audit.md).
 * Exit codes: 0 done, 1 the chain is broken (verify, prune), 2 it could not be checked
 * (configuration, database, key).
 */
import { processIo, type CommandIo } from './command-io.ts';
import { Command, InvalidArgumentError } from 'commander';
import type { KeyObject } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { exportPublicKey, loadOrCreateSigningKey, readPublicKey, signingKeyFileOf } from '../audit/checkpoint.ts';
import { GENESIS_HEAD } from '../audit/chain.ts';
import { AuditChainBrokenError, cutoffBefore, prunedText, pruneAudit } from '../audit/prune.ts';
import { verifyStoredChain, type ChainVerdict } from '../audit/verify.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { ChainHead, Store } from '../state/store.ts';
import { openConfiguredStore } from './state-store.ts';

export interface AuditVerifyOptions {
  readonly config?: string;
  readonly publicKey?: string;
  readonly expectHead?: ChainHead;
}

export interface AuditPruneOptions {
  readonly config?: string;
  readonly olderThan?: string;
}

export interface AuditPublicKeyOptions {
  readonly config?: string;
  readonly out?: string;
}

const SCAN_PAGE = 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export function registerAuditCommands(program: Command, io: CommandIo = processIo): void {
  program.addCommand(auditCommand(io));
}

function auditCommand(io: CommandIo): Command {
  const audit = new Command('audit').description('the tamper-evident audit log: verify, prune, anchor, export the key');
  audit
    .command('verify')
    .description('check the hash chain from its signed checkpoint; exit 1 naming the first bad record')
    .option('-c, --config <file>', 'YAML configuration file')
    .option(
      '--public-key <file>',
      'public key (PEM) to check the checkpoint with (default: from audit.signing_key_file)',
    )
    .option(
      '--expect-head <seq:hash>',
      'a head printed earlier by `sluice audit head`: catches a cut-off end',
      parseHead,
    )
    .action((options: AuditVerifyOptions) => guarded(io, () => auditVerify(options, io)));
  audit
    .command('prune')
    .description('remove old records behind a signed checkpoint (the rest still verifies)')
    .option('-c, --config <file>', 'YAML configuration file')
    .option('--older-than <age>', 'days ("30d" or "30") or hours ("12h"); default: audit.retention_days')
    .action((options: AuditPruneOptions) => guarded(io, () => auditPrune(options, io)));
  audit
    .command('head')
    .description('print the end of the chain as seq:hash, to keep outside the database for --expect-head')
    .option('-c, --config <file>', 'YAML configuration file')
    .action((options: { config?: string }) => guarded(io, () => auditHead(options, io)));
  audit
    .command('public-key')
    .description("print the signing key's public half (PEM) for auditors (the key is made when missing)")
    .option('-c, --config <file>', 'YAML configuration file')
    .option('-o, --out <file>', 'write it to this file instead')
    .action((options: AuditPublicKeyOptions) => guarded(io, () => auditPublicKey(options, io)));
  return audit;
}

/** `<seq>:<hash>` as `sluice audit head` prints it. */
export function parseHead(value: string): ChainHead {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(value.trim());
  if (match === null) throw new InvalidArgumentError(`"${value}" is not a head: give <seq>:<64 hex digits>`);
  return { seq: Number(match[1]), hash: match[2] ?? '' };
}

export function formatHead(head: ChainHead): string {
  return `${head.seq}:${head.hash}`;
}

/** Runs a command; an error that stops it before a verdict is exit 2, with its message. */
async function guarded(io: CommandIo, command: () => Promise<number>): Promise<void> {
  try {
    io.exit(await command());
  } catch (error) {
    io.err(`sluice audit: ${(error as Error).message}`);
    io.exit(2);
  }
}

async function withStore(config: Readonly<Config>, use: (store: Store) => Promise<number>): Promise<number> {
  const store = await openConfiguredStore(config);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

function readConfig(file: string | undefined): Readonly<Config> {
  return loadConfig(file === undefined ? {} : { file });
}

export async function auditVerify(options: AuditVerifyOptions, io: CommandIo): Promise<number> {
  const config = readConfig(options.config);
  const publicKey = verifyingKey(config, options.publicKey);
  return withStore(config, async (store) => {
    const expected = options.expectHead === undefined ? {} : { expectedHead: options.expectHead };
    const { verdict, checkpoint } = await verifyStoredChain(store, publicKey, expected, SCAN_PAGE);
    io.out(verdictLine(verdict, checkpoint?.seq));
    return verdict.ok ? 0 : 1;
  });
}

/** --public-key, else the public half of the signing key when it is on this machine. */
function verifyingKey(config: Readonly<Config>, file: string | undefined): KeyObject | undefined {
  if (file !== undefined) return readPublicKey(file);
  const signingKeyFile = signingKeyFileOf(config);
  return existsSync(signingKeyFile) ? readPublicKey(signingKeyFile) : undefined;
}

export function verdictLine(verdict: ChainVerdict, checkpointSeq: number | undefined): string {
  if (!verdict.ok) return `audit chain BROKEN at seq ${verdict.seq} (${verdict.fault}): ${verdict.reason}`;
  const from = checkpointSeq === undefined ? 'from the start' : `after the signed checkpoint at seq ${checkpointSeq}`;
  const head = formatHead({ seq: verdict.lastSeq, hash: verdict.lastHash });
  return `audit chain ok: ${verdict.records} records ${from}; head ${head}`;
}

export async function auditPrune(options: AuditPruneOptions, io: CommandIo, now = new Date()): Promise<number> {
  const config = readConfig(options.config);
  const before = pruneCutoff(options.olderThan, config.audit.retention_days, now);
  const signingKey = loadOrCreateSigningKey(signingKeyFileOf(config));
  return withStore(config, async (store) => {
    try {
      const { pruned, checkpoint } = await pruneAudit(store, { before, signingKey, now });
      const at = checkpoint === undefined ? '' : `; the chain starts after the checkpoint at seq ${checkpoint.seq}`;
      io.out(`pruned ${pruned} audit records older than ${before.toISOString()}${at}`);
      return 0;
    } catch (error) {
      if (!(error instanceof AuditChainBrokenError)) throw error;
      io.out(`${verdictLine(error.verdict, undefined)}; ${prunedText(error.prunedTo)}`);
      return 1;
    }
  });
}

function pruneCutoff(olderThan: string | undefined, retentionDays: number, now: Date): Date {
  if (olderThan !== undefined) return cutoffBefore(olderThan, now);
  if (retentionDays > 0) return new Date(now.getTime() - retentionDays * DAY_MS);
  throw new Error('give --older-than, or set audit.retention_days');
}

export async function auditHead(options: { config?: string }, io: CommandIo): Promise<number> {
  return withStore(readConfig(options.config), async (store) => {
    io.out(formatHead((await store.auditHead()) ?? GENESIS_HEAD));
    return 0;
  });
}

export async function auditPublicKey(options: AuditPublicKeyOptions, io: CommandIo): Promise<number> {
  const file = signingKeyFileOf(readConfig(options.config));
  const pem = exportPublicKey(loadOrCreateSigningKey(file));
  if (options.out === undefined) io.out(pem.trimEnd());
  else writeFileSync(options.out, pem);
  return 0;
}
