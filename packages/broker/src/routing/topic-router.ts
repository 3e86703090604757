// Topic exchange: binding keys are dot-separated word patterns where `*` matches exactly one word
// and `#` matches zero or more words.
//
// Word splitting follows RabbitMQ (rabbit_db_topic_exchange:split_topic_key/1 and
// split_topic_key_binary/1): the empty key has ZERO words, and any other key is split on every
// dot, so empty words are real words ("a..b" is "a", "", "b"; "." is "", ""; "a." is "a", "").
// Consequences: "#" and "" match the empty routing key, "*" does not (it needs one word), and
// "a.#" matches "a". A routing-key word that is literally "*" or "#" is just a word; in
// RabbitMQ's trie it can also walk the wildcard edge of the same name, which only ever adds
// targets the wildcard already matched, so the matched set is the same.
//
// Matching runs the trie as an NFA, one word at a time, over the set of live nodes (a node
// reached through a `#` edge stays live while it absorbs words). Each node joins a set at most
// once per word, so the cost is O(words x live nodes) even for patterns like "#.a.#.a.#" that
// make a naive backtracking walk exponential, and each matching binding is pushed exactly once.
// Consecutive `#` words are collapsed in the trie path ("#.#" matches what "#" matches); the
// binding keeps its original key for identity and listing.
import type { FieldTable } from '@warren/protocol';
import { type Binding, indexOfBinding } from './binding.js';
import type { Router } from './router.js';
import { TargetIndex } from './target-index.js';

class TopicNode<T> {
  /** Children by literal word; null until the first one, since most nodes are leaves. */
  literal: Map<string, TopicNode<T>> | null = null;
  star: TopicNode<T> | null = null;
  hash: TopicNode<T> | null = null;
  /** Mirrors `bindings` so routing is a plain array copy. */
  readonly targets: T[] = [];
  readonly bindings: Binding<T>[] = [];
  /** Stamp of the state set this node was last added to (see TopicRouter.route). */
  mark = 0;

  constructor(
    readonly parent: TopicNode<T> | null,
    /** The edge label from the parent: a literal word, "*" or "#". */
    readonly word: string,
    /** Reached through a `#` edge, so it may absorb any number of further words. */
    readonly isHash: boolean,
  ) {}

  isEmpty(): boolean {
    return (
      this.bindings.length === 0 && this.literal === null && this.star === null && this.hash === null
    );
  }
}

/** The words of a binding key as stored in the trie path (RabbitMQ splitting, `#` runs collapsed). */
function patternWords(bindingKey: string): string[] {
  if (bindingKey === '') return [];
  const words = bindingKey.split('.');
  let kept = 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '#' && kept > 0 && words[kept - 1] === '#') continue;
    words[kept++] = w;
  }
  words.length = kept;
  return words;
}

/** Adds node, and the `#` children that can match zero words after it, to a state set. */
function enter<T>(node: TopicNode<T>, set: TopicNode<T>[], stamp: number): void {
  let n: TopicNode<T> | null = node;
  while (n !== null && n.mark !== stamp) {
    n.mark = stamp;
    set.push(n);
    n = n.hash;
  }
}

export class TopicRouter<T> implements Router<T> {
  readonly usesHeaders = false;
  private readonly root = new TopicNode<T>(null, '', false);
  private readonly index = new TargetIndex<T>();
  private count = 0;
  // Scratch state sets reused by every route call (route is synchronous and not re-entrant).
  private current: TopicNode<T>[] = [];
  private following: TopicNode<T>[] = [];
  private stamp = 0;

  get bindingCount(): number {
    return this.count;
  }

  bind(bindingKey: string, args: FieldTable, target: T): boolean {
    const node = this.descend(bindingKey, true)!;
    if (indexOfBinding(node.bindings, bindingKey, args, target) !== -1) return false;
    node.targets.push(target);
    node.bindings.push({ key: bindingKey, args, target });
    this.index.add(target, bindingKey);
    this.count++;
    return true;
  }

  unbind(bindingKey: string, args: FieldTable, target: T): boolean {
    const node = this.descend(bindingKey, false);
    if (node === undefined) return false;
    const i = indexOfBinding(node.bindings, bindingKey, args, target);
    if (i === -1) return false;
    node.targets.splice(i, 1);
    node.bindings.splice(i, 1);
    this.index.remove(target, bindingKey);
    this.count--;
    this.prune(node);
    return true;
  }

  unbindAll(target: T): number {
    const keys = this.index.take(target);
    if (keys === undefined) return 0;
    let removed = 0;
    for (const key of keys) {
      // Keys that share a trie node ("#" and "#.#") are all cleared on the first visit; the
      // node may then be pruned, so later lookups can miss.
      const node = this.descend(key, false);
      if (node === undefined) continue;
      for (let i = node.targets.length - 1; i >= 0; i--) {
        if (node.targets[i] === target) {
          node.targets.splice(i, 1);
          node.bindings.splice(i, 1);
          removed++;
        }
      }
      this.prune(node);
    }
    this.count -= removed;
    return removed;
  }

  route(routingKey: string, _headers: FieldTable | undefined, out: T[]): void {
    let current = this.current;
    let following = this.following;
    current.length = 0;
    enter(this.root, current, ++this.stamp);
    const len = routingKey.length;
    if (len > 0) {
      let start = 0;
      for (;;) {
        let end = routingKey.indexOf('.', start);
        if (end === -1) end = len;
        const stamp = ++this.stamp;
        following.length = 0;
        let word: string | undefined; // sliced lazily: only literal edges need it
        for (let i = 0; i < current.length; i++) {
          const node = current[i]!;
          if (node.isHash) enter(node, following, stamp);
          const literal = node.literal;
          if (literal !== null) {
            if (word === undefined) word = routingKey.slice(start, end);
            const child = literal.get(word);
            if (child !== undefined) enter(child, following, stamp);
          }
          if (node.star !== null) enter(node.star, following, stamp);
        }
        const swap = current;
        current = following;
        following = swap;
        if (current.length === 0 || end === len) break;
        start = end + 1;
      }
    }
    for (let i = 0; i < current.length; i++) {
      const targets = current[i]!.targets;
      for (let j = 0; j < targets.length; j++) out.push(targets[j]!);
    }
    // Drop node references so unbound subtrees can be collected.
    current.length = 0;
    following.length = 0;
    this.current = current;
    this.following = following;
  }

  /** A snapshot, so callers may unbind while iterating it. */
  bindings(): Iterable<Binding<T>> {
    const all: Binding<T>[] = [];
    const stack: TopicNode<T>[] = [this.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      for (const b of node.bindings) all.push(b);
      if (node.literal !== null) for (const child of node.literal.values()) stack.push(child);
      if (node.star !== null) stack.push(node.star);
      if (node.hash !== null) stack.push(node.hash);
    }
    return all;
  }

  hasBindingsTo(target: T): boolean {
    return this.index.has(target);
  }

  /** The trie node for a binding key, creating the path if asked to. */
  private descend(bindingKey: string, create: boolean): TopicNode<T> | undefined {
    let node = this.root;
    for (const w of patternWords(bindingKey)) {
      let child: TopicNode<T> | null | undefined;
      if (w === '*') child = node.star;
      else if (w === '#') child = node.hash;
      else child = node.literal?.get(w);
      if (child === null || child === undefined) {
        if (!create) return undefined;
        child = new TopicNode<T>(node, w, w === '#');
        if (w === '*') node.star = child;
        else if (w === '#') node.hash = child;
        else (node.literal ??= new Map()).set(w, child);
      }
      node = child;
    }
    return node;
  }

  /** Detaches now-empty nodes from the trie, walking up towards the root. */
  private prune(node: TopicNode<T>): void {
    let n = node;
    while (n.parent !== null && n.isEmpty()) {
      const parent = n.parent;
      if (n.isHash) parent.hash = null;
      else if (n.word === '*' && parent.star === n) parent.star = null;
      else if (parent.literal !== null) {
        parent.literal.delete(n.word);
        if (parent.literal.size === 0) parent.literal = null;
      }
      n = parent;
    }
  }
}
