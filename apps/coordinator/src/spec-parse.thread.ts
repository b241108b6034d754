/**
 * The coordinator's spec-parsing thread: parses spec text off the event loop,
 * so a large YAML spec (seconds of parsing for a megabyte of small keys) never
 * stops `/health`, `/metrics` or other requests from being answered.
 *
 * Input:  `{ id, text }` messages. Output: `{ id, result }` with the
 * {@link SpecResult} of `parseSpecText(text)` (plain data: structured clone).
 */
import { parentPort } from 'node:worker_threads';
import { parseSpecText } from '../../../libs/kdump-core/src';

/** A request to the thread. */
export interface SpecParseRequest {
  id: number;
  text: string;
}

parentPort?.on('message', ({ id, text }: SpecParseRequest) => {
  parentPort!.postMessage({ id, result: parseSpecText(text) });
});
