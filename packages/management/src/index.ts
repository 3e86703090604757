export { startManagement, buildManagementApp, type ManagementOptions, type ManagementServer } from './server.js';
export { StatsCollector } from './stats.js';
