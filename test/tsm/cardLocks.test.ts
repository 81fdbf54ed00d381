import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CardLocks } from '../../src/tsm/cardLocks.js';

describe('CardLocks', () => {
  it('runs work for one card one at a time, in order, and other cards alongside', async () => {
    const locks = new CardLocks();
    const events: string[] = [];
    const step = (name: string, ms: number) => async () => {
      events.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      events.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([locks.run('A', step('a1', 20)), locks.run('A', step('a2', 1)), locks.run('B', step('b1', 5))]);
    assert.deepEqual(results, ['a1', 'a2', 'b1']);
    assert.ok(events.indexOf('a1 end') < events.indexOf('a2 start'), events.join(', '));
    assert.ok(events.indexOf('b1 start') < events.indexOf('a1 end'), 'card B does not wait for card A');
  });

  it('releases the lock when work fails', async () => {
    const locks = new CardLocks();
    await assert.rejects(locks.run('A', () => Promise.reject(new Error('card gone'))));
    assert.equal(await locks.run('A', () => Promise.resolve('next')), 'next');
  });
});
