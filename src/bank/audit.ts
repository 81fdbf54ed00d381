import type { Kysely, RawBuilder, Transaction } from 'kysely';
import { sql } from 'kysely';
import { inTransaction } from '../infra/db/index.js';
import { AUDIT_FINDINGS_PER_CHECK_MAX } from './limits.js';
import type { BankDatabase } from './schema.js';

export interface AuditCheck {
  /** Stable name of the invariant (public: scripts match on it). */
  readonly name: string;
  readonly description: string;
  /** Exact number of violations. */
  readonly violations: number;
  /** At most AUDIT_FINDINGS_PER_CHECK_MAX, each naming the row and the numbers that disagree (never a PAN or a key). */
  readonly findings: readonly string[];
}

export interface AuditReport {
  readonly balanced: boolean;
  readonly counts: { readonly accounts: number; readonly journalEntries: number; readonly postings: number; readonly openHolds: number; readonly authorizations: number };
  readonly checks: readonly AuditCheck[];
}

interface CheckDefinition {
  readonly name: string;
  readonly description: string;
  /** A query with one text column `finding`, one row per violation. */
  readonly query: RawBuilder<{ finding: string }>;
}

const CLEARABLE_KINDS = sql`('purchase', 'capture', 'refund', 'reversal')`;

const CHECKS: readonly CheckDefinition[] = [
  {
    name: 'entries-balanced',
    description: 'every journal entry has at least two postings, and they sum to zero per currency',
    query: sql`
      select 'entry ' || e.id || ': ' || coalesce(sum(p.n), 0) || ' postings, unbalanced in '
             || coalesce(string_agg(case when p.total <> 0 then p.currency || ' by ' || p.total end, ', '), 'no currency') as finding
      from bank.journal_entries e
      left join (select entry_id, currency, sum(amount_minor) as total, count(*) as n from bank.postings group by entry_id, currency) p on p.entry_id = e.id
      group by e.id
      having coalesce(sum(p.n), 0) < 2 or bool_or(p.total <> 0)`,
  },
  {
    name: 'ledger-balance-matches-postings',
    description: 'every account\'s ledger balance is the sum of its postings',
    query: sql`
      select 'account ' || a.id || ' (' || a.kind || ' ' || a.currency || '): ledger balance ' || a.ledger_balance_minor
             || ', postings sum to ' || coalesce(p.total, 0) as finding
      from bank.accounts a
      left join (select account_id, sum(amount_minor) as total from bank.postings group by account_id) p on p.account_id = a.id
      where a.ledger_balance_minor <> coalesce(p.total, 0)`,
  },
  {
    name: 'available-balance-matches-holds',
    description: 'every account\'s available balance is its ledger balance less its open holds',
    query: sql`
      select 'account ' || a.id || ' (' || a.kind || ' ' || a.currency || '): available ' || a.available_balance_minor
             || ', ledger ' || a.ledger_balance_minor || ' less open holds ' || coalesce(h.total, 0) as finding
      from bank.accounts a
      left join (select account_id, sum(amount_minor) as total from bank.holds where status = 'open' group by account_id) h on h.account_id = a.id
      where a.available_balance_minor <> a.ledger_balance_minor - coalesce(h.total, 0)`,
  },
  {
    name: 'available-balance-allowed',
    description: 'no customer account has a negative available balance, and no account more available than ledger',
    query: sql`
      select 'account ' || id || ' (' || kind || ' ' || currency || '): available ' || available_balance_minor || ', ledger ' || ledger_balance_minor as finding
      from bank.accounts
      where (kind = 'customer' and available_balance_minor < 0) or available_balance_minor > ledger_balance_minor`,
  },
  {
    name: 'trial-balance',
    description: 'the postings of each currency sum to zero over all accounts',
    query: sql`
      select 'currency ' || currency || ' sums to ' || sum(amount_minor) as finding
      from bank.postings group by currency having sum(amount_minor) <> 0`,
  },
  {
    name: 'open-holds-authorized',
    description: 'every open hold belongs to an approved, unreversed preauthorization on the card\'s account, for its amount',
    query: sql`
      select 'hold ' || h.id || ' of authorization ' || h.authorization_id as finding
      from bank.holds h
      left join bank.authorizations z on z.id = h.authorization_id
      left join bank.cards c on c.id = z.card_id
      where h.status = 'open' and (z.id is null or z.response_code <> '00' or z.kind <> 'preauth' or z.reversed_at is not null
        or z.hold_id is distinct from h.id or c.account_id is distinct from h.account_id or z.amount_minor <> h.amount_minor)`,
  },
  {
    name: 'closed-holds-accounted',
    description: 'every captured hold has its capture entry debiting the account by the captured amount; every released hold was reversed',
    query: sql`
      select 'hold ' || h.id || ' (' || h.status || ')' as finding
      from bank.holds h
      join bank.authorizations z on z.id = h.authorization_id
      where (h.status = 'captured' and not exists (
               select 1 from bank.journal_entries e join bank.postings p on p.entry_id = e.id
               where e.id = h.capture_entry_id and e.kind = 'capture' and e.authorization_id = h.authorization_id
                 and p.account_id = h.account_id and p.amount_minor = -h.captured_minor))
         or (h.status = 'released' and z.reversed_at is null)`,
  },
  {
    name: 'card-day-counters',
    description: 'every card\'s day counters (the daily limits) equal its approved, unreversed preauths and purchases of that business date',
    query: sql`
      select 'card ' || c.id || ' on ' || c.day_business_date || ': counters ' || c.day_count || ' / ' || c.day_total_minor
             || ', authorizations ' || coalesce(d.count, 0) || ' / ' || coalesce(d.total, 0) as finding
      from bank.cards c
      left join lateral (
        select count(*) as count, sum(z.amount_minor) as total from bank.authorizations z
         where z.card_id = c.id and z.business_date = c.day_business_date and z.response_code = '00'
           and z.kind in ('preauth', 'purchase') and z.reversed_at is null) as d on true
      where c.day_business_date is not null and (c.day_count <> coalesce(d.count, 0) or c.day_total_minor <> coalesce(d.total, 0))`,
  },
  {
    name: 'approvals-accounted',
    description: 'every approved preauthorization has its hold, every approved purchase and refund its entry, every reversal entry its reversed authorization',
    query: sql`
      select 'authorization ' || z.id || ' (' || z.kind || ')' as finding
      from bank.authorizations z
      where z.response_code = '00' and (
        (z.kind = 'preauth' and not exists (select 1 from bank.holds h where h.id = z.hold_id and h.authorization_id = z.id and h.amount_minor = z.amount_minor))
        or (z.kind in ('purchase', 'refund') and not exists (select 1 from bank.journal_entries e where e.id = z.entry_id and e.authorization_id = z.id and e.kind = z.kind))
        or (z.reversal_entry_id is not null and not exists (select 1 from bank.journal_entries e where e.id = z.reversal_entry_id and e.kind = 'reversal' and e.authorization_id = z.id)))
      union all
      select 'entry ' || e.id || ' (' || e.kind || ') of authorization ' || coalesce(e.authorization_id::text, 'none') as finding
      from bank.journal_entries e
      left join bank.authorizations z on z.id = e.authorization_id
      where e.kind in ${CLEARABLE_KINDS} and (z.id is null or z.response_code <> '00' or (e.kind = 'reversal' and z.reversal_entry_id is distinct from e.id))`,
  },
  {
    name: 'clearing-complete',
    description: 'cleared entries and clearing entries leave nothing in issuer clearing; acquirer clearing is always back to zero',
    query: sql`
      select 'issuer clearing ' || p.currency || ': cleared movements leave ' || sum(p.amount_minor) as finding
      from bank.postings p
      join bank.accounts a on a.id = p.account_id and a.kind = 'issuer_clearing'
      join bank.journal_entries e on e.id = p.entry_id
      where e.kind = 'clearing' or exists (select 1 from bank.entry_clearings c where c.entry_id = e.id)
      group by p.currency having sum(p.amount_minor) <> 0
      union all
      select 'acquirer clearing ' || p.currency || ' holds ' || sum(p.amount_minor) as finding
      from bank.postings p join bank.accounts a on a.id = p.account_id and a.kind = 'acquirer_clearing'
      group by p.currency having sum(p.amount_minor) <> 0
      union all
      select 'cleared entry ' || c.entry_id || ' names a clearing entry that is not one' as finding
      from bank.entry_clearings c
      join bank.journal_entries e on e.id = c.entry_id
      left join bank.journal_entries k on k.id = c.clearing_entry_id
      where e.kind not in ${CLEARABLE_KINDS} or (c.clearing_entry_id is not null and k.kind is distinct from 'clearing')`,
  },
];

async function runCheck(trx: Transaction<BankDatabase>, check: CheckDefinition): Promise<AuditCheck> {
  const result = await sql<{ finding: string; total: bigint }>`
    select finding, count(*) over () as total from (${check.query}) as violations order by finding limit ${AUDIT_FINDINGS_PER_CHECK_MAX}`.execute(trx);
  const violations = Number(result.rows[0]?.total ?? 0n);
  return { name: check.name, description: check.description, violations, findings: result.rows.map((row) => row.finding) };
}

/**
 * Proves the books balance (DESIGN.md §4): reads everything in one serializable snapshot and
 * checks each invariant from the postings and holds themselves, not from the stored balances it
 * is checking. `balanced` is true only when every check finds nothing.
 */
export async function auditLedger(db: Kysely<BankDatabase>): Promise<AuditReport> {
  return inTransaction(db, async (trx) => {
    const checks: AuditCheck[] = [];
    for (const check of CHECKS) checks.push(await runCheck(trx, check));
    const counts = await sql<{ accounts: bigint; entries: bigint; postings: bigint; holds: bigint; authorizations: bigint }>`
      select (select count(*) from bank.accounts) as accounts, (select count(*) from bank.journal_entries) as entries,
             (select count(*) from bank.postings) as postings, (select count(*) from bank.holds where status = 'open') as holds,
             (select count(*) from bank.authorizations) as authorizations`.execute(trx);
    const row = counts.rows[0];
    return {
      balanced: checks.every((check) => check.violations === 0),
      counts: {
        accounts: Number(row?.accounts ?? 0n), journalEntries: Number(row?.entries ?? 0n), postings: Number(row?.postings ?? 0n),
        openHolds: Number(row?.holds ?? 0n), authorizations: Number(row?.authorizations ?? 0n),
      },
      checks,
    };
  });
}

/** The report as text for a terminal: one line per check, then its findings. */
export function formatAuditReport(report: AuditReport): string {
  const lines = [
    `ledger audit: ${report.balanced ? 'BALANCED' : 'NOT BALANCED'}`,
    `  ${report.counts.accounts} accounts, ${report.counts.journalEntries} journal entries, ${report.counts.postings} postings, `
      + `${report.counts.openHolds} open holds, ${report.counts.authorizations} authorizations`,
  ];
  for (const check of report.checks) {
    lines.push(`  ${check.violations === 0 ? 'ok  ' : 'FAIL'} ${check.name}: ${check.description}${check.violations === 0 ? '' : ` (${check.violations} violations)`}`);
    for (const finding of check.findings) lines.push(`         ${finding}`);
  }
  return lines.join('\n');
}
