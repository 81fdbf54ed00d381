import type { TLVNode } from './types.js';

/**
 * Searches in a decoded tree, depth first and in document order, without recursion. EMV finds
 * data objects by tag wherever they sit in a template (EMV 4.4 Book 3 §5.2 / Annex B), so
 * `findTag` looks at every depth; `findPath` pins the templates on the way down.
 */

/** Every node with `tag`, at any depth, in document order. */
export function findAllTags(nodes: readonly TLVNode[], tag: number): TLVNode[] {
  const found: TLVNode[] = [];
  const pending: TLVNode[] = [...nodes].reverse();
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (node.tag === tag) found.push(node);
    if (node.constructed) {
      for (let i = node.children.length - 1; i >= 0; i--) pending.push(node.children[i] as TLVNode);
    }
  }
  return found;
}

/** The first node with `tag`, at any depth, in document order. */
export function findTag(nodes: readonly TLVNode[], tag: number): TLVNode | undefined {
  const pending: TLVNode[] = [...nodes].reverse();
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (node.tag === tag) return node;
    if (node.constructed) {
      for (let i = node.children.length - 1; i >= 0; i--) pending.push(node.children[i] as TLVNode);
    }
  }
  return undefined;
}

/**
 * The first node reached by following `path` from the top level, each tag naming a child of
 * the previous node: `findPath(fci, [0x6f, 0xa5, 0xbf0c, 0x61, 0x4f])` is the first AID in a PPSE
 * answer. Every branch is tried (a PPSE lists one 61 template per application), in document order.
 */
export function findPath(nodes: readonly TLVNode[], path: readonly number[]): TLVNode | undefined {
  if (path.length === 0) return undefined;
  // Each pending entry is a node and how many tags of `path` it has matched, itself included.
  const pending: { node: TLVNode; matched: number }[] = [];
  const pushMatching = (candidates: readonly TLVNode[], matched: number): void => {
    const tag = path[matched];
    for (let i = candidates.length - 1; i >= 0; i--) {
      const candidate = candidates[i] as TLVNode;
      if (candidate.tag === tag) pending.push({ node: candidate, matched: matched + 1 });
    }
  };
  pushMatching(nodes, 0);
  for (let entry = pending.pop(); entry !== undefined; entry = pending.pop()) {
    if (entry.matched === path.length) return entry.node;
    if (entry.node.constructed) pushMatching(entry.node.children, entry.matched);
  }
  return undefined;
}
