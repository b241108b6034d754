/**
 * The queue UI for ops: bull-board at `/queues`, over the coordinator's own
 * BullMQ queues (shards, traces, and the experiments queue with the merge parents and
 * plan gates). Read-only unless QUEUE_UI=read-write; absent with QUEUE_UI=off.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { INestApplication } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { QueueUiMode } from './config/coordinator.config';

/** Where the queue UI is mounted. */
export const QUEUE_UI_PATH = '/queues';

/** Methods a read-only board still answers: looking, never touching. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Mounts bull-board on the app's Express instance. In read-only mode every
 * queue is a read-only bull-board queue (the UI hides retry, clean, pause,
 * promote…) and, in case a route forgets to check, any request that is not a
 * read is refused with 405 before it reaches bull-board.
 */
export function mountQueueUi(
  app: INestApplication,
  queues: readonly Queue[],
  mode: Exclude<QueueUiMode, 'off'>,
): void {
  const readOnlyMode = mode === 'read-only';
  const serverAdapter = new ExpressAdapter().setBasePath(QUEUE_UI_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode })),
    serverAdapter,
    options: {
      uiConfig: { boardTitle: readOnlyMode ? 'fleetsim queues (read-only)' : 'fleetsim queues' },
    },
  });
  if (readOnlyMode) {
    app.use(
      QUEUE_UI_PATH,
      (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: () => void) => {
        const method = req.method ?? 'GET';
        if (READ_METHODS.has(method)) {
          next();
          return;
        }
        const body = JSON.stringify({
          statusCode: 405,
          error: 'Method Not Allowed',
          message: `the queue UI is read-only (QUEUE_UI=read-only): ${method} ${req.originalUrl ?? req.url} refused; set QUEUE_UI=read-write to allow actions`,
        });
        res.writeHead(405, {
          Allow: 'GET, HEAD',
          'Content-Type': 'application/json; charset=utf-8',
        });
        res.end(body);
      },
    );
  }
  // bull-board's router is an Express app of its own: it would say X-Powered-By.
  const router = serverAdapter.getRouter() as { disable?(setting: string): void };
  router.disable?.('x-powered-by');
  app.use(QUEUE_UI_PATH, router);
}
