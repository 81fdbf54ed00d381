import { sql } from 'kysely';
import type { TsmContext } from '../context.js';
import { tsmError, TsmErrorCode } from '../errors.js';
import { fraudError, FraudErrorCode } from './errors.js';
import type { FraudTables } from './schema.js';

/** The shortest and longest window a velocity query may look back over. */
export const VELOCITY_WINDOW_SECONDS_MIN = 60;
export const VELOCITY_WINDOW_SECONDS_MAX = 30 * 86_400;

export interface VelocityQuery {
  /** A device the calling SP serves. */
  readonly deviceId?: string;
  /** Four digits. */
  readonly lastFour?: string;
  readonly windowSeconds: number;
}

/**
 * Counts over the payment reports received in the window, among the devices the calling SP serves
 * (those it has deployed a credential to), narrowed to `deviceId` and/or `lastFour`:
 * - `payments`: reports that match;
 * - `distinctDevices`: devices among them (one last four on many devices: a shared or copied card);
 * - `distinctLastFours`: last fours among them (one device paying with many cards: card testing).
 * Counts only: no device id, date, counter or signature leaves the TSM through this query.
 */
export interface Velocity {
  readonly deviceId: string | null;
  readonly lastFour: string | null;
  readonly windowSeconds: number;
  /** ISO 8601: the window is (from, to], by the TSM's receive time. */
  readonly from: string;
  readonly to: string;
  readonly payments: number;
  readonly distinctDevices: number;
  readonly distinctLastFours: number;
}

/**
 * The velocity query of the fraud feed (docs/fraud-feed.md "Velocity"). An SP sees reports of its
 * own devices only: the TSM knows which SP deployed credentials to which device
 * (tsm.credential_packages), but not which SP a last four belongs to, so "own" is decided by the
 * device. Asking about a device the SP does not serve answers ERR_TSM_NOT_FOUND, as for an
 * unknown one, so devices cannot be probed.
 */
export async function paymentVelocity(context: TsmContext, spName: string, query: VelocityQuery): Promise<Velocity> {
  if (query.deviceId === undefined && query.lastFour === undefined) throw fraudError(FraudErrorCode.queryInvalid, 'name a device, a last four, or both');
  if (!Number.isInteger(query.windowSeconds) || query.windowSeconds < VELOCITY_WINDOW_SECONDS_MIN || query.windowSeconds > VELOCITY_WINDOW_SECONDS_MAX) {
    throw fraudError(FraudErrorCode.queryInvalid, `the window is ${VELOCITY_WINDOW_SECONDS_MIN}-${VELOCITY_WINDOW_SECONDS_MAX} seconds`);
  }
  const db = context.db.withTables<FraudTables>();
  const deviceId = query.deviceId?.toUpperCase();
  const served = db.selectFrom('tsm.credential_packages').select('device_id').where('sp_name', '=', spName);
  if (deviceId !== undefined) {
    const known = await served.where('device_id', '=', deviceId).limit(1).executeTakeFirst();
    if (known === undefined) throw tsmError(TsmErrorCode.notFound, 'no such device among the devices you serve');
  }
  const to = new Date(context.now());
  const from = new Date(to.getTime() - query.windowSeconds * 1000);
  let counts = db.selectFrom('tsm.payment_reports')
    .select([
      sql<string>`count(*)`.as('payments'),
      sql<string>`count(distinct device_id)`.as('distinct_devices'),
      sql<string>`count(distinct last_four)`.as('distinct_last_fours'),
    ])
    .where('received_at', '>', from).where('received_at', '<=', to)
    .where('device_id', 'in', served);
  if (deviceId !== undefined) counts = counts.where('device_id', '=', deviceId);
  if (query.lastFour !== undefined) counts = counts.where('last_four', '=', query.lastFour);
  const row = await counts.executeTakeFirstOrThrow();
  return {
    deviceId: deviceId ?? null, lastFour: query.lastFour ?? null, windowSeconds: query.windowSeconds,
    from: from.toISOString(), to: to.toISOString(),
    payments: Number(row.payments), distinctDevices: Number(row.distinct_devices), distinctLastFours: Number(row.distinct_last_fours),
  };
}
