import { Controller, Get, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { HealthDto } from '../dtos/experiment.dto';
import { HealthService } from '../services/health.service';
import { nestPath, ROUTES, type Health } from '../../../../libs/fleet-contract/src/http-contract';

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(private readonly service: HealthService) {}

  @Get(nestPath(ROUTES.health))
  @ApiOperation({ summary: 'Whether Redis answers (PING within a second)' })
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ type: HealthDto })
  async health(@Res({ passthrough: true }) res: ServerResponse): Promise<Health> {
    const health = await this.service.check();
    res.statusCode = health.status === 'ok' ? 200 : 503;
    return health;
  }
}
