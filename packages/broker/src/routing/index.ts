// Public surface of the routing module.
export { createRouter, type Router, type RouterType } from './router.js';
export type { Binding } from './binding.js';
export { headersBindingArgsError } from './headers-router.js';
