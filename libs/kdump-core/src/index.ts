/**
 * kdump-core: the pure simulation of a fleet crashing down the kdump path and
 * rebooting. No I/O, no clock, no global randomness: the same spec and seed give
 * the same bytes in a worker thread, a BullMQ worker or a unit test.
 */
export * from './aggregate';
export * from './catalogue';
export * from './compile';
export * from './crash-layout';
export * from './distribution';
export * from './engine';
export * from './experiment';
export * from './histogram';
export * from './outcome';
export * from './prng';
export * from './report';
export * from './report-format';
export * from './report-html';
export * from './report-schema';
export * from './shard-plan';
export * from './spec';
export * from './spec-schema';
export * from './statistics';
export * from './thresholds';
export * from './report-csv';
export * from './trace';
export * from './job-outcome';
export * from './trace-request';
export * from './refusal';
export * from './jobs';
export * from './spec-path';
export * from './sweep';
export * from './crashkernel-sizing';
export * from './sensitivity';
export * from './decision-format';
export * from './rollout-spec';
export * from './rollout-waves';
export * from './rollout-reboots';
export * from './rollout-report';
export * from './rollout-format';
export * from './rollout-html';
export * from './coupling-aggregate';
export * from './coupling-report';
export * from './coupling-spec';
export * from './domain-crash-outcome';
export * from './domain-layout';
export * from './dump-server';
export * from './erlang-c';
export * from './event-queue';
export * from './failure-domains';
export * from './decision-runs';
