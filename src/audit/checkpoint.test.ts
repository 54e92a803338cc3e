import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  exportPublicKey,
  loadOrCreateSigningKey,
  publicKeyOf,
  readPublicKey,
  signCheckpoint,
  verifyCheckpoint,
} from './checkpoint.ts';

const directory = mkdtempSync(join(tmpdir(), 'sluice-audit-key-'));
after(() => rmSync(directory, { recursive: true, force: true }));

const content = { seq: 41, hash: 'c'.repeat(64), prunedAt: '2026-02-01T00:00:00.000Z' };

describe('loadOrCreateSigningKey', () => {
  test('creates a missing key as an owner-only PEM file, making its directory, and reads the same key back', () => {
    const file = join(directory, 'nested', 'state', 'audit-signing.key');
    const created = loadOrCreateSigningKey(file);
    assert.equal(created.asymmetricKeyType, 'ed25519');
    assert.match(readFileSync(file, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
    const loaded = loadOrCreateSigningKey(file);
    assert.equal(exportPublicKey(loaded), exportPublicKey(created));
  });

  test('refuses a key file that holds another kind of key', () => {
    const file = join(directory, 'rsa.key');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    assert.throws(() => loadOrCreateSigningKey(file), /rsa key; the audit log signs with Ed25519/);
  });
});

describe('signed checkpoints', () => {
  const signingKey = loadOrCreateSigningKey(join(directory, 'sign.key'));
  const publicKey = publicKeyOf(signingKey);
  const checkpoint = signCheckpoint(content, signingKey);

  test('verify with the public key, derived or read from an exported PEM or from the private key file', () => {
    const exported = join(directory, 'audit-public.pem');
    writeFileSync(exported, exportPublicKey(signingKey));
    assert.match(readFileSync(exported, 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
    assert.equal(verifyCheckpoint(checkpoint, publicKey), true);
    assert.equal(verifyCheckpoint(checkpoint, readPublicKey(exported)), true);
    assert.equal(verifyCheckpoint(checkpoint, readPublicKey(join(directory, 'sign.key'))), true);
  });

  test('fail when any signed field changes', () => {
    for (const forged of [
      { ...checkpoint, seq: 42 },
      { ...checkpoint, hash: 'd'.repeat(64) },
      { ...checkpoint, prunedAt: '2026-02-02T00:00:00.000Z' },
    ]) {
      assert.equal(verifyCheckpoint(forged, publicKey), false);
    }
  });

  test('fail with another key, or a signature that is not one', () => {
    const other = generateKeyPairSync('ed25519');
    assert.equal(verifyCheckpoint(signCheckpoint(content, other.privateKey), publicKey), false);
    assert.equal(verifyCheckpoint(checkpoint, other.publicKey), false);
    assert.equal(verifyCheckpoint({ ...checkpoint, signature: '' }, publicKey), false);
    assert.equal(verifyCheckpoint({ ...checkpoint, signature: 'not base64 at all!' }, publicKey), false);
  });
});
