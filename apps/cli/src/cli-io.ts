/**
 * The CLI's side of the terminal: text to stdout, text to stderr, and a stream
 * for the progress bar when stderr is a terminal. Commands take it as a parameter.
 */
import type { ProgressStream } from './progress';

/** A refusal before anything ran: exit 2 with a one-line message and the usage hint. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** stderr when it is a TTY, else null: no progress bar. */
  progressStream: ProgressStream | null;
  /**
   * Calls `handler` on the first Ctrl-C (SIGINT) instead of the default exit;
   * returns a function that removes it. Absent: Ctrl-C is left alone.
   */
  onInterrupt?(handler: () => void): () => void;
}

/** The process's own streams. */
export function processIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    progressStream: process.stderr.isTTY ? process.stderr : null,
    onInterrupt: (handler) => {
      process.once('SIGINT', handler);
      return () => void process.removeListener('SIGINT', handler);
    },
  };
}
