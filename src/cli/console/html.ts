/**
 * A tiny HTML builder for the operator console: every interpolated value is escaped unless it is
 * already `Html` (made by this module), so a stored string can never become markup.
 */

export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = Html | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.value;
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}

/** `html\`<td>${value}</td>\``: values escaped, `Html` values and arrays of them inserted as they are. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0] ?? '';
  for (const [index, value] of values.entries()) out += render(value) + (strings[index + 1] ?? '');
  return new Html(out);
}

/** A table with a header row; an empty body shows `empty` in one wide cell. */
export function table(headers: readonly string[], rows: readonly (readonly HtmlValue[])[], empty = 'nothing yet'): Html {
  const body = rows.length === 0
    ? html`<tr><td colspan="${headers.length}" class="muted">${empty}</td></tr>`
    : rows.map((row) => html`<tr>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`);
  return html`<div class="scroll"><table><thead><tr>${headers.map((header) => html`<th>${header}</th>`)}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/** A coloured label: ok (green), bad (red), warn (amber) or plain. */
export function badge(text: string, tone: 'ok' | 'bad' | 'warn' | 'plain' = 'plain'): Html {
  return html`<span class="badge ${tone}">${text}</span>`;
}

export const NAV: readonly { readonly path: string; readonly title: string }[] = [
  { path: '/', title: 'Overview' },
  { path: '/secure-elements', title: 'Secure elements' },
  { path: '/tsm', title: 'TSM' },
  { path: '/payments', title: 'Payments' },
  { path: '/ledger', title: 'Ledger' },
  { path: '/smsc', title: 'SMSC' },
];

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f4f6fa}
header{background:#14213d;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}
header strong{font-size:1.1rem;letter-spacing:.02em}nav{display:flex;flex-wrap:wrap;gap:.3rem}
nav a{color:#dfe6f5;text-decoration:none;padding:.25rem .6rem;border-radius:.4rem}nav a.here,nav a:hover{background:#fca311;color:#14213d}
main{padding:1rem;max-width:1200px;margin:0 auto}h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:.6rem}
.card{background:#fff;border-radius:.6rem;padding:.7rem .9rem;box-shadow:0 1px 2px #0002}.card b{display:block;font-size:1.5rem}
.scroll{overflow-x:auto;background:#fff;border-radius:.6rem;box-shadow:0 1px 2px #0002}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #e6e9f0;vertical-align:top}
th{background:#eef1f7;font-weight:600;white-space:nowrap}td{white-space:nowrap}td code,td .mono{word-break:normal}td .wrap{display:inline-block;white-space:normal;word-break:break-word;min-width:14rem;max-width:30rem}code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;word-break:break-all}
.badge{display:inline-block;padding:0 .45rem;border-radius:.8rem;font-size:.8rem;background:#e6e9f0;margin:0 .15rem .15rem 0}
.badge.ok{background:#d3f4dc;color:#145c2c}.badge.bad{background:#fbd5d5;color:#8a1c1c}.badge.warn{background:#fdebc8;color:#7a4d00}
.muted{color:#6b7280}.tree,.tree ul{list-style:none;margin:0;padding-left:1.1rem;border-left:2px solid #d5dbe7}
.tree{background:#fff;border-radius:.6rem;padding:.6rem .6rem .6rem 1.2rem;box-shadow:0 1px 2px #0002;border-left:0}
.tree li{margin:.3rem 0}.node{display:inline-block}.node .kind{font-weight:600;margin-right:.3rem}
a{color:#1d4ed8}footer{color:#6b7280;font-size:.8rem;padding:1rem;text-align:center}
@media (max-width:600px){main{padding:.6rem}th,td{padding:.3rem .4rem}}
`;

/** The shared page: a header with the navigation, the content, a footer with the render time. */
export function layout(options: { readonly title: string; readonly path: string; readonly now: number; readonly body: Html }): string {
  const section = options.path === '/' ? '/' : `/${options.path.split('/')[1] ?? ''}`;
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${options.title} · Tessera console</title><link rel="icon" href="data:,"><style>${new Html(STYLE)}</style></head>
<body><header><strong>Tessera console</strong><nav>${NAV.map((item) => html`<a href="${item.path}"${new Html(item.path === section ? ' class="here" aria-current="page"' : '')}>${item.title}</a>`)}</nav></header>
<main><h1>${options.title}</h1>${options.body}</main>
<footer>read-only operator view · rendered ${new Date(options.now).toISOString()}</footer></body></html>`.value}`;
}
