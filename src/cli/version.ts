import { readFileSync } from 'node:fs';

/** The package version, read once from package.json so the CLI and the APIs report the same. */
export const TESSERA_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
