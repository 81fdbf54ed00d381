#!/usr/bin/env node
// Entry for `npx tessera` and `npm start`. A checkout needs no build step: the TypeScript CLI is
// bundled with esbuild (the project's own sources only; packages stay external and load from
// node_modules) into dist/cli/tessera.mjs whenever a source is newer than the bundle, then run.
// Loading one bundled module takes a fraction of what loading ~460 TypeScript modules one by one
// through tsx's loader does (docs/development.md). If bundling fails, tsx runs the sources.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = new URL('../dist/cli/tessera.mjs', import.meta.url);
const manifest = new URL('../dist/cli/tessera.inputs.json', import.meta.url);

/** The bundle is current when it exists and none of the files it was built from changed since. */
function isCurrent() {
  try {
    const builtAt = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(manifest, 'utf8'));
    return Array.isArray(inputs) && inputs.every((input) => statSync(new URL(input, `file://${root}`)).mtimeMs <= builtAt);
  } catch {
    return false;
  }
}

async function rebuild() {
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/cli/main.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: fileURLToPath(bundle),
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  mkdirSync(new URL('.', bundle), { recursive: true });
  // Written under a temporary name and renamed: another `tessera` starting at the same moment
  // reads the old bundle or the new one, never half of one.
  const temporary = `${fileURLToPath(bundle)}.${process.pid}.tmp`;
  writeFileSync(temporary, output.contents);
  writeFileSync(`${fileURLToPath(manifest)}.${process.pid}.tmp`, JSON.stringify(Object.keys(result.metafile.inputs)));
  renameSync(`${fileURLToPath(manifest)}.${process.pid}.tmp`, manifest);
  renameSync(temporary, bundle);
}

let entry = bundle.href;
if (!isCurrent()) {
  try {
    await rebuild();
  } catch {
    const { register } = await import('tsx/esm/api');
    register();
    entry = new URL('../src/cli/main.ts', import.meta.url).href;
  }
}
await import(entry);
