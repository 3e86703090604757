import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { generate, GENERATED_PATH, readSpecModel } from '../codegen/generate.js';
import { extensionsXml, specModel, specXml } from './helpers.js';

test('regenerating from the spec XML and the extensions XML reproduces the committed spec.ts byte for byte', () => {
  assert.equal(generate(specXml, extensionsXml), readFileSync(GENERATED_PATH, 'utf8'));
});

test('generation is deterministic', () => {
  assert.equal(generate(specXml, extensionsXml), generate(specXml, extensionsXml));
});

test('the model covers the extended spec', () => {
  const names = specModel.methods.map((m) => m.fullName);
  assert.equal(names.length, new Set(names).size);
  for (const n of ['connection.start', 'basic.nack', 'confirm.select-ok', 'exchange.bind', 'exchange.unbind-ok', 'basic.get-empty']) {
    assert.ok(names.includes(n), n);
  }
  assert.equal(specModel.properties.length, 14);
  assert.equal(specModel.properties[13]!.prop, 'clusterId');
});

test('consecutive bits pack into one octet and reserved fields are kept out of the types', () => {
  const src = generate(specXml, extensionsXml);
  const declare = src.slice(src.indexOf("case 'queue.declare':"), src.indexOf("case 'queue.declare-ok':"));
  assert.match(declare, /w\.u8\(\(m\.passive \? 1 : 0\) \| \(m\.durable \? 2 : 0\) \| \(m\.exclusive \? 4 : 0\) \| \(m\.autoDelete \? 8 : 0\) \| \(m\.nowait \? 16 : 0\)\);/);
  const iface = src.slice(src.indexOf('export interface ConnectionOpen {'), src.indexOf('export interface ConnectionOpenOk {'));
  assert.doesNotMatch(iface, /reserved/);
  assert.match(iface, /virtualHost: string;/);
});

test('generation rejects a field whose domain cannot be resolved', () => {
  const broken = specXml.replace('<field name="prefetch-size" domain="long"/>', '<field name="prefetch-size" domain="nonexistent"/>');
  assert.throws(() => generate(broken, extensionsXml), /cannot resolve type of basic\.qos\.prefetch-size/);
});

test("RabbitMQ's extension methods follow the standard connection methods", () => {
  const connection = specModel.methods.filter((m) => m.classId === 10);
  assert.deepEqual(
    connection.slice(-5).map((m) => [m.fullName, m.methodId]),
    [
      ['connection.close-ok', 51],
      ['connection.blocked', 60],
      ['connection.unblocked', 61],
      ['connection.update-secret', 70],
      ['connection.update-secret-ok', 71],
    ],
  );
  const names = specModel.methods.map((m) => m.fullName);
  assert.equal(names[names.indexOf('connection.update-secret-ok') + 1], 'channel.open');
  const secret = specModel.methods.find((m) => m.fullName === 'connection.update-secret')!;
  assert.deepEqual(
    secret.fields.map((f) => [f.prop, f.type, f.binary]),
    [['newSecret', 'longstr', true], ['reason', 'shortstr', false]],
  );
  // Without the extensions the base spec alone knows none of them.
  const base = readSpecModel(specXml).methods.map((m) => m.fullName);
  assert.equal(base.length, names.length - 4);
  assert.ok(!base.includes('connection.blocked'));
});

test('merging rejects extensions that clash with or miss the base spec', () => {
  const ext = (body: string): string => `<amqp major="0" minor="9" revision="1">${body}</amqp>`;
  const method = (name: string, index: number): string => `<method name="${name}" index="${index}"><field name="x" domain="octet"/></method>`;
  assert.throws(() => readSpecModel(specXml, ext(`<class name="connection" index="10">${method('tune', 99)}</class>`)), /connection\.tune \(index 99\) clashes with connection\.tune/);
  assert.throws(() => readSpecModel(specXml, ext(`<class name="connection" index="10">${method('nudge', 30)}</class>`)), /clashes with connection\.tune$/);
  assert.throws(() => readSpecModel(specXml, ext(`<class name="connection" index="11">${method('nudge', 99)}</class>`)), /class connection has index 11, the base spec 10/);
  assert.throws(() => readSpecModel(specXml, ext(`<class name="stream" index="80">${method('nudge', 10)}</class>`)), /class stream is not in the base spec/);
  assert.throws(() => readSpecModel(specXml, ext('<constant name="x" value="1"/>')), /<constant> is not supported/);
  assert.throws(() => readSpecModel(specXml, ext('<domain name="octet" type="octet"/>')), /domain octet already exists/);
  assert.throws(() => readSpecModel(specXml, '<nothing/>'), /extensions XML: no <amqp> root/);
});

test('an extension domain resolves like a base one', () => {
  const ext = '<amqp><domain name="secret" type="longstr"/><class name="connection" index="10">'
    + '<method name="nudge" index="99"><field name="token" domain="secret"/></method></class></amqp>';
  const nudge = readSpecModel(specXml, ext).methods.find((m) => m.fullName === 'connection.nudge')!;
  assert.deepEqual(nudge.fields.map((f) => [f.prop, f.type]), [['token', 'longstr']]);
});
