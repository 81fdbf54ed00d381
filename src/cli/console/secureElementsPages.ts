import { sql } from 'kysely';
import type { CardRegistryEntry } from '../../card/client.js';
import { cardLifeCycleName, entryLifeCycleName, formatDetails, formatTime, stateBadge } from './format.js';
import { badge, html, table, type Html } from './html.js';
import type { ConsoleCard, ConsoleDeps } from './types.js';

/** Page sizes (rows) of the secure-element pages. */
export const SECURE_ELEMENTS_ROWS_MAX = 200;
export const SECURE_ELEMENT_CONVERSATIONS_ROWS_MAX = 20;
export const SECURE_ELEMENT_AUDIT_ROWS_MAX = 20;
/** Registry trees deeper than this are cut (GP allows SD hierarchies; a real card has a few levels). */
export const TREE_DEPTH_MAX = 8;

/**
 * The cards the console can read; none when reading fails (an image being replaced, a wrong key):
 * a page about the platform must not fail because one card image could not be opened.
 */
export function readableCards(deps: ConsoleDeps): readonly ConsoleCard[] {
  try {
    return deps.cards?.() ?? [];
  } catch {
    return [];
  }
}

export interface Page {
  readonly title: string;
  readonly body: Html;
}

export async function secureElementsPage(deps: ConsoleDeps): Promise<Page> {
  const rows = await deps.db.selectFrom('tsm.secure_elements as se')
    .leftJoin('tsm.devices as device', (join) => join.on((eb) => eb.or([eb('device.id', '=', eb.ref('se.cin')), eb('device.app_se_cin', '=', eb.ref('se.cin'))])))
    .select(['se.cin', 'se.msi', 'se.mno', 'se.profile', 'se.se_type', 'se.state', 'se.created_at', 'device.id as device_id', 'device.app_se_cin'])
    .select((eb) => eb.selectFrom('tsm.security_domains as sd').whereRef('sd.cin', '=', 'se.cin').select(sql<string>`count(*)::text`.as('n')).as('domains'))
    .select((eb) => eb.selectFrom('tsm.service_instances as si').whereRef('si.cin', '=', 'se.cin').select(sql<string>`count(*)::text`.as('n')).as('instances'))
    .orderBy('se.created_at').orderBy('se.cin').limit(SECURE_ELEMENTS_ROWS_MAX).execute();
  const cards = readableCards(deps);
  const registered = new Set(rows.map((row) => row.cin));
  const role = (row: (typeof rows)[number]): string => {
    if (row.device_id === null) return '';
    return row.app_se_cin === row.cin ? `App SE of device ${row.device_id}` : `Crypto SE of device ${row.device_id}`;
  };
  const body = html`
<h2>Registered with the TSM</h2>
${table(['CIN', 'MSI', 'MNO', 'profile', 'type', 'state', 'domains', 'service instances', 'device', 'registered'], rows.map((row) => [
    html`<a class="mono" href="/secure-elements/${row.cin}">${row.cin}</a>`, row.msi, row.mno, row.profile, row.se_type, stateBadge(row.state),
    row.domains ?? '0', row.instances ?? '0', role(row), formatTime(row.created_at),
  ]), 'no secure element is registered')}
<h2>Cards read directly (the demo phone)</h2>
${table(['CIN', 'what', 'profile', 'life cycle', 'registry entries', 'TSM'], cards.map((card) => [
    html`<a class="mono" href="/secure-elements/${card.cinHex}">${card.cinHex}</a>`, card.label, card.profile, cardLifeCycleName(card.lifeCycle),
    card.registry.length, registered.has(card.cinHex) ? badge('registered', 'ok') : badge('not registered', 'plain'),
  ]), 'no card image is readable here (started without the demo)')}`;
  return { title: 'Secure elements', body };
}

function entryNode(entry: CardRegistryEntry): Html {
  const isDomain = entry.kind !== 'application';
  const kind = entry.kind === 'isd' ? 'ISD' : entry.kind === 'security-domain' ? 'Security domain' : 'Application';
  const locked = (entry.lifeCycle & 0x80) !== 0;
  return html`<span class="node" data-aid="${entry.aid}"><span class="kind">${kind}</span><code>${entry.aid}</code>
${badge(entryLifeCycleName(entry.lifeCycle, isDomain), locked ? 'bad' : 'ok')}
${entry.moduleAid === undefined ? '' : html`<span class="muted"> module <code>${entry.moduleAid}</code> of <code>${entry.loadFileAid ?? ''}</code></span>`}
<br>${entry.privileges.length === 0 ? html`<span class="muted">no privileges</span>` : entry.privileges.map((privilege) => badge(privilege))}</span>`;
}

/**
 * The card's registry as a tree: each entry under the security domain it is associated with
 * (GP 2.3 §7.2); the ISD, associated with itself, is the root. Depth is bounded by TREE_DEPTH_MAX.
 */
export function registryTree(card: ConsoleCard): Html {
  const children = new Map<string, CardRegistryEntry[]>();
  const roots: CardRegistryEntry[] = [];
  const known = new Set(card.registry.map((entry) => entry.aid));
  for (const entry of card.registry) {
    const parent = entry.associatedSecurityDomain;
    if (parent === entry.aid || !known.has(parent)) roots.push(entry);
    else children.set(parent, [...(children.get(parent) ?? []), entry]);
  }
  const render = (entry: CardRegistryEntry, depth: number): Html => {
    const below = depth >= TREE_DEPTH_MAX ? [] : (children.get(entry.aid) ?? []).filter((child) => child.aid !== entry.aid);
    return html`<li>${entryNode(entry)}${below.length === 0 ? '' : html`<ul>${below.map((child) => render(child, depth + 1))}</ul>`}</li>`;
  };
  const loadFiles = card.loadFiles.map((file) => html`<li><span class="kind">Load file</span><code>${file.aid}</code> v${file.version}
 <span class="muted">(SD <code>${file.associatedSecurityDomain}</code>; modules ${file.modules.map((module) => html`<code>${module.aid}</code> `)})</span></li>`);
  return html`<p>${card.label} · profile ${card.profile} · card life cycle ${badge(cardLifeCycleName(card.lifeCycle), card.lifeCycle === 0x0f ? 'ok' : 'warn')}</p>
<ul class="tree" data-cin="${card.cinHex}">${roots.map((root) => render(root, 0))}</ul>
<h2>Executable load files</h2><ul class="tree">${loadFiles.length === 0 ? html`<li class="muted">none</li>` : loadFiles}</ul>`;
}

/** Everything the console shows about one secure element; keyset_sealed is never selected, only whether the TSM holds keys. */
async function loadSecureElement(deps: ConsoleDeps, cin: string) {
  const { db } = deps;
  const se = await db.selectFrom('tsm.secure_elements')
    .select(['cin', 'iin', 'msi', 'mno', 'profile', 'se_type', 'gp_version', 'javacard_version', 'certification_level', 'master_key_index', 'expires_at', 'state', 'created_at'])
    .where('cin', '=', cin).executeTakeFirst();
  const card = readableCards(deps).find((candidate) => candidate.cinHex === cin);
  const domains = await db.selectFrom('tsm.security_domains')
    .select(['aid', 'role', 'sp_name', 'key_version', 'keys_handed_over', 'updated_at', sql<boolean>`keyset_sealed is not null`.as('keys_held')])
    .where('cin', '=', cin).orderBy('aid').limit(SECURE_ELEMENTS_ROWS_MAX).execute();
  const instances = await db.selectFrom('tsm.service_instances')
    .select(['service_id', 'service_version', 'sp_name', 'instance_aid', 'sd_aid', 'state', 'updated_at'])
    .where('cin', '=', cin).orderBy('instance_aid').limit(SECURE_ELEMENTS_ROWS_MAX).execute();
  const device = await db.selectFrom('tsm.devices')
    .select(['id', 'app_se_cin', 'app_se_applications_domain_aid', 'state', 'certificate_serial', 'certificate_subject', 'registered_at'])
    .where((eb) => eb.or([eb('id', '=', cin), eb('app_se_cin', '=', cin)])).executeTakeFirst();
  const applications = device === undefined || device.app_se_cin !== cin ? [] : await db.selectFrom('tsm.device_applications as installed')
    .innerJoin('tsm.applications as application', (join) => join.onRef('application.package_aid', '=', 'installed.package_aid').onRef('application.version', '=', 'installed.version'))
    .select(['application.name', 'application.package_aid', 'application.version', 'application.instance_aid', 'installed.installed_at'])
    .where('installed.device_id', '=', device.id).orderBy('installed.installed_at').limit(SECURE_ELEMENTS_ROWS_MAX).execute();
  const conversations = await db.selectFrom('tsm.conversations')
    .select(['id', 'sp_name', 'service_id', 'requested_operation', 'state', 'end_status', 'scripts_used', 'scripts_max', 'created_at'])
    .where('cin', '=', cin).orderBy('created_at', 'desc').limit(SECURE_ELEMENT_CONVERSATIONS_ROWS_MAX).execute();
  const audit = await db.selectFrom('tsm.audit_log').select(['id', 'at', 'actor', 'action', 'details'])
    .where('cin', '=', cin).orderBy('id', 'desc').limit(SECURE_ELEMENT_AUDIT_ROWS_MAX).execute();
  return { se, card, domains, instances, device, applications, conversations, audit };
}

type SecureElementData = Awaited<ReturnType<typeof loadSecureElement>>;

/** The TSM's view as a tree: each security domain it knows, with the service instances and OTA-installed applications under it. */
function tsmTree(data: SecureElementData): Html {
  const { domains, instances, device, applications } = data;
  return html`<ul class="tree" data-view="tsm">${domains.map((domain) => {
    const below = [
      ...instances.filter((instance) => instance.sd_aid === domain.aid).map((instance) => html`<li><span class="node"><span class="kind">Service instance</span><code>${instance.instance_aid}</code> ${stateBadge(instance.state)} <span class="muted">${instance.service_id} v${instance.service_version} (SP ${instance.sp_name})</span></span></li>`),
      ...(device?.app_se_applications_domain_aid === domain.aid ? applications : []).map((application) => html`<li><span class="node"><span class="kind">Application</span><code>${application.instance_aid}</code> ${badge('installed OTA', 'ok')} <span class="muted">${application.name} v${application.version}, package <code>${application.package_aid}</code></span></span></li>`),
    ];
    return html`<li><span class="node"><span class="kind">${domain.role.toUpperCase()} domain</span><code>${domain.aid}</code>
${domain.sp_name === null ? '' : html`<span class="muted">SP ${domain.sp_name}</span>`}
${domain.key_version === null ? '' : badge(`key version ${domain.key_version}`)} ${domain.keys_held ? badge('TSM holds keys', 'ok') : badge('no keys at the TSM')} ${domain.keys_handed_over ? badge('keys handed over', 'warn') : ''}</span>
${below.length === 0 ? '' : html`<ul>${below}</ul>`}</li>`;
  })}</ul>`;
}

/** One secure element: the TSM's view (domains → service instances, device applications) and, when readable, the card's own registry. */
export async function secureElementPage(deps: ConsoleDeps, cin: string): Promise<Page | undefined> {
  const data = await loadSecureElement(deps, cin);
  const { se, card, domains, instances, device, conversations, audit } = data;
  if (se === undefined && card === undefined) return undefined;
  const unplaced = instances.filter((instance) => !domains.some((domain) => domain.aid === instance.sd_aid));
  const body = html`
${se === undefined ? html`<p>${badge('not registered with the TSM')}</p>` : table(['CIN', 'IIN', 'MSI', 'MNO', 'profile', 'type', 'GP', 'Java Card', 'certification', 'master key index', 'state', 'expires'], [[
    html`<code>${se.cin}</code>`, html`<code>${se.iin}</code>`, se.msi, se.mno, se.profile, se.se_type, se.gp_version, se.javacard_version, se.certification_level, se.master_key_index, stateBadge(se.state), formatTime(se.expires_at),
  ]])}
${device === undefined ? '' : html`<p>Device <code>${device.id}</code> ${stateBadge(device.state)} — ${device.app_se_cin === cin ? 'this is its App SE' : 'this is its Crypto SE'}${device.certificate_subject === null ? '' : html`; certificate ${device.certificate_subject} (serial <code>${device.certificate_serial ?? ''}</code>)`}</p>`}
<h2>Content on the card (the card's own registry)</h2>
${card === undefined ? html`<p class="muted">The card image is not readable by the console; below is what the TSM knows.</p>` : registryTree(card)}
<h2>Content as the TSM knows it</h2>
${domains.length === 0 ? html`<p class="muted">The TSM holds no security domain of this card.</p>` : tsmTree(data)}
${unplaced.length === 0 ? '' : table(['service instance', 'service', 'domain', 'state'], unplaced.map((instance) => [html`<code>${instance.instance_aid}</code>`, instance.service_id, html`<code>${instance.sd_aid}</code>`, stateBadge(instance.state)]))}
<h2>Conversations</h2>
${table(['id', 'SP', 'service', 'operation', 'state', 'scripts', 'opened'], conversations.map((row) => [
    html`<code>${row.id}</code>`, row.sp_name, row.service_id, row.requested_operation, html`${stateBadge(row.state)} ${row.end_status ?? ''}`, `${row.scripts_used}/${row.scripts_max}`, formatTime(row.created_at),
  ]))}
<h2>Audit log (latest ${SECURE_ELEMENT_AUDIT_ROWS_MAX})</h2>
${table(['#', 'at', 'actor', 'action', 'details'], audit.map((row) => [String(row.id), formatTime(row.at), row.actor, row.action, html`<code class="wrap">${formatDetails(row.details)}</code>`]))}`;
  return { title: `Secure element ${cin}`, body };
}
