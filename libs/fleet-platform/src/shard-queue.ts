/**
 * Settings of the shard queue that every app constructing a BullMQ `Queue` on
 * it must agree on: a `Queue` writes its `streams.events.maxLen` into the
 * queue's meta key when it is created, so the last one created wins.
 */

/**
 * Events kept in the shard queue's event stream. Every `completed` event
 * carries a shard's whole result (≈ 120 kB), so BullMQ's default of 10,000
 * would hold about a gigabyte of Redis; readers (the coordinator's
 * QueueEvents) consume the stream as it goes and need little backlog.
 */
export const SHARD_QUEUE_EVENTS_MAX_LEN = 1000;

/** Options to spread into `new Queue(SHARD_QUEUE, { ... })`. */
export const SHARD_QUEUE_STREAMS = { events: { maxLen: SHARD_QUEUE_EVENTS_MAX_LEN } } as const;
