import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { nestPath, ROUTES } from '../../../../libs/fleet-contract/src/http-contract';
import { MetricsService } from '../services/metrics.service';

@ApiTags('operations')
@Controller()
export class MetricsController {
  constructor(private readonly service: MetricsService) {}

  @Get(nestPath(ROUTES.metrics))
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Simulated results of finished experiments (recoveries by outcome, capture success ratio, device reinit / capture kernel boot / dump / downtime seconds), experiment progress and states, queue depth, process metrics.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text format 0.0.4' })
  async metrics(@Res({ passthrough: true }) res: ServerResponse): Promise<string> {
    const text = await this.service.render();
    res.setHeader('Content-Type', this.service.contentType);
    return text;
  }
}
