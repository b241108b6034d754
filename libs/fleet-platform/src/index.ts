/**
 * fleet-platform: what the coordinator and the node-workers share beyond the
 * simulation core — validated configuration and connection settings. Apps only.
 */
export * from './config';
