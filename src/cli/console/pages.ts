import { sql } from 'kysely';
import { formatDetails, formatMoney, formatTime, stateBadge } from './format.js';
import { badge, html, table } from './html.js';
import type { Page } from './secureElementsPages.js';
import type { ConsoleDeps } from './types.js';

/** Page sizes (rows): every query is bounded. */
export const CONVERSATIONS_ROWS_MAX = 100;
export const AUDIT_LOG_ROWS_MAX = 100;
export const PAYMENTS_ROWS_MAX = 100;
export const PAYMENT_TRANSITIONS_ROWS_MAX = 1_000;
export const AUTHORIZATIONS_ROWS_MAX = 100;
export const ACCOUNTS_ROWS_MAX = 200;
export const HOLDS_ROWS_MAX = 100;
export const SMS_ROWS_MAX = 100;

/** The tables the overview counts, by label. */
const COUNTED_TABLES = [
  ['secure elements', 'tsm.secure_elements'], ['security domains', 'tsm.security_domains'], ['devices', 'tsm.devices'],
  ['TSM conversations', 'tsm.conversations'], ['TSM audit rows', 'tsm.audit_log'], ['bank accounts', 'bank.accounts'],
  ['journal entries', 'bank.journal_entries'], ['card authorizations', 'bank.authorizations'], ['open holds', 'bank.holds'],
  ['online payments', 'gateway.payments'], ['SMS messages', 'smsc.messages'],
] as const;

export async function overviewPage(deps: ConsoleDeps): Promise<Page> {
  const counts = await sql<Record<string, string>>`select ${sql.join(COUNTED_TABLES.map(([label, name], index) =>
    sql`(select count(*) from ${sql.table(name)}${label === 'open holds' ? sql` where status = 'open'` : sql``})::text as ${sql.ref(`c${index}`)}`))}`.execute(deps.db);
  const row = counts.rows[0] ?? {};
  const services = deps.services();
  const body = html`
<div class="cards">${COUNTED_TABLES.map(([label], index) => html`<div class="card" data-count="${label}"><b>${row[`c${index}`] ?? '0'}</b>${label}</div>`)}</div>
<h2>Services</h2>
${table(['service', 'state', 'url', 'what'], services.map((service) => [
    html`<b>${service.service}</b>`, stateBadge(service.state), html`<code>${service.url ?? ''}</code>`, html`<span class="wrap">${service.detail}</span>`,
  ]), 'no service is running')}`;
  return { title: 'Overview', body };
}

export async function tsmPage(deps: ConsoleDeps): Promise<Page> {
  const conversations = await deps.db.selectFrom('tsm.conversations')
    .select(['id', 'sp_name', 'cin', 'msi', 'service_id', 'service_version', 'requested_operation', 'ota_carrier', 'scripts_used', 'scripts_max', 'state', 'end_status', 'created_at', 'ended_at'])
    .orderBy('created_at', 'desc').orderBy('id').limit(CONVERSATIONS_ROWS_MAX).execute();
  const audit = await deps.db.selectFrom('tsm.audit_log').select(['id', 'at', 'actor', 'action', 'cin', 'details'])
    .orderBy('id', 'desc').limit(AUDIT_LOG_ROWS_MAX).execute();
  const body = html`
<h2>Conversations (latest ${CONVERSATIONS_ROWS_MAX})</h2>
${table(['id', 'SP', 'CIN', 'MSI', 'service', 'operation', 'OTA carrier', 'scripts', 'state', 'opened', 'ended'], conversations.map((row) => [
    html`<code>${row.id}</code>`, row.sp_name, html`<a class="mono" href="/secure-elements/${row.cin}">${row.cin}</a>`, row.msi, `${row.service_id} v${row.service_version}`,
    row.requested_operation, row.ota_carrier, `${row.scripts_used}/${row.scripts_max}`, html`${stateBadge(row.state)} ${row.end_status ?? ''}`, formatTime(row.created_at), formatTime(row.ended_at),
  ]), 'no conversation yet')}
<h2>Audit log (latest ${AUDIT_LOG_ROWS_MAX})</h2>
${table(['#', 'at', 'actor', 'action', 'CIN', 'details'], audit.map((row) => [
    String(row.id), formatTime(row.at), row.actor, html`<b>${row.action}</b>`,
    row.cin === null ? '' : html`<a class="mono" href="/secure-elements/${row.cin}">${row.cin}</a>`, html`<code class="wrap">${formatDetails(row.details)}</code>`,
  ]), 'the audit log is empty')}`;
  return { title: 'TSM', body };
}

export async function paymentsPage(deps: ConsoleDeps): Promise<Page> {
  const payments = await deps.db.selectFrom('gateway.payments')
    .select(['id', 'merchant_id', 'order_id', 'amount_minor', 'currency', 'description', 'status', 'bank_response_code', 'bank_authorization_code', 'refunded_minor', 'failure_code', 'created_at'])
    .orderBy('created_at', 'desc').orderBy('id').limit(PAYMENTS_ROWS_MAX).execute();
  const ids = payments.map((payment) => payment.id);
  const transitions = ids.length === 0 ? [] : await deps.db.selectFrom('gateway.payment_transitions')
    .select(['payment_id', 'from_status', 'to_status', 'reason', 'at']).where('payment_id', 'in', ids).orderBy('id').limit(PAYMENT_TRANSITIONS_ROWS_MAX).execute();
  // Only pan_last4 is read from the bank: a full PAN never reaches this process's pages.
  const authorizations = await deps.db.selectFrom('bank.authorizations')
    .select(['id', 'kind', 'channel', 'terminal_id', 'merchant_id', 'pan_last4', 'amount_minor', 'currency', 'atc', 'response_code', 'decline_reason', 'authorization_code', 'reversed_at', 'created_at'])
    .orderBy('created_at', 'desc').orderBy('id').limit(AUTHORIZATIONS_ROWS_MAX).execute();
  const history = (id: string) => transitions.filter((transition) => transition.payment_id === id).map((transition) =>
    html`<div>${formatTime(transition.at)} ${transition.from_status ?? '∅'} → ${stateBadge(transition.to_status)} <span class="muted">${transition.reason}</span></div>`);
  const body = html`
<h2>Online payments (gateway, latest ${PAYMENTS_ROWS_MAX})</h2>
${table(['payment', 'merchant / order', 'amount', 'status', 'bank', 'state history'], payments.map((payment) => [
    html`<code data-payment="${payment.id}">${payment.id}</code><div class="muted">${formatTime(payment.created_at)}</div>`,
    html`${payment.merchant_id}<div class="muted">${payment.order_id}</div><div class="muted wrap">${payment.description}</div>`,
    html`${formatMoney(payment.amount_minor, payment.currency)}${BigInt(payment.refunded_minor) > 0n ? html`<div class="muted">refunded ${formatMoney(payment.refunded_minor, payment.currency)}</div>` : ''}`,
    html`${stateBadge(payment.status)} ${payment.failure_code ?? ''}`,
    html`${payment.bank_response_code ?? ''} ${payment.bank_authorization_code === null ? '' : html`<code>${payment.bank_authorization_code}</code>`}`,
    history(payment.id),
  ]), 'no online payment yet')}
<h2>Card authorizations (issuer, latest ${AUTHORIZATIONS_ROWS_MAX})</h2>
${table(['at', 'kind', 'channel', 'card', 'amount', 'response', 'auth code', 'terminal / merchant', 'ATC', 'reversed'], authorizations.map((row) => [
    formatTime(row.created_at), row.kind, row.channel, html`<span class="mono" data-pan-last4="${row.pan_last4}">•••• ${row.pan_last4}</span>`, formatMoney(row.amount_minor, row.currency),
    html`${row.response_code === '00' ? badge('00 approved', 'ok') : badge(row.response_code, 'bad')} <span class="muted wrap">${row.decline_reason ?? ''}</span>`,
    row.authorization_code === null ? '' : html`<code>${row.authorization_code}</code>`, html`<code>${row.terminal_id}</code> / <code>${row.merchant_id}</code>`,
    row.atc ?? '', row.reversed_at === null ? '' : badge(`reversed ${formatTime(row.reversed_at)}`, 'warn'),
  ]), 'no card authorization yet')}`;
  return { title: 'Payments', body };
}

export async function ledgerPage(deps: ConsoleDeps): Promise<Page> {
  const accounts = await deps.db.selectFrom('bank.accounts as account').leftJoin('bank.customers as customer', 'customer.id', 'account.customer_id')
    .leftJoin('bank.merchant_accounts as merchant', 'merchant.account_id', 'account.id')
    .select(['account.id', 'account.kind', 'account.currency', 'account.ledger_balance_minor', 'account.available_balance_minor', 'customer.name as customer_name', 'merchant.merchant_id'])
    .orderBy('account.kind').orderBy('account.created_at').limit(ACCOUNTS_ROWS_MAX).execute();
  const holds = await deps.db.selectFrom('bank.holds').select(['id', 'authorization_id', 'account_id', 'amount_minor', 'currency', 'created_at'])
    .where('status', '=', 'open').orderBy('created_at', 'desc').limit(HOLDS_ROWS_MAX).execute();
  const report = await deps.audit();
  const audit = report === undefined ? html`<p>${badge('the bank is starting', 'warn')}</p>` : html`
<p id="audit-result" data-balanced="${String(report.balanced)}">${report.balanced ? badge('balanced', 'ok') : badge('NOT balanced', 'bad')}
 <span class="muted">${report.counts.accounts} accounts, ${report.counts.journalEntries} journal entries, ${report.counts.postings} postings, ${report.counts.openHolds} open holds, ${report.counts.authorizations} authorizations</span></p>
${table(['check', 'what it proves', 'result', 'findings'], report.checks.map((check) => [
    html`<code>${check.name}</code>`, html`<span class="wrap">${check.description}</span>`, check.violations === 0 ? badge('ok', 'ok') : badge(`${check.violations} violations`, 'bad'),
    html`<span class="wrap">${check.findings.map((finding) => html`<div class="mono">${finding}</div>`)}</span>`,
  ]))}`;
  const body = html`
<h2>Ledger audit</h2>${audit}
<h2>Account balances</h2>
${table(['account', 'kind', 'owner', 'ledger', 'available'], accounts.map((account) => [
    html`<code>${account.id}</code>`, account.kind, account.customer_name ?? account.merchant_id ?? 'the bank',
    html`<span data-ledger="${account.id}">${formatMoney(account.ledger_balance_minor, account.currency)}</span>`, formatMoney(account.available_balance_minor, account.currency),
  ]), 'no account yet')}
<h2>Open holds</h2>
${table(['hold', 'authorization', 'account', 'amount', 'since'], holds.map((hold) => [
    html`<code>${hold.id}</code>`, html`<code>${hold.authorization_id}</code>`, html`<code>${hold.account_id}</code>`, formatMoney(hold.amount_minor, hold.currency), formatTime(hold.created_at),
  ]), 'no open hold')}`;
  return { title: 'Ledger', body };
}

export async function smscPage(deps: ConsoleDeps): Promise<Page> {
  // The payload is never read: texts carry one-time authorization codes.
  const messages = await deps.db.selectFrom('smsc.messages')
    .select(['id', 'kind', 'origin_system_id', 'source_addr', 'destination_kind', 'destination_addr', 'destination_system_id', 'concat_total', 'concat_sequence', 'state', 'attempts', 'submitted_at', 'done_at', 'error_code', sql<number>`length(payload)`.as('payload_bytes')])
    .orderBy('submitted_at', 'desc').orderBy('id').limit(SMS_ROWS_MAX).execute();
  const body = html`
<p class="muted">Message texts are not shown: they carry one-time authorization codes.</p>
${table(['id', 'kind', 'from', 'to', 'part', 'state', 'attempts', 'bytes', 'submitted', 'done'], messages.map((message) => [
    html`<code>${message.id}</code>`, message.kind, html`${message.source_addr}${message.origin_system_id === null ? '' : html`<div class="muted">ESME ${message.origin_system_id}</div>`}`,
    html`${message.destination_addr}<div class="muted">${message.destination_kind}${message.destination_system_id === null ? '' : ` ${message.destination_system_id}`}</div>`,
    message.concat_total === null ? '' : `${message.concat_sequence ?? '?'}/${message.concat_total}`,
    html`${stateBadge(message.state)}${message.error_code === null ? '' : html` <span class="muted">error ${message.error_code}</span>`}`,
    message.attempts, String(message.payload_bytes), formatTime(message.submitted_at), formatTime(message.done_at),
  ]), 'no SMS traffic yet')}`;
  return { title: `SMSC traffic (latest ${SMS_ROWS_MAX})`, body };
}
