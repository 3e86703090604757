import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { generate, GENERATED_PATH } from '../codegen/generate.js';
import { specModel, specXml } from './helpers.js';

test('regenerating from the spec XML reproduces the committed spec.ts byte for byte', () => {
  assert.equal(generate(specXml), readFileSync(GENERATED_PATH, 'utf8'));
});

test('generation is deterministic', () => {
  assert.equal(generate(specXml), generate(specXml));
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
  const src = generate(specXml);
  const declare = src.slice(src.indexOf("case 'queue.declare':"), src.indexOf("case 'queue.declare-ok':"));
  assert.match(declare, /w\.u8\(\(m\.passive \? 1 : 0\) \| \(m\.durable \? 2 : 0\) \| \(m\.exclusive \? 4 : 0\) \| \(m\.autoDelete \? 8 : 0\) \| \(m\.nowait \? 16 : 0\)\);/);
  const iface = src.slice(src.indexOf('export interface ConnectionOpen {'), src.indexOf('export interface ConnectionOpenOk {'));
  assert.doesNotMatch(iface, /reserved/);
  assert.match(iface, /virtualHost: string;/);
});

test('generation rejects a field whose domain cannot be resolved', () => {
  const broken = specXml.replace('<field name="prefetch-size" domain="long"/>', '<field name="prefetch-size" domain="nonexistent"/>');
  assert.throws(() => generate(broken), /cannot resolve type of basic\.qos\.prefetch-size/);
});
