/**
 * Signed checkpoints: when pruning removes the start of the chain, a checkpoint signed with
 * the audit signing key (Ed25519) stands for the removed records, so what remains still
 * verifies from a point nobody without the key could have forged. Auditors verify with the
 * public key alone (`sluice audit public-key`), so they need not hold the private one.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AuditCheckpoint } from '../state/store.ts';
import { canonicalJson } from './chain.ts';

/** What a checkpoint's signature covers. */
export type CheckpointContent = Omit<AuditCheckpoint, 'signature'>;

/**
 * The signed bytes. The `kind` tag keeps a signature over a checkpoint from being taken for
 * a signature over anything else the same key might ever sign.
 */
export function checkpointText(content: CheckpointContent): string {
  const { seq, hash, prunedAt } = content;
  return canonicalJson({ kind: 'sluice.audit.checkpoint.v1', seq, hash, prunedAt });
}

export function signCheckpoint(content: CheckpointContent, signingKey: KeyObject): AuditCheckpoint {
  const signature = sign(null, Buffer.from(checkpointText(content), 'utf8'), signingKey).toString('base64');
  return { seq: content.seq, hash: content.hash, prunedAt: content.prunedAt, signature };
}

/** True only when the signature is the key's over exactly this seq, hash and prunedAt. */
export function verifyCheckpoint(checkpoint: AuditCheckpoint, publicKey: KeyObject): boolean {
  const signature = Buffer.from(checkpoint.signature, 'base64');
  if (signature.length !== 64) return false; // an Ed25519 signature is 64 bytes; anything else is not one
  try {
    return verify(null, Buffer.from(checkpointText(checkpoint), 'utf8'), publicKey, signature);
  } catch {
    return false;
  }
}

/**
 * The private key in `file` (PKCS#8 PEM), or a new one written there with mode 0600 (and its
 * directory made) when the file does not exist. Two processes creating it at once: the one
 * that loses the exclusive create reads the winner's key.
 */
export function loadOrCreateSigningKey(file: string): KeyObject {
  try {
    return readSigningKey(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  try {
    writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readSigningKey(file);
    throw error;
  }
  return privateKey;
}

/** The private key in `file`; throws when it is missing or not an Ed25519 private key. */
export function readSigningKey(file: string): KeyObject {
  const key = createPrivateKey(readFileSync(file, 'utf8'));
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(
      `${file} holds a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; the audit log signs with Ed25519`,
    );
  }
  return key;
}

/** The public half of a signing key (a public key is returned as it is). */
export function publicKeyOf(key: KeyObject): KeyObject {
  return key.type === 'public' ? key : createPublicKey(key);
}

/**
 * The Ed25519 public key in `file`: an SPKI public key PEM, as an auditor holds it, or the
 * private key PEM itself, from which the public one is derived.
 */
export function readPublicKey(file: string): KeyObject {
  const key = createPublicKey(readFileSync(file, 'utf8'));
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(
      `${file} holds a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; the audit log signs with Ed25519`,
    );
  }
  return key;
}

/** The public key as SPKI PEM, to hand to auditors. */
export function exportPublicKey(key: KeyObject): string {
  return publicKeyOf(key).export({ type: 'spki', format: 'pem' }).toString();
}

/** `audit.signing_key_file`, else `audit-signing.key` beside the SQLite file in `state.directory`. */
export function signingKeyFileOf(config: {
  readonly state: { readonly directory: string };
  readonly audit: { readonly signing_key_file?: string | undefined };
}): string {
  return config.audit.signing_key_file ?? join(config.state.directory, 'audit-signing.key');
}
