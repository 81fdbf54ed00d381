import { fromHex, toHex } from '../../lib/bytes.js';
import { isTesseraError } from '../../lib/errors.js';
import { decodeLoadFile, loadFileDataBlockHash, signDAP, verifyDAP } from '../../lib/gp/index.js';
import { audit } from '../audit.js';
import { withSecurityDomain } from '../cardDriver.js';
import type { TsmContext } from '../context.js';
import { tsmError, TsmErrorCode } from '../errors.js';
import { openKeyset } from '../keys.js';
import type { ApplicationSigningKey } from './applicationSigningKey.js';

/** Most applications in the catalogue one device call lists or installs. */
export const CATALOGUE_APPLICATIONS_MAX = 64;
/** Application-specific install parameters (C9) one catalogue entry may carry (a short INSTALL APDU). */
export const INSTALL_PARAMETERS_BYTES_MAX = 127;
const AID = /^([0-9A-F]{2}){5,16}$/;

export interface PublishedApplication {
  readonly name: string;
  readonly packageAid: string;
  readonly version: string;
  readonly moduleAid: string;
  readonly instanceAid: string;
  readonly signingKeyId: string;
}

export interface DeviceApplication extends PublishedApplication {
  /** The version installed on this device's App SE, or null. */
  readonly installedVersion: string | null;
}

/**
 * Puts an App SE application in the catalogue, signed: the TSM signs the DAP (GP 2.3.1 Annex C)
 * over the load file's hash with its application-signing key. A new version replaces the entry;
 * devices pick it up with their next update.
 */
export async function publishApplication(
  context: TsmContext,
  key: ApplicationSigningKey,
  input: { readonly name: string; readonly loadFile: Uint8Array; readonly moduleAid: string; readonly instanceAid: string; readonly installParameters?: Uint8Array },
): Promise<PublishedApplication> {
  const installParameters = input.installParameters ?? new Uint8Array(0);
  if (installParameters.length > INSTALL_PARAMETERS_BYTES_MAX) throw tsmError(TsmErrorCode.invalid, `install parameters are at most ${INSTALL_PARAMETERS_BYTES_MAX} bytes`);
  const file = decodeLoadFile(input.loadFile);
  const moduleAid = input.moduleAid.toUpperCase();
  const instanceAid = input.instanceAid.toUpperCase();
  if (!AID.test(instanceAid)) throw tsmError(TsmErrorCode.invalid, 'the instance AID is 5-16 bytes, hex');
  if (!file.modules.some((module) => toHex(module.aid) === moduleAid)) throw tsmError(TsmErrorCode.invalid, `the load file has no module ${moduleAid}`);
  const packageAid = toHex(file.packageAID);
  const version = `${file.version.major}.${file.version.minor}`;
  const signature = signDAP(loadFileDataBlockHash(input.loadFile), key.privateKey);
  const row = {
    package_aid: packageAid, version, name: input.name, module_aid: moduleAid, instance_aid: instanceAid,
    load_file: input.loadFile, dap_signature: signature, signing_key_id: key.keyId, install_parameters: installParameters,
  };
  await context.db.insertInto('tsm.applications').values(row)
    .onConflict((conflict) => conflict.column('package_aid').doUpdateSet({
      version, name: input.name, module_aid: moduleAid, instance_aid: instanceAid, load_file: input.loadFile, dap_signature: signature, signing_key_id: key.keyId,
      install_parameters: installParameters,
    }))
    .execute();
  await audit(context.db, { actor: 'operator', action: 'application.published', details: { packageAid, version, instanceAid } });
  return { name: input.name, packageAid, version, moduleAid, instanceAid, signingKeyId: key.keyId };
}

async function deviceRow(context: TsmContext, deviceId: string) {
  const device = await context.db.selectFrom('tsm.devices').select(['id', 'app_se_cin', 'app_se_applications_domain_aid', 'state'])
    .where('id', '=', deviceId.toUpperCase()).executeTakeFirst();
  if (device === undefined) throw tsmError(TsmErrorCode.notFound, 'no such device');
  return device;
}

/** The catalogue as one device sees it: each application with the version its App SE has. */
export async function deviceApplications(context: TsmContext, deviceId: string): Promise<DeviceApplication[]> {
  const device = await deviceRow(context, deviceId);
  const rows = await context.db.selectFrom('tsm.applications as application')
    .leftJoin('tsm.device_applications as installed', (join) => join.onRef('installed.package_aid', '=', 'application.package_aid').on('installed.device_id', '=', device.id))
    .select(['application.name', 'application.package_aid', 'application.version', 'application.module_aid', 'application.instance_aid', 'application.signing_key_id', 'installed.version as installed_version'])
    .orderBy('application.package_aid').limit(CATALOGUE_APPLICATIONS_MAX).execute();
  return rows.map((row) => ({
    name: row.name, packageAid: row.package_aid, version: row.version, moduleAid: row.module_aid, instanceAid: row.instance_aid,
    signingKeyId: row.signing_key_id, installedVersion: row.installed_version ?? null,
  }));
}

export interface UpdateOutcome {
  readonly installed: readonly PublishedApplication[];
  readonly failed: readonly { readonly packageAid: string; readonly code: string; readonly message: string }[];
}

/**
 * Installs what the device lacks, over the air: for each catalogue application missing (or at
 * another version) on the App SE, through the central SD's SCP03 channel (the TSM's keys), LOAD
 * into the DAP-verifying applications domain with the TSM's DAP block, then INSTALL. The App SE
 * checks the DAP itself and refuses (6982) a load file that does not match its signature; a
 * refused application is reported and nothing of it is recorded. The device's agent must be
 * connected to the OTA endpoint while this runs.
 */
export async function installDeviceUpdates(context: TsmContext, deviceId: string, applicationKey: ApplicationSigningKey | undefined): Promise<UpdateOutcome> {
  const device = await deviceRow(context, deviceId);
  if (device.state !== 'registered') throw tsmError(TsmErrorCode.notEligible, 'register the device first');
  const pending = (await deviceApplications(context, device.id)).filter((application) => application.installedVersion !== application.version);
  if (pending.length === 0) return { installed: [], failed: [] };
  const central = await context.db.selectFrom('tsm.security_domains').select(['aid', 'key_version', 'keyset_sealed'])
    .where('cin', '=', device.app_se_cin).where('role', '=', 'central').executeTakeFirst();
  if (central?.keyset_sealed === undefined || central.keyset_sealed === null || central.key_version === null) {
    throw tsmError(TsmErrorCode.notEligible, 'the App SE is not registered with the TSM, or the TSM holds no keys for its central domain');
  }
  const keyset = openKeyset(context.keyStore, device.app_se_cin, central.aid, central.key_version, central.keyset_sealed);
  const link = await context.cards.linkFor(device.app_se_cin, context.cardWaitMs);
  if (link === undefined) throw tsmError(TsmErrorCode.cardUnreachable, 'the App SE\'s agent is not connected');
  const installed: PublishedApplication[] = [];
  const failed: { packageAid: string; code: string; message: string }[] = [];
  for (const application of pending) {
    const stored = await context.db.selectFrom('tsm.applications').select(['load_file', 'dap_signature', 'install_parameters']).where('package_aid', '=', application.packageAid).executeTakeFirstOrThrow();
    const hash = loadFileDataBlockHash(stored.load_file);
    // The TSM checks its own signature first when it can: a catalogue row changed behind its back
    // is then reported without a card round trip. The App SE checks again either way.
    if (applicationKey !== undefined && !verifyDAP(hash, stored.dap_signature, applicationKey.publicKey)) {
      context.logger.warn({ packageAid: application.packageAid }, 'catalogue entry whose DAP does not verify; sending it anyway, the App SE decides');
    }
    try {
      // DELETE of the old version, INSTALL [for load], LOAD and INSTALL as one batch.
      const work = () => withSecurityDomain(link, central.aid, keyset, context.random, async (gp) => gp.runScript([
        ...(application.installedVersion === null ? [] : [gp.deleteCommand(fromHex(application.packageAid), { related: true })]),
        ...gp.loadFileCommands(stored.load_file, {
          securityDomainAID: fromHex(device.app_se_applications_domain_aid),
          dapBlocks: [{ securityDomainAID: fromHex(device.app_se_applications_domain_aid), signature: stored.dap_signature }],
        }),
        gp.installForInstallCommand({
          loadFileAID: fromHex(application.packageAid), moduleAID: fromHex(application.moduleAid), applicationAID: fromHex(application.instanceAid),
          applicationParameters: stored.install_parameters,
        }),
      ]));
      await (context.cardLocks === undefined ? work() : context.cardLocks.run(device.app_se_cin, work));
    } catch (error) {
      if (!isTesseraError(error)) throw error;
      failed.push({ packageAid: application.packageAid, code: error.code, message: error.message });
      continue;
    }
    await context.db.insertInto('tsm.device_applications').values({ device_id: device.id, package_aid: application.packageAid, version: application.version })
      .onConflict((conflict) => conflict.columns(['device_id', 'package_aid']).doUpdateSet({ version: application.version }))
      .execute();
    await audit(context.db, { actor: `device:${device.id}`, action: 'device.application-installed', cin: device.app_se_cin, details: { packageAid: application.packageAid, version: application.version } });
    installed.push(application);
  }
  return { installed, failed };
}
