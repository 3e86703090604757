import { test } from 'node:test';
import fc from 'fast-check';
import { fuzzProperties } from './fuzz-properties.js';

// The same properties run with many more cases by `npm run fuzz`.
for (const { name, property } of fuzzProperties()) {
  test(`fuzz: ${name} decodes or throws ProtocolError`, () => {
    fc.assert(property, { numRuns: 1500 });
  });
}
