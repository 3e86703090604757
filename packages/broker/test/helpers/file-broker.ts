// One broker shared by every test in a file: started before the first test, closed after the last.
import { after, before, type TestContext } from 'node:test';
import { Session } from './amqp.js';
import { withBroker, type TestBroker } from './broker.js';

export interface FileBroker {
  /** amqp://guest:guest@…/ of the running broker (valid once the tests run). */
  url(): string;
  /** A Session for one test, cleaned up when that test ends. */
  session(t: TestContext): Promise<Session>;
}

export function useFileBroker(): FileBroker {
  let broker: TestBroker | undefined;
  before(async () => {
    broker = await withBroker();
  });
  after(async () => {
    await broker?.close();
  });
  const url = (): string => {
    if (broker === undefined) throw new Error('the file broker is not started yet');
    return broker.url;
  };
  return { url, session: (t) => Session.forTest(t, url()) };
}
