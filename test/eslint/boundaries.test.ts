import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import boundaries from '../../eslint/boundaries.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Lints one import line as if it were written in `file` (a path under the project root). */
function problems(file: string, source: string): string[] {
  const linter = new Linter({ cwd: ROOT });
  const messages = linter.verify(source, {
    files: ['**/*.ts'],
    plugins: { tessera: boundaries },
    rules: { 'tessera/import-boundaries': 'error' },
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
  }, { filename: resolve(ROOT, file) });
  return messages.map((message) => message.message);
}

describe('import-boundary rule (DESIGN.md §2)', () => {
  it('lets lib/ import only lib/', () => {
    assert.deepEqual(problems('src/lib/tlv/decodeTLV.ts', "import { x } from '../bytes.js';"), []);
    assert.match(problems('src/lib/money.ts', "import { x } from '../infra/db/index.js';")[0] ?? '', /lib\/ must not import/);
  });

  it('lets infra/ import lib/ and nothing above it', () => {
    assert.deepEqual(problems('src/infra/db/migrate.ts', "import { x } from '../../lib/errors.js';"), []);
    assert.match(problems('src/infra/http/listen.ts', "import { x } from '../../tsm/client.js';")[0] ?? '', /infra\/ may import only lib\//);
  });

  it('lets a domain reach another domain only through client.ts or types.ts', () => {
    assert.deepEqual(problems('src/tsm/server.ts', "import { x } from '../card/client.js';"), []);
    assert.deepEqual(problems('src/tsm/server.ts', "import type { x } from '../card/types.js';"), []);
    assert.deepEqual(problems('src/tsm/server.ts', "import { x } from '../infra/db/index.js';"), []);
    assert.match(problems('src/tsm/server.ts', "import { x } from '../card/scp03/session.js';")[0] ?? '', /only through its client\.ts or types\.ts/);
    assert.match(problems('src/bank/ledger.ts', "export * from '../gateway/internal.js';")[0] ?? '', /only through/);
  });

  it('keeps applets apart from each other and everyone away from cli/', () => {
    assert.match(problems('src/applets/payment/ppse.ts', "import { x } from '../crypto-se/pin.js';")[0] ?? '', /applets\/payment may use applets\/crypto-se/);
    assert.match(problems('src/tsm/server.ts', "import { x } from '../cli/up.js';")[0] ?? '', /nothing imports cli\//);
    assert.deepEqual(problems('src/cli/up.ts', "import { x } from '../tsm/server.js';"), []);
  });

  it('ignores packages and files outside src/', () => {
    assert.deepEqual(problems('src/lib/bytes.ts', "import { x } from 'node:crypto';"), []);
    assert.deepEqual(problems('test/lib/bytes.test.ts', "import { x } from '../../src/tsm/anything.js';"), []);
  });
});
