/**
 * Where the TSM keeps its secret keys at rest (SD keysets it holds for cards, CA private keys):
 * sealed under a key-encryption key it never hands out. The file-based store is the first
 * implementation; an HSM (PKCS#11 wrap/unwrap with the same purpose and binding) can replace it.
 */
export interface KeyStore {
  /**
   * Encrypts and authenticates `plaintext` for one `purpose` (a fixed name such as "sd-keyset",
   * chosen by the code) and one `binding`: where the sealed value belongs, e.g. `cin/sdAid/kvn`,
   * authenticated as additional data so the sealed bytes open only there.
   */
  seal(purpose: string, plaintext: Uint8Array, binding: string): Uint8Array;
  /**
   * The plaintext back. A wrong purpose, a wrong binding, a wrong key or any altered byte fails
   * the same way: KeyStoreErrorCode.openFailed, one message, detail only in `cause`.
   */
  open(purpose: string, sealed: Uint8Array, binding: string): Uint8Array;
}
