/**
 * Generates src/generated/spec.ts (method types, constants, method and content-header codecs)
 * from the AMQP 0-9-1 spec XML (RabbitMQ's extended edition), merged with
 * spec/rabbitmq-extensions.xml (RabbitMQ methods that XML lacks, in the same dialect).
 *
 *   npm run codegen          # rewrites packages/protocol/src/generated/spec.ts
 *
 * `generate(xml, extensionsXml)` is pure and deterministic, so a test can check that the
 * committed file is exactly what the XML produces.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { XMLParser } from 'fast-xml-parser';

export type Primitive = 'bit' | 'octet' | 'short' | 'long' | 'longlong' | 'shortstr' | 'longstr' | 'table' | 'timestamp';

const PRIMITIVES: ReadonlySet<string> = new Set([
  'bit', 'octet', 'short', 'long', 'longlong', 'shortstr', 'longstr', 'table', 'timestamp',
]);

export interface SpecField {
  /** Spec name, e.g. 'no-ack'. */
  name: string;
  /** camelCase property name. */
  prop: string;
  type: Primitive;
  reserved: boolean;
  /** longstr carried as raw bytes (SASL data) rather than text. */
  binary: boolean;
}

export interface SpecMethod {
  /** 'class.method' as in the XML. */
  fullName: string;
  typeName: string;
  classId: number;
  methodId: number;
  content: boolean;
  fields: SpecField[];
}

export interface SpecModel {
  constants: { name: string; value: number }[];
  methods: SpecMethod[];
  properties: SpecField[];
}

/** longstr arguments that carry binary SASL data: exposed as Buffer. */
const BINARY_LONGSTR = new Set([
  'connection.start.mechanisms',
  'connection.start.locales',
  'connection.start-ok.response',
  'connection.secure.challenge',
  'connection.secure-ok.response',
  'connection.update-secret.new-secret',
]);

/** Basic property names that differ from the camelCased XML name. */
const PROPERTY_RENAMES: Record<string, string> = { reserved: 'clusterId' };

/** Method argument names that differ from the camelCased XML name ('no-wait' → 'nowait', as RabbitMQ's codegen does). */
const ARGUMENT_RENAMES: Record<string, string> = { 'no-wait': 'nowait' };

const TS_TYPES: Record<Primitive, string> = {
  bit: 'boolean',
  octet: 'number',
  short: 'number',
  long: 'number',
  longlong: 'number',
  shortstr: 'string',
  longstr: 'string',
  table: 'FieldTable',
  timestamp: 'number',
};

function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_m: string, c: string) => c.toUpperCase());
}

function pascal(name: string): string {
  const c = camel(name.replace(/\./g, '-'));
  return c.charAt(0).toUpperCase() + c.slice(1);
}

function upperSnake(name: string): string {
  return name.replace(/-/g, '_').toUpperCase();
}

function hex8(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

// ---------------------------------------------------------------- XML → model

type XmlNode = Record<string, unknown>;

function nodes(parent: XmlNode, tag: string): XmlNode[] {
  const v = parent[tag];
  return Array.isArray(v) ? (v as XmlNode[]) : [];
}

function attr(n: XmlNode, name: string): string | undefined {
  const v = n['@_' + name];
  return v === undefined ? undefined : String(v);
}

function requireAttr(n: XmlNode, name: string): string {
  const v = attr(n, name);
  if (v === undefined) throw new Error(`spec XML: missing attribute ${name}`);
  return v;
}

function parseAmqp(xml: string, what: string): XmlNode {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseAttributeValue: false,
    isArray: (name: string) => ['constant', 'domain', 'class', 'method', 'field'].includes(name),
  });
  const doc = parser.parse(xml) as XmlNode;
  const amqp = doc['amqp'] as XmlNode | undefined;
  if (amqp === undefined) throw new Error(`${what}: no <amqp> root`);
  return amqp;
}

/**
 * Appends the methods of each extension <class> to the base class of the same name and index
 * (so they follow the standard methods of that class). Extensions only add: a class the base
 * lacks, a reused method name or index, or anything but classes and domains is an error.
 */
function mergeExtensions(amqp: XmlNode, ext: XmlNode): void {
  for (const key of Object.keys(ext)) {
    if (key !== 'class' && key !== 'domain' && !key.startsWith('@_')) {
      throw new Error(`extensions XML: <${key}> is not supported (only <class> and <domain>)`);
    }
  }
  const domains = nodes(amqp, 'domain');
  for (const d of nodes(ext, 'domain')) {
    const name = requireAttr(d, 'name');
    if (domains.some((b) => attr(b, 'name') === name)) throw new Error(`extensions XML: domain ${name} already exists`);
    domains.push(d);
  }
  amqp['domain'] = domains;
  for (const cls of nodes(ext, 'class')) {
    const className = requireAttr(cls, 'name');
    const base = nodes(amqp, 'class').find((c) => attr(c, 'name') === className);
    if (base === undefined) throw new Error(`extensions XML: class ${className} is not in the base spec`);
    if (attr(base, 'index') !== requireAttr(cls, 'index')) {
      throw new Error(`extensions XML: class ${className} has index ${attr(cls, 'index')}, the base spec ${attr(base, 'index')}`);
    }
    const methods = nodes(base, 'method');
    for (const m of nodes(cls, 'method')) {
      const name = requireAttr(m, 'name');
      const index = requireAttr(m, 'index');
      const clash = methods.find((b) => attr(b, 'name') === name || attr(b, 'index') === index);
      if (clash !== undefined) {
        throw new Error(`extensions XML: ${className}.${name} (index ${index}) clashes with ${className}.${attr(clash, 'name')}`);
      }
      methods.push(m);
    }
    base['method'] = methods;
  }
}

/** Reads the parts of the spec the codec is generated from, with the extensions merged in. */
export function readSpecModel(xml: string, extensionsXml?: string): SpecModel {
  const amqp = parseAmqp(xml, 'spec XML');
  if (extensionsXml !== undefined) mergeExtensions(amqp, parseAmqp(extensionsXml, 'extensions XML'));

  const domains = new Map<string, string>();
  for (const d of nodes(amqp, 'domain')) domains.set(requireAttr(d, 'name'), requireAttr(d, 'type'));

  const resolve = (f: XmlNode, where: string): Primitive => {
    let t = attr(f, 'type') ?? attr(f, 'domain');
    for (let hops = 0; t !== undefined && !PRIMITIVES.has(t) && hops < 16; hops++) t = domains.get(t);
    if (t === undefined || !PRIMITIVES.has(t)) throw new Error(`spec XML: cannot resolve type of ${where}`);
    return t as Primitive;
  };

  const constants = nodes(amqp, 'constant').map((c) => ({
    name: upperSnake(requireAttr(c, 'name')),
    value: Number(requireAttr(c, 'value')),
  }));

  const methods: SpecMethod[] = [];
  let properties: SpecField[] = [];
  for (const cls of nodes(amqp, 'class')) {
    const className = requireAttr(cls, 'name');
    const classId = Number(requireAttr(cls, 'index'));
    if (className === 'basic') {
      properties = nodes(cls, 'field').map((f) => {
        const name = requireAttr(f, 'name');
        return {
          name,
          prop: PROPERTY_RENAMES[name] ?? camel(name),
          type: resolve(f, `basic property ${name}`),
          reserved: false,
          binary: false,
        };
      });
    }
    for (const m of nodes(cls, 'method')) {
      const fullName = `${className}.${requireAttr(m, 'name')}`;
      methods.push({
        fullName,
        typeName: pascal(fullName),
        classId,
        methodId: Number(requireAttr(m, 'index')),
        content: attr(m, 'content') === '1',
        fields: nodes(m, 'field').map((f) => {
          const name = requireAttr(f, 'name');
          return {
            name,
            prop: ARGUMENT_RENAMES[name] ?? camel(name),
            type: resolve(f, `${fullName}.${name}`),
            reserved: attr(f, 'reserved') === '1',
            binary: BINARY_LONGSTR.has(`${fullName}.${name}`),
          };
        }),
      });
    }
  }
  if (properties.length > 15) throw new Error('spec XML: more basic properties than one flag word holds');
  return { constants, methods, properties };
}

// ---------------------------------------------------------------- model → TypeScript

function tsType(f: SpecField): string {
  return f.binary ? 'Buffer' : TS_TYPES[f.type];
}

/** Groups consecutive bit fields (at most 8 per octet, as the spec packs them). */
function argumentGroups(fields: SpecField[]): (SpecField | SpecField[])[] {
  const groups: (SpecField | SpecField[])[] = [];
  let bits: SpecField[] | undefined;
  for (const f of fields) {
    if (f.type === 'bit') {
      if (bits === undefined || bits.length === 8) {
        bits = [];
        groups.push(bits);
      }
      bits.push(f);
    } else {
      bits = undefined;
      groups.push(f);
    }
  }
  return groups;
}

function readExpr(f: SpecField): string {
  switch (f.type) {
    case 'octet':
      return 'r.u8()';
    case 'short':
      return 'r.u16()';
    case 'long':
      return 'r.u32()';
    case 'longlong':
    case 'timestamp':
      return 'r.u64()';
    case 'shortstr':
      return 'r.shortstr()';
    case 'longstr':
      return f.binary ? 'r.longstrBytes()' : 'r.longstr()';
    case 'table':
      return 'readTable(r, 0)';
    case 'bit':
      throw new Error('bits are read per octet');
  }
}

function skipStmt(f: SpecField): string {
  switch (f.type) {
    case 'octet':
      return 'r.skip(1);';
    case 'short':
      return 'r.skip(2);';
    case 'long':
      return 'r.skip(4);';
    case 'longlong':
    case 'timestamp':
      return 'r.skip(8);';
    case 'shortstr':
      return 'r.skipShortstr();';
    case 'longstr':
      return 'r.skipLongstr();';
    case 'table':
      return 'readTable(r, 0);';
    case 'bit':
      throw new Error('bits are skipped per octet');
  }
}

function writeStmt(f: SpecField, value: string): string {
  switch (f.type) {
    case 'octet':
      return `w.u8(${value});`;
    case 'short':
      return `w.u16(${value});`;
    case 'long':
      return `w.u32(${value});`;
    case 'longlong':
    case 'timestamp':
      return `w.u64(${value});`;
    case 'shortstr':
      return `w.shortstr(${value});`;
    case 'longstr':
      return `w.longstr(${value});`;
    case 'table':
      return `w.table(${value});`;
    case 'bit':
      throw new Error('bits are written per octet');
  }
}

function reservedWriteStmt(f: SpecField): string {
  switch (f.type) {
    case 'octet':
    case 'shortstr':
      return 'w.u8(0);';
    case 'short':
      return 'w.u16(0);';
    case 'long':
    case 'longstr':
    case 'table':
      return 'w.u32(0);';
    case 'longlong':
    case 'timestamp':
      return 'w.u64(0);';
    case 'bit':
      throw new Error('bits are written per octet');
  }
}

function emitHeader(out: string[]): void {
  out.push(
    '// GENERATED FILE - DO NOT EDIT.',
    '// Generated by packages/protocol/codegen/generate.ts from',
    '// packages/protocol/spec/amqp0-9-1.stripped.extended.xml and',
    '// packages/protocol/spec/rabbitmq-extensions.xml.',
    '// Regenerate with `npm run codegen` (from the repository root).',
    '',
    "import { ByteCursor } from '../byte-cursor.js';",
    "import { ProtocolError } from '../errors.js';",
    "import { readTable, type FieldTable } from '../field-table.js';",
    "import type { FrameWriter } from '../frame-writer.js';",
    '',
  );
}

function emitConstants(out: string[], model: SpecModel): void {
  out.push('// ---------------------------------------------------------------- constants', '');
  for (const c of model.constants) out.push(`export const ${c.name} = ${c.value};`);
  out.push('');
}

function emitTypes(out: string[], model: SpecModel): void {
  out.push('// ---------------------------------------------------------------- method types', '');
  out.push('export type MethodName =');
  model.methods.forEach((m, i) => {
    out.push(`  | '${m.fullName}'${i === model.methods.length - 1 ? ';' : ''}`);
  });
  out.push('');
  for (const m of model.methods) {
    out.push(`/** ${m.fullName} (class ${m.classId}, method ${m.methodId}) */`);
    out.push(`export interface ${m.typeName} {`);
    out.push(`  name: '${m.fullName}';`);
    for (const f of m.fields) if (!f.reserved) out.push(`  ${f.prop}: ${tsType(f)};`);
    out.push('}', '');
  }
  out.push('export type Method =');
  model.methods.forEach((m, i) => {
    out.push(`  | ${m.typeName}${i === model.methods.length - 1 ? ';' : ''}`);
  });
  out.push('');
}

function emitLookups(out: string[], model: SpecModel): void {
  out.push('// ---------------------------------------------------------------- method ids', '');
  out.push('const METHOD_IDS: Record<MethodName, [classId: number, methodId: number]> = {');
  for (const m of model.methods) out.push(`  '${m.fullName}': [${m.classId}, ${m.methodId}],`);
  out.push('};');
  out.push('for (const ids of Object.values(METHOD_IDS)) Object.freeze(ids);', '');
  out.push('/** Class and method ids of a method (a shared, frozen tuple). */');
  out.push('export function methodIds(name: MethodName): [classId: number, methodId: number] {');
  out.push('  return METHOD_IDS[name];');
  out.push('}', '');
  out.push('export function methodNameOf(classId: number, methodId: number): MethodName | undefined {');
  out.push('  switch (classId * 0x10000 + methodId) {');
  for (const m of model.methods) {
    out.push(`    case ${hex8(m.classId * 0x10000 + m.methodId)}:`);
    out.push(`      return '${m.fullName}';`);
  }
  out.push('    default:');
  out.push('      return undefined;');
  out.push('  }');
  out.push('}', '');
  out.push('/** Whether the method is followed by a content header and body frames. */');
  out.push('export function methodHasContent(classId: number, methodId: number): boolean {');
  out.push('  switch (classId * 0x10000 + methodId) {');
  for (const m of model.methods) {
    if (m.content) out.push(`    case ${hex8(m.classId * 0x10000 + m.methodId)}: // ${m.fullName}`);
  }
  out.push('      return true;');
  out.push('    default:');
  out.push('      return false;');
  out.push('  }');
  out.push('}', '');
}

function objectLiteral(indent: string, entries: string[]): string[] {
  const oneLine = `${indent}return { ${entries.join(', ')} };`;
  if (oneLine.length <= 110) return [oneLine];
  return [`${indent}return {`, ...entries.map((e) => `${indent}  ${e},`), `${indent}};`];
}

function emitDecoder(out: string[], model: SpecModel): void {
  out.push('// ---------------------------------------------------------------- method decoding', '');
  out.push('const r = new ByteCursor();', '');
  out.push('/**');
  out.push(' * Decodes method arguments from `buf[start, end)` (just after the class and method ids).');
  out.push(' * Throws ProtocolError 540 for an unknown method, 502 for truncated or malformed arguments.');
  out.push(' */');
  out.push('export function decodeMethod(classId: number, methodId: number, buf: Buffer, start: number, end: number): Method {');
  out.push('  let m: Method | undefined;');
  out.push('  try {');
  out.push('    m = decodeArguments(classId * 0x10000 + methodId, buf, start, end);');
  out.push('  } catch (e) {');
  out.push('    if (e instanceof ProtocolError && e.classId === 0) throw new ProtocolError(e.code, e.message, classId, methodId);');
  out.push('    throw e;');
  out.push('  }');
  out.push('  if (m === undefined) {');
  out.push('    throw new ProtocolError(540, `NOT_IMPLEMENTED - unknown method class ${classId} method ${methodId}`, classId, methodId);');
  out.push('  }');
  out.push('  return m;');
  out.push('}', '');
  out.push('function decodeArguments(key: number, buf: Buffer, start: number, end: number): Method | undefined {');
  out.push('  r.reset(buf, start, end);');
  out.push('  switch (key) {');
  for (const m of model.methods) {
    out.push(`    case ${hex8(m.classId * 0x10000 + m.methodId)}: {`);
    out.push(`      // ${m.fullName}`);
    const entries = [`name: '${m.fullName}'`];
    let local = 0;
    let bitOctet = 0;
    for (const g of argumentGroups(m.fields)) {
      if (Array.isArray(g)) {
        const live = g.filter((f) => !f.reserved);
        if (live.length === 0) {
          out.push('      r.skip(1);');
          continue;
        }
        const b = `b${bitOctet++}`;
        out.push(`      const ${b} = r.u8();`);
        g.forEach((f, i) => {
          if (!f.reserved) entries.push(`${f.prop}: (${b} & ${1 << i}) !== 0`);
        });
      } else if (g.reserved) {
        out.push(`      ${skipStmt(g)}`);
      } else {
        const v = `f${local++}`;
        out.push(`      const ${v} = ${readExpr(g)};`);
        entries.push(`${g.prop}: ${v}`);
      }
    }
    out.push(...objectLiteral('      ', entries));
    out.push('    }');
  }
  out.push('    default:');
  out.push('      return undefined;');
  out.push('  }');
  out.push('}', '');
}

function emitEncoder(out: string[], model: SpecModel): void {
  out.push('// ---------------------------------------------------------------- method encoding', '');
  out.push('/** Writes a complete method frame (header, class/method ids, arguments, frame end). */');
  out.push('export function encodeMethod(w: FrameWriter, channel: number, m: Method): void {');
  out.push(`  const frame = w.beginFrame(${frameMethodValue(model)}, channel);`);
  out.push('  switch (m.name) {');
  for (const m of model.methods) {
    out.push(`    case '${m.fullName}':`);
    out.push(`      w.u32(${hex8(m.classId * 0x10000 + m.methodId)});`);
    for (const g of argumentGroups(m.fields)) {
      if (Array.isArray(g)) {
        const parts = g.flatMap((f, i) => (f.reserved ? [] : [`(m.${f.prop} ? ${1 << i} : 0)`]));
        out.push(`      w.u8(${parts.length === 0 ? '0' : parts.join(' | ')});`);
      } else if (g.reserved) {
        out.push(`      ${reservedWriteStmt(g)}`);
      } else {
        out.push(`      ${writeStmt(g, `m.${g.prop}`)}`);
      }
    }
    out.push('      break;');
  }
  out.push('    default:');
  out.push('      w.pos = frame;');
  out.push('      throw new TypeError(`cannot encode unknown method ${(m as { name: unknown }).name}`);');
  out.push('  }');
  out.push('  w.endFrame(frame);');
  out.push('}', '');
}

function frameMethodValue(model: SpecModel): number {
  const c = model.constants.find((k) => k.name === 'FRAME_METHOD');
  if (c === undefined) throw new Error('spec XML: no frame-method constant');
  return c.value;
}

function emitProperties(out: string[], model: SpecModel): void {
  const props = model.properties;
  const flag = (i: number): string => '0x' + (0x8000 >> i).toString(16).padStart(4, '0');
  out.push('// ---------------------------------------------------------------- basic properties', '');
  out.push('/** Content header properties of class basic (all optional). */');
  out.push('export interface BasicProperties {');
  for (const p of props) out.push(`  ${p.prop}?: ${tsType(p)};`);
  out.push('}', '');
  out.push('/**');
  out.push(' * Decodes properties from `buf[start, end)`; `start` points at the property flags (content');
  out.push(' * header payload + 12). Extra flag words (continuation bit) are skipped.');
  out.push(' */');
  out.push('export function decodeProperties(buf: Buffer, start: number, end: number): BasicProperties {');
  out.push('  r.reset(buf, start, end);');
  out.push('  const flags = r.u16();');
  out.push('  // Continuation words carry no properties this spec knows; each read consumes 2 bytes, so this ends.');
  out.push('  for (let more = flags; (more & 1) !== 0; ) more = r.u16();');
  out.push('  const p: BasicProperties = {};');
  out.push('  if (flags === 0) return p;');
  props.forEach((f, i) => {
    out.push(`  if ((flags & ${flag(i)}) !== 0) p.${f.prop} = ${readExpr(f)};`);
  });
  out.push('  return p;');
  out.push('}', '');
  out.push('/** Writes the property flags and the values that are present. */');
  out.push('export function encodeProperties(w: FrameWriter, p: BasicProperties): void {');
  out.push('  let flags = 0;');
  props.forEach((f, i) => {
    out.push(`  if (p.${f.prop} != null) flags |= ${flag(i)};`);
  });
  out.push('  w.u16(flags);');
  out.push('  if (flags === 0) return;');
  for (const f of props) out.push(`  if (p.${f.prop} != null) ${writeStmt(f, `p.${f.prop}`)}`);
  out.push('}', '');
  const basic = model.methods.find((m) => m.fullName.startsWith('basic.'));
  const header = model.constants.find((k) => k.name === 'FRAME_HEADER');
  if (basic === undefined || header === undefined) throw new Error('spec XML: no basic class or frame-header');
  out.push('/** Writes a complete content header frame (class basic, weight 0). */');
  out.push('export function encodeContentHeader(w: FrameWriter, channel: number, bodySize: number, p: BasicProperties): void {');
  out.push(`  const frame = w.beginFrame(${header.value}, channel);`);
  out.push(`  w.u16(${basic.classId});`);
  out.push('  w.u16(0);');
  out.push('  w.u64(bodySize);');
  out.push('  encodeProperties(w, p);');
  out.push('  w.endFrame(frame);');
  out.push('}');
}

/** The full source of src/generated/spec.ts for the given spec XML and extensions XML. */
export function generate(xml: string, extensionsXml: string): string {
  const model = readSpecModel(xml, extensionsXml);
  const out: string[] = [];
  emitHeader(out);
  emitConstants(out, model);
  emitTypes(out, model);
  emitLookups(out, model);
  emitDecoder(out, model);
  emitEncoder(out, model);
  emitProperties(out, model);
  return out.join('\n') + '\n';
}

export const SPEC_XML_PATH = fileURLToPath(new URL('../spec/amqp0-9-1.stripped.extended.xml', import.meta.url));
export const EXTENSIONS_XML_PATH = fileURLToPath(new URL('../spec/rabbitmq-extensions.xml', import.meta.url));
export const GENERATED_PATH = fileURLToPath(new URL('../src/generated/spec.ts', import.meta.url));

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(GENERATED_PATH, generate(readFileSync(SPEC_XML_PATH, 'utf8'), readFileSync(EXTENSIONS_XML_PATH, 'utf8')));
  console.log(`wrote ${GENERATED_PATH}`);
}
