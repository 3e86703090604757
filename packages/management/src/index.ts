export { startManagement, buildManagementApp, type ManagementOptions, type ManagementServer } from './server.js';
export { StatsCollector } from './stats.js';
export { startPrometheus, buildRegistry, type PrometheusOptions } from './prometheus.js';
export { runtimeStore as attachRuntimeStore } from './runtime-store.js';
