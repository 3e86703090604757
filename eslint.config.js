// ESLint flat config: typescript-eslint's recommended rules over the TypeScript sources, tests and
// scripts. Generated and built files are not linted.
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Node's globals, for the few plain .js files (TypeScript files get them from @types/node).
const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'queueMicrotask'].map((name) => [name, 'readonly']),
);

export default defineConfig(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'packages/protocol/src/generated/**', 'bench/results/**', 'test-artifacts/**', 'scratch/**'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: nodeGlobals },
    rules: {
      // `_`-prefixed names mark deliberately unused parameters and bindings
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
);
