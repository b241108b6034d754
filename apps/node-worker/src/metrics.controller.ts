import { Controller, Get, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { WorkerMetrics } from './worker.metrics';

@Controller()
export class MetricsController {
  constructor(private readonly metrics: WorkerMetrics) {}

  /**
   * Prometheus text exposition of the worker's own registry. Written on the
   * raw response: Express's `send` would rewrite the content type's parameters.
   */
  @Get('metrics')
  async metricsText(@Res() res: ServerResponse): Promise<void> {
    const text = await this.metrics.registry.metrics();
    res.statusCode = 200;
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.end(text);
  }
}
