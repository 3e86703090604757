// Child process of the crash test (not a test file): opens the store in argv[2], keeps writing messages
// into one queue and removing some it wrote earlier, and prints each durable change as soon as onSynced
// reports it: "A <id> <n>" (enqueued and synced, body(n)) or "R <id>" (removal synced). A removal is
// announced as "r <id>" before it can reach the disk, since it may be durable without having been
// reported when the kill comes. The parent kill -9s it.
import { MessageStore } from '../../src/store/message-store.js';
import { body } from './helpers.js';

const QUEUE = '/\u0000crash';
const dir = process.argv[2];
const store = await MessageStore.open(dir, { segmentBytes: 64 * 1024 });

// Pending reports in write order: seq, then the line to print once seq is synced.
const seqs: number[] = [];
const lines: string[] = [];
let reported = 0;
const added: number[] = [];
store.onSynced = (syncedSeq) => {
  let out = '';
  while (reported < seqs.length && seqs[reported] <= syncedSeq) out += lines[reported++] + '\n';
  if (out.length > 0) process.stdout.write(out); // synchronous for pipes on Linux
};

let n = 0;
function tick(): void {
  for (let i = 0; i < 25; i++, n++) {
    const id = store.writeMessage(body(n));
    store.enqueue(QUEUE, id);
    seqs.push(store.writeSeq);
    lines.push(`A ${id} ${n}`);
    added.push(id);
  }
  // Remove every third message added so far (in this run), oldest first.
  let intents = '';
  while (added.length > 30) {
    const id = added.shift()!;
    added.shift();
    added.shift();
    intents += `r ${id}\n`;
    store.remove(QUEUE, id);
    seqs.push(store.writeSeq);
    lines.push(`R ${id}`);
  }
  // Written before this turn ends, i.e. before any flush can carry the removals.
  if (intents.length > 0) process.stdout.write(intents);
  store.requestSync();
  if (n < 2_000_000) setImmediate(tick);
}
tick();
