/** Audit records never carry personal data: each entry's details are redacted as it is recorded (docs/redaction.md). */
import { redactValue } from '../observe/redact/redactor.ts';
import type { AuditLog } from './audit-log.ts';

export function redacting(log: AuditLog): AuditLog {
  return {
    record: (entry) => log.record({ ...entry, details: redactValue(entry.details) as Record<string, unknown> }),
    flush: () => log.flush(),
    close: () => log.close(),
    stats: () => log.stats(),
  };
}
