/**
 * A decoded BER-TLV data object. `tag` is the tag bytes read as one big-endian number (see
 * `tag.ts`); `constructed` repeats b6 of the first tag byte so that TypeScript can narrow on it.
 *
 * `value` is the value field exactly as received. For a constructed object that includes any
 * '00'/'FF' padding between its children and is what a signature or a MAC covers; `children`
 * holds the decoded data objects. The encoder writes constructed objects from `children` only.
 */
export interface TLVPrimitiveNode {
  readonly tag: number;
  readonly constructed: false;
  readonly value: Uint8Array;
}

export interface TLVConstructedNode {
  readonly tag: number;
  readonly constructed: true;
  readonly value: Uint8Array;
  readonly children: readonly TLVNode[];
}

export type TLVNode = TLVPrimitiveNode | TLVConstructedNode;

export interface TLVDecodeOptions {
  /** Largest input accepted; defaults to TLV_BYTES_MAX. */
  readonly bytesMax?: number;
  /** Deepest nesting accepted (a top-level object is at depth 1); defaults to TLV_DEPTH_MAX. */
  readonly depthMax?: number;
  /** Most data objects accepted, at all depths together; defaults to TLV_NODES_MAX. */
  readonly nodesMax?: number;
  /**
   * What to do with '00' and 'FF' bytes where a tag would start. EMV 4.4 Book 3 Annex B and
   * ISO/IEC 7816-4 §5.2.2.1 let them appear before, between and after data objects (erased or
   * shortened records, EEPROM filler), so `'skip'` (the default) ignores them; `'reject'` treats
   * them as malformed, for data this platform produced itself.
   */
  readonly padding?: 'skip' | 'reject';
  /**
   * `'ber'` (the default) accepts non-minimal long-form lengths such as '81 05', as BER does;
   * `'minimal'` refuses them.
   */
  readonly lengths?: 'ber' | 'minimal';
}
