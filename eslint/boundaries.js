// Import-boundary rule for the layout in docs/architecture (DESIGN.md §2):
//   lib/    imports nothing of ours;
//   infra/  imports lib/;
//   a domain imports lib/, infra/, and another domain only through its client.ts or types.ts;
//   cli/    is the composition root and may import anything.
// bench/, test/ and scripts/ are outside src/ and unrestricted.
import { dirname, relative, resolve, sep } from 'node:path';

const DOMAINS = new Set(['card', 'applets', 'device', 'tsm', 'bank', 'gateway', 'smsc', 'pos', 'terminal']);
const PUBLIC_FILES = new Set(['client.ts', 'client.js', 'types.ts', 'types.js']);

function layerOf(srcRoot, file) {
  const rel = relative(srcRoot, file);
  if (rel.startsWith('..')) return undefined;
  const [top, ...rest] = rel.split(sep);
  return { top, rest };
}

function problem(from, to) {
  if (from.top === 'cli') return undefined;
  if (to.top === from.top) {
    // applets/<name> are separate units: one applet reaches another only through its client/types.
    if (from.top === 'applets' && from.rest[0] !== to.rest[0] && !PUBLIC_FILES.has(to.rest.at(-1) ?? '')) {
      return `applets/${from.rest[0]} may use applets/${to.rest[0]} only through its client.ts or types.ts`;
    }
    return undefined;
  }
  if (from.top === 'lib') return 'lib/ must not import any other part of Tessera';
  if (to.top === 'cli') return 'only the CLI composes services; nothing imports cli/';
  if (from.top === 'infra') return to.top === 'lib' ? undefined : 'infra/ may import only lib/';
  if (to.top === 'lib' || to.top === 'infra') return undefined;
  if (DOMAINS.has(to.top) && PUBLIC_FILES.has(to.rest.at(-1) ?? '') && to.rest.length <= 2) return undefined;
  return `${from.top}/ may use ${to.top}/ only through its client.ts or types.ts`;
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the import arrows between src/ layers' },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const srcRoot = resolve(context.cwd, 'src');
    const from = layerOf(srcRoot, file);
    if (from === undefined) return {};
    function check(node) {
      const source = node.source?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const to = layerOf(srcRoot, resolve(dirname(file), source));
      if (to === undefined) {
        context.report({ node, message: 'src/ must not import from outside src/' });
        return;
      }
      const message = problem(from, to);
      if (message !== undefined) context.report({ node, message });
    }
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default { rules: { 'import-boundaries': rule } };
