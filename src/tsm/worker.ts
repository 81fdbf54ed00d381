import type { TsmContext } from './context.js';
import { runOperation } from './operations.js';
import { runScriptExecution } from './scripts.js';

/** How often the worker looks for queued work whose card has come online. */
export const WORKER_INTERVAL_MS = 1_000;
/** Queued items the worker picks up per round (the rest wait for the next round). */
export const WORKER_BATCH_MAX = 50;

/**
 * Delivers what waited for a card: queued scripts and pending operations whose card is reachable
 * now (the OTA gateway's agent is polling), and expires what waited too long. Bounded per round;
 * stops cleanly.
 */
export function startWorker(context: TsmContext, intervalMs = WORKER_INTERVAL_MS): { stop(): Promise<void>; runOnce(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;

  async function runOnce(): Promise<void> {
    const now = new Date(context.now());
    await context.db.updateTable('tsm.script_executions').set({ state: 'expired', completed_at: now, lease_expires_at: null, error_code: 'ERR_TSM_EXPIRED' })
      .where('state', '=', 'queued').where('expires_at', '<=', now).execute();
    const scripts = await context.db.selectFrom('tsm.script_executions').select('id')
      .where((eb) => eb.or([eb('state', '=', 'queued'), eb.and([eb('state', '=', 'running'), eb('lease_expires_at', '<', now)])]))
      .orderBy('created_at').limit(WORKER_BATCH_MAX).execute();
    for (const script of scripts) {
      if (stopped) return;
      await runScriptExecution(context, script.id, 0);
    }
    const operations = await context.db.selectFrom('tsm.operations').select('id')
      .where((eb) => eb.or([eb('state', '=', 'pending'), eb.and([eb('state', '=', 'running'), eb('lease_expires_at', '<', now)])]))
      .orderBy('created_at').limit(WORKER_BATCH_MAX).execute();
    for (const operation of operations) {
      if (stopped) return;
      await runOperation(context, operation.id, 0);
    }
  }

  const timer = setInterval(() => {
    if (running !== undefined || stopped) return;
    running = runOnce().catch((error: unknown) => {
      context.logger.error({ err: error }, 'TSM worker round failed');
    }).finally(() => { running = undefined; });
  }, intervalMs);
  timer.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
