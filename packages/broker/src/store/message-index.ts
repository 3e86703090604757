// msgId → where the message's bytes are, plus how many queues still reference it.
//
// Ids are dense and increasing, so the index is paged: a page covers PAGE_IDS consecutive ids with one
// Uint32Array of 4 words per id and is dropped once none of its messages is live. Memory: 16 bytes per
// id while its page lives (a long-lived straggler pins at most one 64 KiB page), no per-message object.
//
// Words per id: [segment slot + 1 (0 = no live message)][data offset in segment][data length][refs]

const PAGE_IDS = 4096;
const WORDS = 4;

export interface IndexPage {
  readonly words: Uint32Array;
  /** Live messages in the page. */
  live: number;
}

export class MessageIndex {
  private readonly pages = new Map<number, IndexPage>();
  /** Word offset of the id found by the last successful locate(). */
  at = 0;
  /** Live messages. */
  size = 0;

  /** The page of a live message (setting `at`), or undefined when msgId is not live. */
  locate(msgId: number): IndexPage | undefined {
    const page = this.pages.get(Math.floor(msgId / PAGE_IDS));
    if (page === undefined) return undefined;
    const at = (msgId % PAGE_IDS) * WORDS;
    if (page.words[at] === 0) return undefined;
    this.at = at;
    return page;
  }

  add(msgId: number, slot: number, offset: number, length: number): void {
    const pageNo = Math.floor(msgId / PAGE_IDS);
    let page = this.pages.get(pageNo);
    if (page === undefined) {
      page = { words: new Uint32Array(PAGE_IDS * WORDS), live: 0 };
      this.pages.set(pageNo, page);
    }
    const at = (msgId % PAGE_IDS) * WORDS;
    const w = page.words;
    if (w[at] === 0) {
      page.live++;
      this.size++;
    }
    w[at] = slot + 1;
    w[at + 1] = offset;
    w[at + 2] = length;
    w[at + 3] = 0;
  }

  /** Segment slot of a live message, or -1. */
  slotOf(msgId: number): number {
    const page = this.locate(msgId);
    return page === undefined ? -1 : page.words[this.at] - 1;
  }

  /** Adds a queue reference; false when the message is not live. */
  addRef(msgId: number): boolean {
    const page = this.locate(msgId);
    if (page === undefined) return false;
    page.words[this.at + 3]++;
    return true;
  }

  /**
   * Drops a queue reference. Returns the segment slot of the message when that was its last reference
   * (the message is then forgotten), else -1.
   */
  release(msgId: number): number {
    const page = this.locate(msgId);
    if (page === undefined) return -1;
    const w = page.words;
    const at = this.at;
    if (w[at + 3] > 1) {
      w[at + 3]--;
      return -1;
    }
    return this.forgetAt(msgId, page, at);
  }

  /** Forgets every live message without references (recovery: written but never enqueued). */
  forgetUnreferenced(onForget: (slot: number) => void): void {
    for (const [pageNo, page] of this.pages) {
      const w = page.words;
      for (let at = 0; at < w.length; at += WORDS) {
        if (w[at] !== 0 && w[at + 3] === 0) onForget(this.forgetAt(pageNo * PAGE_IDS + at / WORDS, page, at));
      }
    }
  }

  private forgetAt(msgId: number, page: IndexPage, at: number): number {
    const w = page.words;
    const slot = w[at] - 1;
    w[at] = 0;
    w[at + 3] = 0;
    this.size--;
    if (--page.live === 0) this.pages.delete(Math.floor(msgId / PAGE_IDS));
    return slot;
  }
}
