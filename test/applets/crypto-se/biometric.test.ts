import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8 } from '../../../src/lib/bytes.js';
import { createDeterministicRandomSource, type RandomSource } from '../../../src/lib/crypto/index.js';
import {
  createModelFinger, enrolFingerCommand, ENROL_SIMILARITY_MIN_PERCENT, MATCH_SIMILARITY_MIN_PERCENT, presentModelFinger, verifyBiometricCommand,
  verifyPINCommand,
} from '../../../src/applets/crypto-se/client.js';
import { cosineSimilarity, isSimilarAtLeast, meanTemplate } from '../../../src/applets/crypto-se/biometric.js';
import { newCryptoSE, PIN, sw, type CryptoSEFixture } from './fixture.js';

function enrol(se: CryptoSEFixture, finger: Int8Array, slot = 1): number {
  const first = se.sensor.seal(presentModelFinger(finger, se.random));
  const second = se.sensor.seal(presentModelFinger(finger, se.random));
  return se.send(enrolFingerCommand(slot, first, second)).sw;
}

/** Enrols, retrying like a phone's enrolment screen does when the two presses disagree (at most 3 rounds). */
function enrolWithRetries(se: CryptoSEFixture, finger: Int8Array, slot = 1): void {
  for (let round = 0; round < 3; round++) if (enrol(se, finger, slot) === 0x9000) return;
  assert.fail('could not enrol a finger in 3 rounds');
}

describe('Crypto SE biometric enrolment and match', () => {
  it('enrols the same finger presented twice, stores only a sealed template, and matches it', async () => {
    const se = await newCryptoSE();
    const finger = createModelFinger(se.random);
    enrolWithRetries(se, finger);
    assert.deepEqual(se.status().enrolledFingers, [1]);
    assert.ok(se.appletStore()['bio.1'] !== undefined && se.appletStore()['bio.1']?.length !== 128, 'sealed: IV and tag around the 64 bytes');
    const match = se.send(verifyBiometricCommand(se.sensor.seal(presentModelFinger(finger, se.random))));
    assert.deepEqual(match, { data: '01', sw: 0x9000 });
    assert.deepEqual(se.status().verified, { pin: false, biometric: true });
  });

  it('refuses enrolment from two different fingers, and stores nothing', async () => {
    const se = await newCryptoSE();
    const first = se.sensor.seal(presentModelFinger(createModelFinger(se.random), se.random));
    const second = se.sensor.seal(presentModelFinger(createModelFinger(se.random), se.random));
    assert.equal(sw(se.send(enrolFingerCommand(1, first, second))), '6A80');
    assert.deepEqual(se.status().enrolledFingers, []);
  });

  it('refuses an unregistered finger with 63CX, blocks after five, and a correct PIN restores the tries', async () => {
    const se = await newCryptoSE();
    const owner = createModelFinger(se.random);
    enrolWithRetries(se, owner);
    const stranger = createModelFinger(se.random);
    const answers = Array.from({ length: 5 }, () => sw(se.send(verifyBiometricCommand(se.sensor.seal(presentModelFinger(stranger, se.random))))));
    assert.deepEqual(answers, ['63C4', '63C3', '63C2', '63C1', '63C0']);
    assert.equal(sw(se.send(verifyBiometricCommand(se.sensor.seal(presentModelFinger(owner, se.random))))), '6983', 'blocked, even for the owner');
    assert.equal(se.status().verified.biometric, false);
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: PIN })))), '9000');
    assert.equal(se.status().biometricTriesLeft, 5);
    assert.equal(sw(se.send(verifyBiometricCommand(se.sensor.seal(presentModelFinger(owner, se.random))))), '9000');
  });

  it('answers 6A88 before any finger is enrolled, and refuses a replayed sensor blob', async () => {
    const se = await newCryptoSE();
    const finger = createModelFinger(se.random);
    assert.equal(sw(se.send(verifyBiometricCommand(se.sensor.seal(presentModelFinger(finger, se.random))))), '6A88');
    enrolWithRetries(se, finger);
    const blob = se.sensor.seal(presentModelFinger(finger, se.random));
    assert.equal(sw(se.send(verifyBiometricCommand(blob))), '9000');
    assert.equal(sw(se.send(verifyBiometricCommand(blob))), '6982');
  });

  it('needs a user verification for a further finger, and refuses an occupied slot', async () => {
    const se = await newCryptoSE();
    enrolWithRetries(se, createModelFinger(se.random));
    const second = createModelFinger(se.random);
    assert.equal(enrol(se, second, 2), 0x6982, 'no verification in this session');
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: PIN })))), '9000');
    assert.equal(enrol(se, second, 1), 0x6a89, 'slot 1 is taken');
    enrolWithRetries(se, second, 2);
    assert.deepEqual(se.status().enrolledFingers, [1, 2]);
  });
});

/**
 * False-accept and false-reject rates of the matcher on the modelled sensor (README.md
 * "Biometrics"). Deterministic: the generator is seeded, so the measured numbers are the same on
 * every run. The decision function is the card's own (isSimilarAtLeast with the card's threshold).
 */
describe('Crypto SE biometric error rates (measured on the modelled sensor)', () => {
  const FINGERS = 500;
  const GENUINE_ATTEMPTS_PER_FINGER = 10;
  /** Documented bounds (README.md "Biometrics"): what the test holds the matcher to. */
  const FRR_MAX = 0.03;
  const FAR_MAX = 0.0001;
  const FAILURE_TO_ENROL_MAX = 0.01;

  interface Rates {
    readonly frr: number;
    readonly far: number;
    readonly failureToEnrol: number;
    readonly enrolRetries: number;
    readonly genuineAttempts: number;
    readonly impostorAttempts: number;
    readonly impostorSimilarityMax: number;
  }

  function measure(random: RandomSource): Rates {
    const fingers = Array.from({ length: FINGERS }, () => createModelFinger(random));
    const templates: (Int8Array | undefined)[] = [];
    let enrolRetries = 0;
    for (const finger of fingers) {
      let template: Int8Array | undefined;
      for (let round = 0; round < 3 && template === undefined; round++) {
        const first = new Int8Array(presentModelFinger(finger, random).buffer);
        const second = new Int8Array(presentModelFinger(finger, random).buffer);
        if (isSimilarAtLeast(first, second, ENROL_SIMILARITY_MIN_PERCENT)) template = meanTemplate(first, second);
        else enrolRetries++;
      }
      templates.push(template);
    }
    // Genuine: each enrolled finger presented again, ten times. Impostor: every template against one
    // presentation of every other finger (an independent vector), the whole cross product.
    let genuineAttempts = 0;
    let falseRejects = 0;
    for (const [index, template] of templates.entries()) {
      if (template === undefined) continue;
      for (let attempt = 0; attempt < GENUINE_ATTEMPTS_PER_FINGER; attempt++) {
        genuineAttempts++;
        if (!isSimilarAtLeast(template, new Int8Array(presentModelFinger(fingers[index] as Int8Array, random).buffer), MATCH_SIMILARITY_MIN_PERCENT)) falseRejects++;
      }
    }
    const impostorSamples = fingers.map((finger) => new Int8Array(presentModelFinger(finger, random).buffer));
    let impostorAttempts = 0;
    let falseAccepts = 0;
    let impostorSimilarityMax = -1;
    for (const [index, template] of templates.entries()) {
      if (template === undefined) continue;
      for (const [other, sample] of impostorSamples.entries()) {
        if (other === index) continue;
        impostorAttempts++;
        if (isSimilarAtLeast(template, sample, MATCH_SIMILARITY_MIN_PERCENT)) falseAccepts++;
        impostorSimilarityMax = Math.max(impostorSimilarityMax, cosineSimilarity(template, sample));
      }
    }
    const failedEnrolments = templates.filter((template) => template === undefined).length;
    return {
      frr: falseRejects / genuineAttempts, far: falseAccepts / impostorAttempts, failureToEnrol: failedEnrolments / FINGERS, enrolRetries,
      genuineAttempts, impostorAttempts, impostorSimilarityMax,
    };
  }

  it(`keeps FRR ≤ ${FRR_MAX * 100}%, FAR ≤ ${FAR_MAX * 100}% and failure to enrol ≤ ${FAILURE_TO_ENROL_MAX * 100}%`, () => {
    const rates = measure(createDeterministicRandomSource(utf8('tessera crypto-se biometric error rates')));
    console.log(
      `measured: FRR ${(rates.frr * 100).toFixed(2)}% of ${rates.genuineAttempts}, FAR ${(rates.far * 100).toFixed(4)}% of ${rates.impostorAttempts} ` +
      `(highest impostor similarity ${rates.impostorSimilarityMax.toFixed(3)}), failure to enrol ${(rates.failureToEnrol * 100).toFixed(2)}%, ` +
      `enrolment retries ${rates.enrolRetries}/${FINGERS}`,
    );
    assert.ok(rates.frr <= FRR_MAX, `FRR ${rates.frr}`);
    assert.ok(rates.far <= FAR_MAX, `FAR ${rates.far}`);
    assert.ok(rates.failureToEnrol <= FAILURE_TO_ENROL_MAX, `failure to enrol ${rates.failureToEnrol}`);
    assert.ok(rates.impostorSimilarityMax < MATCH_SIMILARITY_MIN_PERCENT / 100, 'no impostor came near the threshold');
  });

  it('makes the same decisions over APDUs as the matcher does in the measurement', async () => {
    const se = await newCryptoSE({ seed: 'biometric decisions over APDUs' });
    const owner = createModelFinger(se.random);
    const first = presentModelFinger(owner, se.random);
    const second = presentModelFinger(owner, se.random);
    const template = meanTemplate(new Int8Array(first.slice().buffer), new Int8Array(second.slice().buffer));
    assert.equal(sw(se.send(enrolFingerCommand(1, se.sensor.seal(first), se.sensor.seal(second)))), '9000');
    for (let attempt = 0; attempt < 40; attempt++) {
      const sample = presentModelFinger(attempt % 2 === 0 ? owner : createModelFinger(se.random), se.random);
      const expected = isSimilarAtLeast(template, new Int8Array(sample.slice().buffer), MATCH_SIMILARITY_MIN_PERCENT);
      const answer = se.send(verifyBiometricCommand(se.sensor.seal(sample)));
      assert.equal(answer.sw === 0x9000, expected, `attempt ${attempt}`);
      if (answer.sw !== 0x9000) assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: PIN })))), '9000', 'restore the tries');
    }
  });
});
