import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseSpecText, type SpecResult } from '../../../../libs/kdump-core/src';

/** The compiled thread script next to the compiled services (absent when running from TypeScript). */
export const SPEC_PARSE_THREAD = join(__dirname, '..', 'spec-parse.thread.js');

/**
 * Parses specs on a thread of its own, one at a time, so parsing never blocks
 * the event loop. Bounds come first in the core (size, depth, keys per map),
 * but a megabyte of YAML still takes seconds to read. Where the compiled
 * thread script does not exist (tests running the TypeScript sources), it
 * parses inline. A thread that dies fails the requests it held and is
 * started again on the next one.
 */
@Injectable()
export class SpecParser implements OnApplicationShutdown {
  private readonly logger = new Logger('SpecParser');
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (r: SpecResult) => void; reject: (e: Error) => void }
  >();

  private threadFile: string | null = existsSync(SPEC_PARSE_THREAD) ? SPEC_PARSE_THREAD : null;

  /** A parser on the given compiled thread script, or inline with null (tests). */
  static using(threadFile: string | null): SpecParser {
    const parser = new SpecParser();
    parser.threadFile = threadFile;
    return parser;
  }

  /** Whether specs are parsed on a thread (else inline). */
  get threaded(): boolean {
    return this.threadFile !== null;
  }

  parse(text: string): Promise<SpecResult> {
    if (this.threadFile === null) {
      return Promise.resolve(parseSpecText(text));
    }
    const worker = this.thread(this.threadFile);
    const id = this.nextId++;
    return new Promise<SpecResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, text });
    });
  }

  private thread(file: string): Worker {
    if (this.worker) {
      return this.worker;
    }
    const worker = new Worker(file);
    // An idle thread must not keep the process alive.
    worker.unref();
    worker.on('message', ({ id, result }: { id: number; result: SpecResult }) => {
      const request = this.pending.get(id);
      this.pending.delete(id);
      request?.resolve(result);
    });
    const fail = (err: Error) => {
      this.logger.error(`the spec-parsing thread failed: ${err.message}`);
      this.worker = null;
      for (const request of this.pending.values()) {
        request.reject(err);
      }
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.worker === worker) {
        fail(new Error(`the spec-parsing thread exited with code ${code}`));
      }
    });
    this.worker = worker;
    return worker;
  }

  async onApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }
}
