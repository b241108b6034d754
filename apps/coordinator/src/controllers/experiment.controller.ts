import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import type { Report } from '../../../../libs/kdump-core/src';
import type { ExperimentView } from '../domain/experiment';
import { ErrorDto, ExperimentDto, SpecErrorsDto } from '../dtos/experiment.dto';
import { SPEC_MEDIA_TYPES } from '../middleware/spec-body.middleware';
import { ExperimentService } from '../services/experiment.service';

const SPEC_EXAMPLE = `name: quickstart
seed: 42
fleet:
  - profile: compute-2s
    count: 1500
events:
  crash:
    perServer: 1
strategies: [none, reset_devices, config-restore]
`;

function intQuery(
  raw: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw === '') {
    return fallback;
  }
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new BadRequestException(`${name} must be an integer ${min}..${max}, got "${raw}"`);
  }
  return Number(raw);
}

@ApiTags('experiments')
@ApiServiceUnavailableResponse({ description: 'Redis is unreachable', type: ErrorDto })
@Controller('experiments')
export class ExperimentController {
  constructor(private readonly service: ExperimentService) {}

  @Post()
  @ApiOperation({
    summary: 'Submit an experiment',
    description:
      'The same spec as `fleetsim run` (YAML or JSON). It is validated, planned into shards and enqueued as a BullMQ flow; an invalid spec enqueues nothing.',
  })
  @ApiConsumes(...SPEC_MEDIA_TYPES)
  @ApiBody({ schema: { type: 'string', example: SPEC_EXAMPLE } })
  @ApiQuery({
    name: 'shardSize',
    required: false,
    type: Number,
    description:
      'servers per shard (default: the spec’s run.shardSize, else about 200,000 evaluations per shard)',
  })
  @ApiCreatedResponse({ type: ExperimentDto })
  @ApiBadRequestResponse({
    description: 'invalid spec: every error with its path and line',
    type: SpecErrorsDto,
  })
  @ApiPayloadTooLargeResponse({ description: 'body larger than MAX_BODY_BYTES', type: ErrorDto })
  @ApiUnsupportedMediaTypeResponse({ type: ErrorDto })
  create(@Body() body: unknown, @Query('shardSize') shardSize?: string): Promise<ExperimentView> {
    return this.service.create(typeof body === 'string' ? body : '', shardSize);
  }

  @Get()
  @ApiOperation({ summary: 'List experiments, newest first' })
  @ApiQuery({
    name: 'limit',
    required: false,
    type: Number,
    description: 'at most this many (default 100, max 1000)',
  })
  @ApiQuery({ name: 'offset', required: false, type: Number })
  @ApiOkResponse({ type: [ExperimentDto] })
  list(
    @Query('limit') limit?: string,
    @Query('offset') offset?: string,
  ): Promise<ExperimentView[]> {
    return this.service.list(
      intQuery(limit, 'limit', 100, 1, 1000),
      intQuery(offset, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
    );
  }

  @Get(':id')
  @ApiOperation({ summary: 'State, progress and ETA of an experiment' })
  @ApiOkResponse({ type: ExperimentDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  get(@Param('id') id: string): Promise<ExperimentView> {
    return this.service.get(id);
  }

  @Get(':id/report')
  @ApiOperation({
    summary: 'The report of a finished experiment',
    description:
      'Exactly the report `fleetsim run` builds for the same spec and seed; only `run` differs (mode: distributed).',
  })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'markdown'] })
  @ApiProduces('application/json', 'text/markdown')
  @ApiOkResponse({ description: 'the report (see `fleetsim schema`)' })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiConflictResponse({ description: 'not done yet', type: ErrorDto })
  async report(
    @Param('id') id: string,
    @Res({ passthrough: true }) res: ServerResponse,
    @Query('format') format?: string,
  ): Promise<Report | string> {
    if (format === 'markdown') {
      const text = await this.service.reportMarkdown(id);
      res.setHeader('Content-Type', 'text/markdown; charset=utf-8');
      return text;
    }
    if (format !== undefined && format !== 'json') {
      throw new BadRequestException(`format must be json or markdown, got "${format}"`);
    }
    return this.service.report(id);
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel an experiment',
    description:
      'Every shard that has not started is removed; running shards finish and are dropped.',
  })
  @ApiOkResponse({ type: ExperimentDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiConflictResponse({ description: 'already finished', type: ErrorDto })
  cancel(@Param('id') id: string): Promise<ExperimentView> {
    return this.service.cancel(id);
  }
}
