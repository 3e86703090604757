export * from './password.js';
export * from './access-control.js';
export * from './definitions.js';
