import type { ESLint } from 'eslint';

/** The local plugin holding the import-boundary rule (`tessera/import-boundaries`). */
declare const plugin: ESLint.Plugin;
export default plugin;
