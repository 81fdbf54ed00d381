import { sql, type Insertable, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { TsmDatabase } from './schema.js';

export interface AuditEntry {
  readonly actor: string;
  readonly action: string;
  readonly cin?: string;
  readonly details?: Record<string, unknown>;
}

/**
 * One line of the TSM's audit log as a row to insert. Callers that change something else in the
 * same statement put it in a data-modifying WITH clause beside that change, so the change and its
 * audit line commit together, in one round trip to the database.
 */
export function auditRow(entry: AuditEntry): Insertable<TsmDatabase['tsm.audit_log']> {
  return {
    actor: entry.actor,
    action: entry.action,
    cin: entry.cin ?? null,
    details: JSON.stringify(entry.details ?? {}),
  };
}

/**
 * Appends one line to the TSM's audit log (tsm.audit_log refuses updates and deletes). Details
 * name what happened — never key material: callers pass AIDs, versions, states, counts.
 */
export async function audit(db: Kysely<TsmDatabase> | Transaction<TsmDatabase>, entry: AuditEntry): Promise<void> {
  await db.insertInto('tsm.audit_log').values(auditRow(entry)).execute();
}

/**
 * A data-modifying WITH clause that writes one audit line per row of the WITH clause `source`
 * (which must return `cin`): the line exists exactly when the change it reports happened. The
 * details are given as an object, or (in a query template, where they are a value) as JSON text.
 */
export function auditEachRow(source: string, entry: Omit<AuditEntry, 'cin'> | { readonly actor: string; readonly action: string; readonly detailsJson: string }): RawBuilder<Record<string, never>> {
  const detailsJson = 'detailsJson' in entry ? entry.detailsJson : JSON.stringify(entry.details ?? {});
  // Kysely writes a raw WITH clause as it is: the parentheses are the clause's own.
  return sql<Record<string, never>>`(insert into tsm.audit_log (actor, action, cin, details)
    select ${entry.actor}::text, ${entry.action}::text, cin, ${detailsJson}::jsonb from ${sql.table(source)})`;
}
