/**
 * The operator console: read-only, server-rendered HTML pages over the platform database (no
 * client framework, no script, no external asset). `tessera up` registers them on its console app.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'typebox';
import { readCardImageFile } from '../../card/client.js';
import { DEVICE_FILE_NAME, type DeviceFile } from '../../device/client.js';
import type { HttpApp } from '../../infra/http/index.js';
import { escapeHtml, html, layout } from './html.js';
import { ledgerPage, overviewPage, paymentsPage, smscPage, tsmPage } from './pages.js';
import { secureElementPage, secureElementsPage, type Page } from './secureElementsPages.js';
import type { ConsoleCard, ConsoleDeps } from './types.js';

export type { ConsoleCard, ConsoleDatabase, ConsoleDeps, ConsoleService } from './types.js';
export { escapeHtml };

/**
 * No script may run and nothing may load from elsewhere: the pages are static HTML with inline
 * CSS. Framing is refused (click-jacking), and pages are never cached (they show live balances).
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

const CINParams = Type.Object({ cin: Type.String({ pattern: '^[0-9A-Fa-f]{2,32}$' }) }, { additionalProperties: false });

/** The pages and their paths (the layout's navigation lists the same ones). */
const PAGES: readonly { readonly path: string; readonly summary: string; readonly load: (deps: ConsoleDeps) => Promise<Page> }[] = [
  { path: '/', summary: 'Console: overview (services, counts)', load: overviewPage },
  { path: '/secure-elements', summary: 'Console: secure elements', load: secureElementsPage },
  { path: '/tsm', summary: 'Console: TSM conversations and audit log', load: tsmPage },
  { path: '/payments', summary: 'Console: online payments with their state history, card authorizations', load: paymentsPage },
  { path: '/ledger', summary: 'Console: account balances, open holds, the ledger audit', load: ledgerPage },
  { path: '/smsc', summary: 'Console: SMS traffic', load: smscPage },
];

/**
 * Registers the console's HTML pages on `app` (before it listens). The pages answer text/html, so
 * they carry no JSON response schema; they are hidden from the OpenAPI document.
 */
export function registerConsolePages(app: HttpApp, deps: ConsoleDeps): void {
  for (const page of PAGES) {
    app.get(page.path, { schema: { summary: page.summary, hide: true } }, async (_request, reply) => {
      const loaded = await page.load(deps);
      return reply.code(200).headers(SECURITY_HEADERS).type('text/html; charset=utf-8')
        .send(layout({ ...loaded, path: page.path, now: deps.now() }));
    });
  }
  app.get('/secure-elements/:cin', { schema: { summary: 'Console: one secure element and its content', hide: true, params: CINParams } }, async (request, reply) => {
    const cin = request.params.cin.toUpperCase();
    const loaded = await secureElementPage(deps, cin);
    const page = loaded ?? { title: 'Not found', body: html`<p>No secure element with CIN <code>${cin}</code> is known.</p>` };
    return reply.code(loaded === undefined ? 404 : 200).headers(SECURITY_HEADERS).type('text/html; charset=utf-8')
      .send(layout({ ...page, path: '/secure-elements', now: deps.now() }));
  });
}

/**
 * Reads the App SE and Crypto SE registries of a device made by `tessera device new` straight from
 * its card images (written atomically, so a read never sees half a write). Only the registry, the
 * load files and the life cycle leave this function: no key, no applet data.
 */
export function readDeviceCards(deviceDirectory: string, deviceKey: Uint8Array): ConsoleCard[] {
  const file = JSON.parse(readFileSync(join(deviceDirectory, DEVICE_FILE_NAME), 'utf8')) as DeviceFile;
  const read = (image: string, label: string): ConsoleCard => {
    const state = readCardImageFile(join(deviceDirectory, image), deviceKey);
    return { cinHex: state.cinHex, profile: state.profile, lifeCycle: state.lifeCycle, registry: state.registry, loadFiles: state.loadFiles, label };
  };
  return [
    read(file.appSE.image, `App SE of device ${file.deviceId}`),
    read(file.cryptoSE.image, `Crypto SE of device ${file.deviceId}`),
  ];
}
