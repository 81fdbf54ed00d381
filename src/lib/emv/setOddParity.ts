/**
 * Returns a copy of a DES key with every byte's least significant bit set so that the byte has an
 * odd number of one bits (FIPS 46-3 §3: the parity bits of a DES key). EMV derives ICC master keys
 * and session keys as ciphertext and then adjusts them this way (EMV Book 2 Annex A1.3, A1.4), as
 * HSMs do; DES itself ignores these bits, so the adjustment does not change any cipher result.
 */
export function setOddParity(key: Uint8Array): Uint8Array {
  const adjusted = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) {
    const byte = key[i] as number;
    let ones = 0;
    for (let bit = 1; bit < 0x100; bit <<= 1) if ((byte & bit) !== 0) ones++;
    // Flip the lowest bit when the count is even; the seven key bits stay as they were.
    adjusted[i] = ones % 2 === 1 ? byte : byte ^ 0x01;
  }
  return adjusted;
}
