// The web UI's files are served at / beside the API; without a UI directory the API still runs.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { startBroker, type WarrenBroker } from '@warren/broker';
import { startManagement } from '../src/index.js';

describe('management UI files', () => {
  let broker: WarrenBroker;
  let dir: string;
  before(async () => {
    broker = await startBroker({ port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
    dir = mkdtempSync(join(tmpdir(), 'warren-ui-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Warren</title>');
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  });
  after(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves uiDir at / and the API under /api/', async () => {
    const m = await startManagement({ broker, port: 0, host: '127.0.0.1', uiDir: dir });
    try {
      const base = `http://127.0.0.1:${m.port}`;
      const index = await fetch(`${base}/`);
      assert.equal(index.status, 200);
      assert.match(index.headers.get('content-type') ?? '', /text\/html/);
      assert.equal(await index.text(), '<!doctype html><title>Warren</title>');
      const js = await fetch(`${base}/assets/app.js`);
      assert.equal(js.status, 200);
      assert.match(js.headers.get('content-type') ?? '', /javascript/);
      assert.equal((await fetch(`${base}/missing.css`)).status, 404);
      const api = await fetch(`${base}/api/whoami`, { headers: { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') } });
      assert.equal(api.status, 200);
      const unknownApi = await fetch(`${base}/api/nope`, { headers: { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') } });
      assert.deepEqual(await unknownApi.json(), { error: 'Object Not Found', reason: 'Not Found' });
      // /api/auth answers without credentials (the UI asks before logging in)
      assert.equal((await fetch(`${base}/api/auth`)).status, 200);
    } finally {
      await m.close();
    }
  });

  it('runs without UI files', async () => {
    const m = await startManagement({ broker, port: 0, host: '127.0.0.1', uiDir: join(dir, 'does-not-exist') });
    try {
      assert.equal((await fetch(`http://127.0.0.1:${m.port}/`)).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${m.port}/api/overview`)).status, 401);
    } finally {
      await m.close();
    }
  });
});
