/**
 * The apps' logger: Nest's console logger, as text (default) or as one JSON
 * object per line (LOG_FORMAT=json) for log pipelines. A message may be an
 * {@link LogEvent}: its fields (experiment id, shard, job id…) become fields
 * of the JSON line, or `key=value` pairs after the text.
 */
import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { readChoice } from './config';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

type Env = Record<string, string | undefined>;

/** LOG_FORMAT (default text). */
export function readLogFormat(env: Env): LogFormat {
  return readChoice(env, 'LOG_FORMAT', LOG_FORMATS, 'text');
}

/** A log line with fields: `{ message, experimentId, shard, … }`. */
export interface LogEvent {
  message: string;
  [field: string]: string | number | boolean | null | undefined;
}

function isEvent(message: unknown): message is LogEvent {
  return (
    message !== null &&
    typeof message === 'object' &&
    typeof (message as { message?: unknown }).message === 'string'
  );
}

/** Nest's console logger, with {@link LogEvent} fields flattened into the line. */
export class FleetLogger extends ConsoleLogger {
  constructor(readonly format: LogFormat) {
    super(format === 'json' ? { json: true, colors: false } : {});
  }

  protected override getJsonLogObject(
    message: unknown,
    options: Parameters<ConsoleLogger['getJsonLogObject']>[1],
  ): ReturnType<ConsoleLogger['getJsonLogObject']> {
    const line = super.getJsonLogObject(message, options);
    if (isEvent(message)) {
      const { message: text, ...fields } = message;
      return { ...fields, ...line, message: text };
    }
    return line;
  }

  protected override stringifyMessage(message: unknown, logLevel: LogLevel): string {
    if (isEvent(message)) {
      const { message: text, ...fields } = message;
      const pairs = Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${String(v)}`);
      return super.stringifyMessage(
        pairs.length ? `${text} (${pairs.join(' ')})` : text,
        logLevel,
      ) as string;
    }
    return super.stringifyMessage(message, logLevel) as string;
  }
}
