/**
 * Child process for the crash test: opens a card image and rotates the ISD keyset with PUT KEY in
 * a loop, printing "committed <i>" after each PUT KEY the card acknowledged. The parent kills it
 * with SIGKILL at an arbitrary moment and checks what the image holds.
 */
import { createHash } from 'node:crypto';
import { fromHex } from '../../src/lib/bytes.js';
import { encodeCommandAPDU } from '../../src/lib/apdu.js';
import { openSCP03 } from '../../src/lib/scp03/index.js';
import { ISD_AID, openCardImage } from '../../src/card/client.js';
import { putKeyData, split, testFirmware, TEST_KEY } from './harness.js';

export function keyOfIteration(iteration: number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`iteration ${iteration}`).digest().subarray(0, 16));
}
export function versionOfIteration(iteration: number): number {
  return iteration < 0 ? 0x30 : 0x31 + (iteration % 2);
}

const [imagePath, deviceKeyHex, iterationsText] = process.argv.slice(2);
if (imagePath !== undefined && deviceKeyHex !== undefined) {
  const card = openCardImage(imagePath, fromHex(deviceKeyHex), { firmware: testFirmware() });
  card.powerOn();
  split(card.transmit(fromHex(`00A4040008${ISD_AID}`)));
  let key = TEST_KEY;
  let version = 0x30;
  for (let iteration = 0; iteration < Number(iterationsText ?? 100000); iteration++) {
    const channel = await openSCP03((apdu) => card.transmit(apdu), { keyVersion: version, enc: key, mac: key, dek: key }, { securityLevel: 0x01 });
    const next = keyOfIteration(iteration);
    const nextVersion = versionOfIteration(iteration);
    const command = encodeCommandAPDU({ cla: 0x80, ins: 0xd8, p1: version, p2: 0x81, data: putKeyData(nextVersion, { enc: next, mac: next, dek: next }, key) });
    const response = split(await channel.transmit(command));
    if (response.sw !== 0x9000) throw new Error(`PUT KEY answered ${response.sw.toString(16)}`);
    key = next;
    version = nextVersion;
    process.stdout.write(`committed ${iteration}\n`);
  }
}
