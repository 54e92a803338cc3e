/**
 * Managing tenants and keys, for the admin API and the CLI alike: checks the input (400
 * naming the field), writes the store in one transaction (nothing half-applied), records
 * the action in the audit log, and applies it at once (the next request sees it).
 */
import { z } from 'zod';
import { SluiceError } from '../core/errors.ts';
import {
  SCOPES,
  StoreConflictError,
  type AuditEntry,
  type KeyRecord,
  type Store,
  type TenantRecord,
} from '../state/store.ts';
import { generateApiKey } from './api-keys.ts';
import type { KeySnapshot } from './tenant-directory.ts';

const NAME = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, '1–64 letters, digits, "_", "." or "-"');

export const NewTenantSchema = z.strictObject({
  name: NAME,
  priority: z.number().int().min(1).optional(),
  weight: z.number().positive().max(1_000_000).default(1),
});

export const NewKeySchema = z.strictObject({
  tenant: NAME,
  scopes: z.array(z.enum(SCOPES)).min(1),
  models: z.array(z.string().min(1)).min(1).optional(),
  expires_at: z.iso.datetime({ offset: true }).optional(),
});

/** A key as lists show it: never its hash. */
export interface KeyView {
  readonly id: string;
  readonly tenant: string;
  readonly scopes: readonly string[];
  readonly models: readonly string[] | null;
  readonly created_at: string | null;
  readonly expires_at: string | null;
  readonly revoked_at: string | null;
  /** "config" keys are managed in the config file, not here. */
  readonly source: 'store' | 'config';
}

/** A tenant as lists show it. */
export interface TenantView {
  readonly name: string;
  readonly priority: number | null;
  readonly weight: number;
  readonly created_at: string | null;
  /** "config" tenants are managed in the config file, not here. */
  readonly source: 'store' | 'config';
}

export interface TenantAdminDeps {
  readonly store: Store;
  /** The config file's tenants and keys (read-only here). */
  readonly declared: KeySnapshot;
  /** Records an action; `flush` waits until it is written. */
  readonly audit: { record(entry: AuditEntry): void; flush(): Promise<void> };
  /** Applies the store's new state to the serving directory. */
  readonly refresh: () => Promise<void>;
  readonly now?: () => Date;
}

export class TenantAdmin {
  constructor(private readonly deps: TenantAdminDeps) {}

  async listTenants(): Promise<TenantView[]> {
    const declared = this.deps.declared.tenants;
    const names = new Set(declared.map((tenant) => tenant.name));
    const stored = (await this.deps.store.listTenants()).filter((tenant) => !names.has(tenant.name));
    return [
      ...declared.map((tenant) => tenantView(tenant, 'config')),
      ...stored.map((tenant) => tenantView(tenant, 'store')),
    ];
  }

  async getTenant(name: string): Promise<TenantView> {
    const found = (await this.listTenants()).find((tenant) => tenant.name === name);
    if (found === undefined) throw new SluiceError('ERR_ADMIN_NOT_FOUND', `no tenant "${name}"`);
    return found;
  }

  async createTenant(input: unknown, actor: string): Promise<TenantView> {
    const { name, priority, weight } = parse(NewTenantSchema, input);
    if (this.declaredTenant(name)) conflict(`tenant "${name}" is declared in the config file`);
    const tenant: TenantRecord = { name, priority: priority ?? null, weight, createdAt: this.now() };
    await this.write(() => this.deps.store.createTenant(tenant));
    await this.audited({
      actor,
      action: 'tenant.create',
      tenant: name,
      details: { priority: tenant.priority, weight },
    });
    return tenantView(tenant, 'store');
  }

  async deleteTenant(name: string, actor: string): Promise<void> {
    if (this.declaredTenant(name)) conflict(`tenant "${name}" is declared in the config file; remove it there`);
    const deleted = await this.write(() => this.deps.store.deleteTenant(name));
    if (!deleted) throw new SluiceError('ERR_ADMIN_NOT_FOUND', `no tenant "${name}"`);
    await this.audited({ actor, action: 'tenant.delete', tenant: name, details: {} });
  }

  async listKeys(tenant?: string): Promise<KeyView[]> {
    const declared = this.deps.declared.keys.filter((key) => tenant === undefined || key.tenant === tenant);
    const stored = await this.deps.store.listKeys(tenant);
    return [...declared.map((key) => view(key, 'config')), ...stored.map((key) => view(key, 'store'))];
  }

  async getKey(id: string): Promise<KeyView> {
    const declared = this.deps.declared.keys.find((key) => key.id === id);
    if (declared !== undefined) return view(declared, 'config');
    const stored = await this.deps.store.getKey(id);
    if (stored === undefined) throw new SluiceError('ERR_ADMIN_NOT_FOUND', `no key "${id}"`);
    return view(stored, 'store');
  }

  /** Makes a key; the whole key is in the answer and nowhere else. */
  async createKey(input: unknown, actor: string): Promise<{ key: string; record: KeyView }> {
    const { tenant, scopes, models, expires_at } = parse(NewKeySchema, input);
    if (expires_at !== undefined && Date.parse(expires_at) <= this.nowDate().getTime())
      throw new SluiceError('ERR_ADMIN_INVALID', 'expires_at: must be in the future', { field: 'expires_at' });
    await this.ensureStored(tenant);
    const made = generateApiKey();
    const record: KeyRecord = {
      id: made.id,
      tenant,
      scopes: [...new Set(scopes)],
      models: models ?? null,
      hash: made.hash,
      createdAt: this.now(),
      expiresAt: expires_at ?? null,
      revokedAt: null,
    };
    await this.write(() => this.deps.store.insertKey(record));
    await this.audited({ actor, action: 'key.create', tenant, details: keyDetails(record) });
    return { key: made.key, record: view(record, 'store') };
  }

  async revokeKey(id: string, actor: string): Promise<KeyView> {
    this.refuseDeclared(id);
    const revoked = await this.write(() => this.deps.store.revokeKey(id, this.now()));
    if (revoked === undefined) throw new SluiceError('ERR_ADMIN_NOT_FOUND', `no key "${id}"`);
    await this.audited({ actor, action: 'key.revoke', tenant: revoked.tenant, details: { key: id } });
    return view(revoked, 'store');
  }

  /** A new key with the old one's tenant, scopes, models and expiry; the old one is revoked in the same transaction. */
  async rotateKey(id: string, actor: string): Promise<{ key: string; record: KeyView }> {
    this.refuseDeclared(id);
    const old = await this.deps.store.getKey(id);
    if (old === undefined) throw new SluiceError('ERR_ADMIN_NOT_FOUND', `no key "${id}"`);
    if (old.revokedAt !== null) conflict(`key "${id}" is revoked; create a new one`);
    const made = generateApiKey();
    const at = this.now();
    const replacement: KeyRecord = { ...old, id: made.id, hash: made.hash, createdAt: at, revokedAt: null };
    const rotated = await this.write(() => this.deps.store.rotateKey(id, replacement, at));
    if (rotated === undefined) conflict(`key "${id}" was revoked meanwhile`);
    await this.audited({ actor, action: 'key.rotate', tenant: old.tenant, details: { key: id, replacement: made.id } });
    return { key: made.key, record: view(replacement, 'store') };
  }

  private async audited(entry: Omit<AuditEntry, 'time'>): Promise<void> {
    this.deps.audit.record({ time: this.now(), ...entry });
    await Promise.all([this.deps.refresh(), this.deps.audit.flush()]);
  }

  /** A tenant declared only in the config file gets its row in the store when it gets its first stored key. */
  private async ensureStored(name: string): Promise<void> {
    if ((await this.deps.store.getTenant(name)) !== undefined) return;
    const declared = this.deps.declared.tenants.find((tenant) => tenant.name === name);
    if (declared === undefined)
      throw new SluiceError('ERR_ADMIN_NOT_FOUND', `no tenant "${name}"`, { field: 'tenant' });
    await this.write(() => this.deps.store.createTenant({ ...declared, createdAt: this.now() })).catch((error) => {
      if (!(error instanceof SluiceError && error.code === 'ERR_ADMIN_CONFLICT')) throw error; // made meanwhile
    });
  }

  private declaredTenant(name: string): boolean {
    return this.deps.declared.tenants.some((tenant) => tenant.name === name);
  }

  private refuseDeclared(id: string): void {
    if (this.deps.declared.keys.some((key) => key.id === id))
      conflict(`key "${id}" is declared in the config file; remove it there`);
  }

  private async write<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof StoreConflictError) conflict(error.message);
      throw new SluiceError('ERR_STORE_UNAVAILABLE', `the state store failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  private nowDate(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private now(): string {
    return this.nowDate().toISOString();
  }
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') ?? '';
  throw new SluiceError('ERR_ADMIN_INVALID', `${field || 'body'}: ${issue?.message ?? 'invalid'}`, { field });
}

function conflict(message: string): never {
  throw new SluiceError('ERR_ADMIN_CONFLICT', message);
}

function tenantView(tenant: TenantRecord, source: 'store' | 'config'): TenantView {
  const { name, priority, weight, createdAt } = tenant;
  return { name, priority, weight, created_at: createdAt === '' ? null : createdAt, source };
}

function view(key: KeyRecord, source: 'store' | 'config'): KeyView {
  return {
    id: key.id,
    tenant: key.tenant,
    scopes: key.scopes,
    models: key.models,
    created_at: key.createdAt === '' ? null : key.createdAt,
    expires_at: key.expiresAt,
    revoked_at: key.revokedAt,
    source,
  };
}

function keyDetails(key: KeyRecord): Record<string, unknown> {
  return { key: key.id, scopes: key.scopes, models: key.models, expires_at: key.expiresAt };
}
