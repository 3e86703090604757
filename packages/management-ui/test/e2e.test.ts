// End-to-end tests of the management UI in real Chromium (Debian's `chromium` through playwright-core).
// Warren is started in-process (AMQP on a free port) with its management server (API + this UI's
// dist/) on another; an amqplib publisher and consumer keep traffic flowing so the rates move.
// Every page gets a screenshot in test-artifacts/ui/.
//
// With UI_E2E_BASE_URL (a server that serves this UI and proxies /api, e.g. `vite preview` in front of
// a RabbitMQ) and WARREN_TEST_URL (that broker's AMQP URL) the same tests run against RabbitMQ.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { chromium, type Browser, type Page } from 'playwright-core';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(packageDir, '..', '..');
const distDir = join(packageDir, 'dist');
const artifacts = join(repoRoot, 'test-artifacts', 'ui');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Upper bound for any single wait on the page; rates need two 5 s polls after traffic starts. */
const WAIT_MS = 30_000;
/** The publisher stops by itself after this many messages, whatever happens to the test. */
const PUBLISH_LIMIT = 20_000;

const QUEUE = 'ui-e2e-queue';
const RATE_QUEUE = 'ui-e2e-rate';
const PAYLOAD = 'hello from the Warren UI test ✓';

// ---------------------------------------------------------------- build, broker, browser

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Builds dist/ with vite when it is missing or older than any source file. */
async function ensureBuilt(): Promise<void> {
  const index = join(distDir, 'index.html');
  const sources = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((p) => join(packageDir, p));
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources.map(newestMtime))) return;
  const { build } = await import('vite');
  await build({ root: packageDir, configFile: join(packageDir, 'vite.config.ts'), logLevel: 'warn' });
}

interface Target {
  baseUrl: string;
  amqpUrl: string;
  close(): Promise<void>;
}

/** Warren in-process: the broker on a free port plus its management server (API + UI) on another. */
async function startWarren(): Promise<Target> {
  const { pino } = await import('pino');
  const { startBroker } = await import('@warren/broker');
  const { startManagement } = await import('@warren/management');
  const broker = await startBroker({ port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
  const management = await startManagement({ broker, port: 0, host: '127.0.0.1', uiDir: distDir });
  return {
    baseUrl: `http://127.0.0.1:${management.port}/`,
    amqpUrl: `amqp://guest:guest@127.0.0.1:${broker.port}/`,
    close: async () => {
      await management.close();
      await broker.close('test finished');
    },
  };
}

async function startTarget(): Promise<Target> {
  const baseUrl = process.env.UI_E2E_BASE_URL;
  const amqpUrl = process.env.WARREN_TEST_URL;
  if (baseUrl && amqpUrl) return { baseUrl, amqpUrl, close: async () => {} };
  return startWarren();
}

/** A publisher and a consumer on RATE_QUEUE, so the overview's rates are non-zero while tests run. */
async function startTraffic(amqpUrl: string) {
  const connection = await amqp.connect(amqpUrl);
  const channel = await connection.createChannel();
  await channel.assertQueue(RATE_QUEUE, { durable: false, autoDelete: false });
  await channel.consume(RATE_QUEUE, () => {}, { noAck: true });
  let sent = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < 10 && sent < PUBLISH_LIMIT; i++, sent++) channel.sendToQueue(RATE_QUEUE, Buffer.from(`tick ${sent}`));
    if (sent >= PUBLISH_LIMIT) clearInterval(timer);
  }, 50);
  return {
    stop: async () => {
      clearInterval(timer);
      await channel.deleteQueue(RATE_QUEUE).catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}

// ---------------------------------------------------------------- page helpers

let target: Target;
let browser: Browser;
let page: Page;
let traffic: { stop(): Promise<void> } | undefined;
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

async function go(hash: string, pageTestId: string): Promise<void> {
  await page.goto(new URL(hash, target.baseUrl).href);
  await page.getByTestId(pageTestId).waitFor({ timeout: WAIT_MS });
}

/** The row of a list table whose data-name is `name`. */
function row(testid: string, name: string) {
  return page.locator(`[data-testid="${testid}"][data-name="${name.replace(/["\\]/g, '\\$&')}"]`);
}

/** Waits for the success message of an action in `scope`; an API error shown there instead fails at once. */
async function noticeSays(scope: ReturnType<Page['locator']> | Page, text: string): Promise<void> {
  const notice = scope.getByTestId('notice').filter({ hasText: text }).first();
  const error = scope.getByTestId('error').first();
  await notice.or(error).waitFor({ timeout: WAIT_MS });
  if (await error.isVisible()) assert.fail(`expected "${text}", the UI shows an error: ${await error.textContent()}`);
}

/** Clicks a two-step button: the button, then its confirmation. */
async function confirmClick(scope: ReturnType<Page['locator']>, testid: string): Promise<void> {
  await scope.getByTestId(testid).click();
  await scope.getByTestId(`${testid}-confirm`).click();
}

async function numberIn(testid: string): Promise<number> {
  const text = (await page.getByTestId(testid).textContent()) ?? '';
  return Number.parseFloat(text.replace(/,/g, ''));
}

// ---------------------------------------------------------------- the tests

describe('management UI in Chromium', () => {
  before(async () => {
    if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    // screenshots of an earlier run must not pass for this run's
    rmSync(artifacts, { recursive: true, force: true });
    mkdirSync(artifacts, { recursive: true });
    await ensureBuilt();
    target = await startTarget();
    traffic = await startTraffic(target.amqpUrl);
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  after(async () => {
    await browser?.close();
    await traffic?.stop();
    await target?.close();
  });

  test('serves the UI and rejects a wrong password with a clear error', async () => {
    await go('#/', 'page-login');
    await shot('login');
    await page.getByTestId('login-username').fill('guest');
    await page.getByTestId('login-password').fill('not-the-password');
    await page.getByTestId('login-submit').click();
    const error = page.getByTestId('page-login').getByTestId('error');
    await error.waitFor({ timeout: WAIT_MS });
    assert.match((await error.textContent()) ?? '', /401/);
    await shot('login-failed');
  });

  test('logs in as guest and keeps the session across a reload', async () => {
    await page.getByTestId('login-password').fill('guest');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('page-overview').waitFor({ timeout: WAIT_MS });
    assert.match((await page.getByTestId('current-user').textContent()) ?? '', /guest/);
    await page.reload();
    await page.getByTestId('page-overview').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId('page-login').count(), 0);
  });

  test('creates a queue from the queues page', async () => {
    await go('#/queues', 'page-queues');
    const form = page.getByTestId('add-queue-form');
    await form.getByTestId('add-queue-name').fill(QUEUE);
    await form.getByTestId('add-queue-submit').click();
    await noticeSays(form, `Queue ${QUEUE} added`);
    await row('queue-row', QUEUE).waitFor({ timeout: WAIT_MS });
    await shot('queues');
  });

  test('shows the API\'s error reason when a queue is redeclared with other properties', async () => {
    const form = page.getByTestId('add-queue-form');
    await form.getByTestId('add-queue-name').fill(QUEUE);
    await form.getByTestId('add-queue-durable').selectOption('transient');
    await form.getByTestId('add-queue-submit').click();
    const error = form.getByTestId('error');
    await error.waitFor({ timeout: WAIT_MS });
    const text = (await error.textContent()) ?? '';
    assert.match(text, /^4\d\d /, `an HTTP 4xx status in: ${text}`);
    assert.match(text, /durable/, `the reason names the inequivalent argument: ${text}`);
    await shot('queues-error');
  });

  test('publishes a message to the queue and gets it back with its payload', async () => {
    await row('queue-row', QUEUE).getByTestId('queue-link').click();
    await page.getByTestId('page-queue').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId('queue-name').textContent(), QUEUE);

    const publish = page.getByTestId('queue-publish');
    await publish.getByTestId('publish-payload').fill(PAYLOAD);
    await publish.getByTestId('publish-headers').fill('{"x-test": "e2e"}');
    await publish.getByTestId('publish-submit').click();
    await noticeSays(publish, 'Message published.');
    await page.getByTestId('queue-detail-ready').filter({ hasText: /^1$/ }).waitFor({ timeout: WAIT_MS });

    const get = page.getByTestId('queue-get');
    await get.getByTestId('get-submit').click();
    const message = get.getByTestId('message');
    await message.waitFor({ timeout: WAIT_MS });
    assert.equal(await message.getByTestId('message-payload').textContent(), PAYLOAD);
    assert.match((await message.textContent()) ?? '', /x-test/);
    await shot('queue');
  });

  test('purges the queue', async () => {
    // the default ack mode requeued the message: it is still there to purge
    await page.getByTestId('queue-detail-ready').filter({ hasText: /^1$/ }).waitFor({ timeout: WAIT_MS });
    const danger = page.getByTestId('queue-danger');
    await confirmClick(danger, 'queue-purge');
    await noticeSays(page.getByTestId('page-queue'), `Queue ${QUEUE} purged`);
    await page.getByTestId('queue-detail-ready').filter({ hasText: /^0$/ }).waitFor({ timeout: WAIT_MS });
    const get = page.getByTestId('queue-get');
    await get.getByTestId('get-submit').click();
    await noticeSays(get, 'Queue is empty.');
  });

  test('shows the publish rate moving on the overview', async () => {
    await go('#/', 'page-overview');
    await page.waitForFunction(
      () => Number.parseFloat(document.querySelector('[data-testid="rate-publish"]')?.textContent ?? '') > 0,
      undefined,
      { timeout: WAIT_MS, polling: 500 },
    );
    assert.ok((await numberIn('rate-publish')) > 0);
    // the figures are live: the published total grows from one 5 s poll to the next
    const publishedBefore = await numberIn('total-published');
    await page.waitForFunction(
      (before) => Number.parseFloat((document.querySelector('[data-testid="total-published"]')?.textContent ?? '').replace(/,/g, '')) > before,
      publishedBefore,
      { timeout: WAIT_MS, polling: 500 },
    );
    // the chart's publish line has two samples at least and rises above the zero line
    await page.waitForFunction(
      () => {
        const svg = document.querySelector('[data-testid="chart-rates"] svg');
        const line = svg?.querySelector('[data-testid="line-rate-publish"]');
        if (!svg || !line) return false;
        const zeroY = Number(svg.getAttribute('data-zero-y'));
        const ys = (line.getAttribute('points') ?? '').split(' ').map((p) => Number(p.split(',')[1]));
        return ys.length >= 2 && Math.min(...ys) < zeroY;
      },
      undefined,
      { timeout: WAIT_MS, polling: 500 },
    );
    assert.ok((await numberIn('total-connections')) >= 1);
    assert.ok((await numberIn('total-queues')) >= 2);
    await shot('overview');
  });

  test('lists connections and closes one', async () => {
    const doomed = await amqp.connect(target.amqpUrl, { clientProperties: { connection_name: 'ui-e2e-doomed' } });
    const closed = new Promise<Error | undefined>((resolve) => {
      doomed.on('error', (err: Error) => resolve(err));
      doomed.on('close', (err?: Error) => resolve(err));
    });
    try {
      await go('#/connections', 'page-connections');
      const doomedRow = page.getByTestId('connection-row').filter({ hasText: 'ui-e2e-doomed' });
      await doomedRow.waitFor({ timeout: WAIT_MS });
      assert.ok((await page.getByTestId('connection-row').count()) >= 2, 'the traffic connection is listed too');
      await shot('connections');
      await confirmClick(doomedRow, 'connection-close');
      await noticeSays(page, 'closed');
      const err = await closed;
      assert.match(String(err?.message), /320/, `the client saw connection.close 320: ${String(err?.message)}`);
      await doomedRow.waitFor({ state: 'detached', timeout: WAIT_MS });
    } finally {
      await doomed.close().catch(() => undefined);
    }
  });

  test('lists channels', async () => {
    await go('#/channels', 'page-channels');
    await page.getByTestId('channel-row').first().waitFor({ timeout: WAIT_MS });
    await shot('channels');
  });

  test('adds an exchange, publishes to it and deletes it', async () => {
    await go('#/exchanges', 'page-exchanges');
    await row('exchange-row', 'amq.topic').waitFor({ timeout: WAIT_MS });
    const form = page.getByTestId('add-exchange-form');
    await form.getByTestId('add-exchange-name').fill('ui-e2e-exchange');
    await form.getByTestId('add-exchange-type').selectOption('fanout');
    await form.getByTestId('add-exchange-submit').click();
    await noticeSays(form, 'Exchange ui-e2e-exchange added');
    await shot('exchanges');

    await row('exchange-row', 'ui-e2e-exchange').getByTestId('exchange-link').click();
    await page.getByTestId('page-exchange').waitFor({ timeout: WAIT_MS });
    const publish = page.getByTestId('exchange-publish');
    await publish.getByTestId('publish-routing-key').fill('any');
    await publish.getByTestId('publish-payload').fill('nobody listens');
    await publish.getByTestId('publish-submit').click();
    await noticeSays(publish, 'not routed');
    await shot('exchange');

    await confirmClick(page.getByTestId('page-exchange'), 'exchange-delete');
    await noticeSays(page, 'Exchange ui-e2e-exchange deleted');
    await go('#/exchanges', 'page-exchanges');
    await row('exchange-row', 'amq.topic').waitFor({ timeout: WAIT_MS });
    assert.equal(await row('exchange-row', 'ui-e2e-exchange').count(), 0);
  });

  test('adds a vhost and a user with tags, sets and clears permissions, deletes both', async () => {
    await go('#/vhosts', 'page-vhosts');
    await page.getByTestId('add-vhost-name').fill('ui-e2e-vhost');
    await page.getByTestId('add-vhost-submit').click();
    await noticeSays(page.getByTestId('add-vhost-form'), 'Virtual host ui-e2e-vhost added');
    await row('vhost-row', 'ui-e2e-vhost').waitFor({ timeout: WAIT_MS });
    await shot('vhosts');

    await go('#/users', 'page-users');
    await page.getByTestId('add-user-name').fill('ui-e2e-user');
    await page.getByTestId('add-user-password').fill('s3cret-Pw');
    await page.getByTestId('add-user-tags').fill('monitoring, policymaker');
    await page.getByTestId('add-user-submit').click();
    await noticeSays(page.getByTestId('add-user-form'), 'User ui-e2e-user added');
    const user = row('user-row', 'ui-e2e-user');
    await user.waitFor({ timeout: WAIT_MS });
    const shownTags = (await user.getByTestId('user-tags').textContent()) ?? '';
    assert.match(shownTags, /monitoring/);
    assert.match(shownTags, /policymaker/);
    await shot('users');

    await go('#/permissions', 'page-permissions');
    const form = page.getByTestId('set-permission-form');
    // selectOption waits until the option is there (the lists load after the page)
    await form.getByTestId('set-permission-user').selectOption('ui-e2e-user', { timeout: WAIT_MS });
    await form.getByTestId('set-permission-vhost').selectOption('ui-e2e-vhost', { timeout: WAIT_MS });
    await form.getByTestId('set-permission-submit').click();
    await noticeSays(form, 'Permissions of ui-e2e-user in ui-e2e-vhost set');
    const permission = row('permission-row', 'ui-e2e-user@ui-e2e-vhost');
    await permission.waitFor({ timeout: WAIT_MS });
    await shot('permissions');
    await confirmClick(permission, 'permission-clear');
    await permission.waitFor({ state: 'detached', timeout: WAIT_MS });

    // a monitoring user may log in but not list users: the API's refusal is shown, the session stays
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const other = await context.newPage();
      other.on('pageerror', (err) => pageErrors.push(err.message));
      await other.goto(new URL('#/users', target.baseUrl).href);
      await other.getByTestId('login-username').fill('ui-e2e-user');
      await other.getByTestId('login-password').fill('s3cret-Pw');
      await other.getByTestId('login-submit').click();
      const refused = other.getByTestId('page-users').getByTestId('error');
      await refused.waitFor({ timeout: WAIT_MS });
      assert.match((await refused.textContent()) ?? '', /^40[13] /);
      assert.match((await other.getByTestId('current-user').textContent()) ?? '', /ui-e2e-user.*monitoring/);
      await other.screenshot({ path: join(artifacts, 'users-refused.png'), fullPage: true });
      await other.getByTestId('nav-overview').click();
      await other.getByTestId('page-overview').waitFor({ timeout: WAIT_MS });
      assert.equal(await other.getByTestId('page-login').count(), 0, 'still logged in after the refusal');
    } finally {
      await context.close();
    }

    await go('#/users', 'page-users');
    await confirmClick(row('user-row', 'ui-e2e-user'), 'user-delete');
    await row('user-row', 'ui-e2e-user').waitFor({ state: 'detached', timeout: WAIT_MS });
    await go('#/vhosts', 'page-vhosts');
    await confirmClick(row('vhost-row', 'ui-e2e-vhost'), 'vhost-delete');
    await row('vhost-row', 'ui-e2e-vhost').waitFor({ state: 'detached', timeout: WAIT_MS });
  });

  test('adds and deletes a policy', async () => {
    await go('#/policies', 'page-policies');
    await page.getByTestId('add-policy-name').fill('ui-e2e-policy');
    await page.getByTestId('add-policy-pattern').fill('^ui-e2e-');
    await page.getByTestId('add-policy-definition').fill('{"max-length": 100}');
    await page.getByTestId('add-policy-submit').click();
    await noticeSays(page.getByTestId('add-policy-form'), 'Policy ui-e2e-policy set');
    const policy = row('policy-row', 'ui-e2e-policy');
    await policy.waitFor({ timeout: WAIT_MS });
    assert.match((await policy.textContent()) ?? '', /max-length: 100/);
    await shot('policies');
    await confirmClick(policy, 'policy-delete');
    await policy.waitFor({ state: 'detached', timeout: WAIT_MS });
  });

  test('downloads the definitions and imports a definitions file', async () => {
    await go('#/definitions', 'page-definitions');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT_MS }), page.getByTestId('definitions-download').click()]);
    const file = await download.path();
    const exported = JSON.parse(readFileSync(file, 'utf8')) as { queues?: { name: string }[]; users?: { name: string }[] };
    assert.ok(exported.queues?.some((q) => q.name === QUEUE), 'the export holds the queue made through the UI');
    assert.ok(exported.users?.some((u) => u.name === 'guest'));

    const imported = { queues: [{ name: 'ui-e2e-imported', vhost: '/', durable: true, auto_delete: false, arguments: {} }] };
    await page.getByTestId('definitions-file').setInputFiles({ name: 'defs.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(imported)) });
    await page.getByTestId('definitions-upload').click();
    await noticeSays(page, 'Definitions from defs.json imported');
    await shot('definitions');

    await go('#/queues', 'page-queues');
    await row('queue-row', 'ui-e2e-imported').waitFor({ timeout: WAIT_MS });
  });

  test('deletes the queues made by the tests', async () => {
    for (const name of ['ui-e2e-imported', QUEUE]) {
      await go(`#/queues/%2F/${encodeURIComponent(name)}`, 'page-queue');
      await page.getByTestId('queue-details').waitFor({ timeout: WAIT_MS });
      await confirmClick(page.getByTestId('queue-danger'), 'queue-delete');
      await noticeSays(page, `Queue ${name} deleted`);
    }
    await go('#/queues', 'page-queues');
    await row('queue-row', RATE_QUEUE).waitFor({ timeout: WAIT_MS });
    assert.equal(await row('queue-row', QUEUE).count(), 0);
  });

  test('raised no script errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
