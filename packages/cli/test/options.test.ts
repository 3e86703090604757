import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveServerSettings, UsageError } from '../src/options.js';

describe('warren server settings', () => {
  let dir: string;
  let config: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'warren-options-'));
    config = join(dir, 'warren.json');
    writeFileSync(config, JSON.stringify({ port: 5800, managementPort: 15800, dataDir: 'state', bind: '127.0.0.1', definitions: 'defs.json', heartbeat: 30, frameMax: 65536, channelMax: 100, logLevel: 'warn' }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the operations flags: Prometheus port, TLS, stats', () => {
    const s = resolveServerSettings(['--prometheus-port', '0', '--tls-cert', 'c.pem', '--tls-key', '/k.pem', '--tls-port', '5999', '--stats', 'off'], {}, '/srv');
    assert.deepEqual(s, { prometheusPort: 0, tlsCert: '/srv/c.pem', tlsKey: '/k.pem', tlsPort: 5999, stats: false, logLevel: 'info' });
    assert.equal((resolveServerSettings([], { WARREN_STATS: 'on', WARREN_PROMETHEUS_PORT: '9999' }, '/srv') as { stats: boolean }).stats, true);
    assert.throws(() => resolveServerSettings(['--stats', 'sometimes'], {}, '/srv'), /--stats: expected on or off/);
    assert.throws(() => resolveServerSettings(['--tls-key', 'k.pem'], {}, '/srv'), UsageError);
  });

  it('has no opinion beyond the log level when nothing is given', () => {
    assert.deepEqual(resolveServerSettings([], {}, '/srv'), { logLevel: 'info' });
  });

  it('reads every flag', () => {
    const s = resolveServerSettings(
      ['--port', '0', '--management-port', '15673', '--data-dir', 'data', '--bind', '::1', '--definitions', '/etc/defs.json',
        '--heartbeat', '0', '--frame-max', '4096', '--channel-max', '2047', '--log-level', 'DEBUG'],
      {},
      '/srv',
    );
    assert.deepEqual(s, { port: 0, managementPort: 15673, dataDir: '/srv/data', bind: '::1', definitions: '/etc/defs.json', heartbeat: 0, frameMax: 4096, channelMax: 2047, logLevel: 'debug' });
  });

  it('reads the config file, resolving its paths against its own directory', () => {
    const s = resolveServerSettings(['--config', config], {}, '/elsewhere');
    assert.deepEqual(s, {
      port: 5800, managementPort: 15800, dataDir: join(dir, 'state'), bind: '127.0.0.1', definitions: join(dir, 'defs.json'),
      heartbeat: 30, frameMax: 65536, channelMax: 100, logLevel: 'warn', configFile: config,
    });
  });

  it('ranks flags over environment over config file', () => {
    const env = { WARREN_CONFIG: config, WARREN_PORT: '5900', WARREN_DATA_DIR: 'envdata', WARREN_LOG_LEVEL: 'error', WARREN_BIND: '' };
    const s = resolveServerSettings(['--port', '6000'], env, '/cwd');
    assert.ok(s !== 'help');
    assert.equal(s.port, 6000, 'flag beats env and config');
    assert.equal(s.dataDir, '/cwd/envdata', 'env beats config');
    assert.equal(s.logLevel, 'error');
    assert.equal(s.managementPort, 15800, 'config fills the rest');
    assert.equal(s.bind, '127.0.0.1', 'an empty variable is ignored');
    assert.equal(s.configFile, config);
  });

  it('returns help for -h / --help', () => {
    assert.equal(resolveServerSettings(['--help'], {}, '/'), 'help');
    assert.equal(resolveServerSettings(['-h', '--port', '1'], {}, '/'), 'help');
  });

  it('rejects bad input with a message naming its source', () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--bogus'], {}, /--bogus/],
      [['extra'], {}, /extra/],
      [['--port'], {}, /--port/],
      [['--port', 'abc'], {}, /--port: expected an integer 0-65535, got 'abc'/],
      [['--port', '70000'], {}, /--port: expected an integer 0-65535, got 70000/],
      [['--port', '-1'], {}, /--port/],
      [[], { WARREN_MANAGEMENT_PORT: '1.5' }, /WARREN_MANAGEMENT_PORT: expected an integer/],
      [['--frame-max', '100'], {}, /minimum frame size is 4096/],
      [['--log-level', 'loud'], {}, /--log-level: expected one of trace, debug/],
      [['--config', join(tmpdir(), 'warren-no-such-config.json')], {}, /cannot read config file/],
    ];
    for (const [args, env, message] of cases) {
      assert.throws(() => resolveServerSettings(args, env, '/'), (err: unknown) => err instanceof UsageError && message.test(err.message), `${args.join(' ')} ${JSON.stringify(env)}`);
    }
  });

  it('rejects unknown keys, wrong types and non-objects in the config file', () => {
    const file = (name: string, text: string): string => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const cases: Array<[string, RegExp]> = [
      [file('unknown.json', '{"port": 1, "prot": 2, "log_level": "info"}'), /unknown keys 'prot', 'log_level' \(allowed: port, managementPort/],
      [file('type.json', '{"port": "five"}'), /port: expected an integer 0-65535, got 'five'/],
      [file('float.json', '{"heartbeat": 1.5}'), /heartbeat: expected an integer, got 1.5/],
      [file('path.json', '{"dataDir": 3}'), /dataDir: expected a non-empty string/],
      [file('array.json', '[]'), /must hold a JSON object/],
      [file('broken.json', '{"port": '), /is not valid JSON/],
    ];
    for (const [path, message] of cases) {
      assert.throws(() => resolveServerSettings(['--config', path], {}, '/'), (err: unknown) => err instanceof UsageError && message.test(err.message) && err.message.includes(path), path);
    }
  });

  it('accepts numeric strings in the config file', () => {
    const path = join(dir, 'strings.json');
    writeFileSync(path, '{"port": "5673"}');
    const s = resolveServerSettings([], { WARREN_CONFIG: path }, '/');
    assert.ok(s !== 'help');
    assert.equal(s.port, 5673);
  });
});
