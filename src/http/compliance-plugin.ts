/**
 * The compliance foundations on the HTTP edge, over the state store: who may call what
 * (keys, scopes, the route table), the audit log (admin actions, authentication failures,
 * audited inferences), retention, and the admin API. `register` it before any route.
 */
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { createAuditLog, type AuditLog } from '../audit/audit-log.ts';
import { redacting } from '../audit/redacting-audit-log.ts';
import { loadOrCreateSigningKey, publicKeyOf, readSigningKey, signingKeyFileOf } from '../audit/checkpoint.ts';
import { pruneAudit } from '../audit/prune.ts';
import { verifyStoredChain } from '../audit/verify.ts';
import type { Config } from '../config/schema.ts';
import { inferenceAuditor, type FinishedInference } from '../observe/inference-audit.ts';
import type { Store } from '../state/store.ts';
import { AccessControl, type AuthFailure } from '../tenancy/access-control.ts';
import { KeySync } from '../tenancy/key-sync.ts';
import { TenantAdmin } from '../tenancy/tenant-admin.ts';
import { TenantDirectory } from '../tenancy/tenant-directory.ts';
import { registerAdmin } from './admin-plugin.ts';
import { registerAuth } from './auth-plugin.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface Compliance {
  readonly tenants: TenantDirectory;
  readonly access: AccessControl;
  readonly audit: AuditLog;
  readonly auditInference: ((finished: FinishedInference) => void) | undefined;
  /** Routes registered that the route table does not declare (refused to everyone; a test keeps this empty). */
  readonly undeclaredRoutes: ReadonlySet<string>;
  /** Adds authentication to every route and the admin API; before any route, after the admission gate (a refusal costs no hash). */
  register(app: FastifyInstance): void;
  /** Reads the keys from the store, starts watching it, prunes the audit log by its retention. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createCompliance(config: Readonly<Config>, store: Store, logger: Logger): Compliance {
  const auditWriter = createAuditLog(store, {
    flushIntervalMs: config.audit.flush_interval_ms,
    onError: (error) => logger.error({ err: error }, `audit log: ${error.message}`),
  });
  const audit = redacting(auditWriter);
  const tenants = new TenantDirectory(config.auth.enabled);
  const sync = new KeySync(store, config.tenants, tenants, (error) =>
    logger.error({ err: error }, 'cannot re-read API keys from the state store; the last ones read stay in force'),
  );
  const access = new AccessControl(tenants, (failure) => audit.record(authFailureEntry(failure)));
  const admin = new TenantAdmin({
    store,
    declared: sync.declared,
    audit,
    refresh: () => sync.refresh(),
  });
  const signingKeyFile = signingKeyFileOf(config);
  const verifyAudit = async () => {
    const publicKey = existsSync(signingKeyFile) ? publicKeyOf(readSigningKey(signingKeyFile)) : undefined;
    return { ...(await verifyStoredChain(store, publicKey)).verdict };
  };

  let retention: NodeJS.Timeout | undefined;
  const prune = async () => {
    const before = new Date(Date.now() - config.audit.retention_days * DAY_MS);
    const { pruned } = await pruneAudit(store, { before, signingKey: loadOrCreateSigningKey(signingKeyFile) });
    if (pruned > 0)
      logger.info({ pruned, before }, 'audit log: pruned records past retention behind a signed checkpoint');
  };
  let undeclaredRoutes: ReadonlySet<string> = new Set();
  return {
    get undeclaredRoutes() {
      return undeclaredRoutes;
    },
    tenants,
    access,
    audit,
    // An inference's entry holds only what sluice itself made (names from its config, codes,
    // numbers), never request content: it skips the redactor, a third of its cost.
    auditInference: inferenceAuditor(config.audit.inferences, auditWriter),
    register: (app) => {
      undeclaredRoutes = registerAuth(app, access);
      registerAdmin(app, { admin, queryAudit: (query) => store.queryAudit(query), verifyAudit });
    },
    start: async () => {
      await sync.refresh();
      await sync.start(config.auth.key_refresh_ms);
      if (config.audit.retention_days === 0) return;
      await prune();
      retention = setInterval(
        () => prune().catch((error) => logger.error({ err: error }, 'audit pruning failed')),
        DAY_MS,
      );
      retention.unref();
    },
    close: async () => {
      await sync.stop();
      if (retention !== undefined) clearInterval(retention);
      await audit.close();
    },
  };
}

function authFailureEntry(failure: AuthFailure) {
  return {
    time: new Date().toISOString(),
    actor: failure.keyId ?? 'unknown',
    action: 'auth.failure',
    tenant: null,
    details: { code: failure.code, route: failure.route },
  };
}
