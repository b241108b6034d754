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
  ApiGoneResponse,
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
import {
  EXPERIMENT_LIST,
  nestPath,
  REPORT_FORMATS,
  ROUTES,
  SPEC_MEDIA_TYPES,
  type ExperimentView,
  type ReportFormat,
} from '../../../../libs/fleet-contract/src/http-contract';
import { ErrorDto, ExperimentDto, SpecErrorsDto } from '../dtos/experiment.dto';
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
@Controller()
export class ExperimentController {
  constructor(private readonly service: ExperimentService) {}

  @Post(nestPath(ROUTES.submitExperiment))
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

  @Get(nestPath(ROUTES.listExperiments))
  @ApiOperation({ summary: 'List experiments, newest first' })
  @ApiQuery({
    name: 'limit',
    required: false,
    type: Number,
    description: `at most this many (default ${EXPERIMENT_LIST.defaultLimit}, max ${EXPERIMENT_LIST.maxLimit})`,
  })
  @ApiQuery({ name: 'offset', required: false, type: Number })
  @ApiOkResponse({ type: [ExperimentDto] })
  list(
    @Query('limit') limit?: string,
    @Query('offset') offset?: string,
  ): Promise<ExperimentView[]> {
    return this.service.list(
      intQuery(limit, 'limit', EXPERIMENT_LIST.defaultLimit, 1, EXPERIMENT_LIST.maxLimit),
      intQuery(offset, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
    );
  }

  @Get(nestPath(ROUTES.getExperiment))
  @ApiOperation({ summary: 'State, progress and ETA of an experiment' })
  @ApiOkResponse({ type: ExperimentDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  get(@Param('id') id: string): Promise<ExperimentView> {
    return this.service.get(id);
  }

  @Get(nestPath(ROUTES.getReport))
  @ApiOperation({
    summary: 'The report of a finished experiment',
    description:
      'Exactly the report `fleetsim run` builds for the same spec and seed; only `run` differs (mode: distributed). `format=markdown` gives the Markdown tables, `format=html` one self-contained HTML page with the tables and inline SVG charts (nothing loaded from the network), the same page as `fleetsim run --out report.html`.',
  })
  @ApiQuery({
    name: 'format',
    required: false,
    enum: REPORT_FORMATS,
    description: 'json (default), markdown, or html',
  })
  @ApiProduces('application/json', 'text/markdown', 'text/html')
  @ApiOkResponse({
    description: 'the report (see `fleetsim schema --report`)',
    content: {
      'application/json': { schema: { type: 'object' } },
      'text/markdown': { schema: { type: 'string' } },
      'text/html': { schema: { type: 'string' } },
    },
  })
  @ApiBadRequestResponse({ description: 'unknown format', type: ErrorDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiConflictResponse({ description: 'not done yet: ready once it is done', type: ErrorDto })
  @ApiGoneResponse({ description: 'cancelled or failed: it has no report', type: ErrorDto })
  async report(
    @Param('id') id: string,
    @Res({ passthrough: true }) res: ServerResponse,
    @Query('format') format?: string,
  ): Promise<Report | string> {
    if (format !== undefined && !(REPORT_FORMATS as readonly string[]).includes(format)) {
      throw new BadRequestException(
        `format must be one of ${REPORT_FORMATS.join(', ')}, got "${format}"`,
      );
    }
    switch (format as ReportFormat | undefined) {
      case undefined:
      case 'json':
        return this.service.report(id);
      case 'markdown': {
        const text = await this.service.reportMarkdown(id);
        res.setHeader('Content-Type', 'text/markdown; charset=utf-8');
        return text;
      }
      case 'html': {
        const page = await this.service.reportHtml(id);
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        return page;
      }
    }
  }

  @Delete(nestPath(ROUTES.cancelExperiment))
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
