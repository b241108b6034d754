import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiGoneResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  nestPath,
  ROUTES,
  type BatchReports,
  type BatchView,
} from '../../../../libs/fleet-contract/src/http-contract';
import { ErrorDto, SpecErrorsDto } from '../dtos/experiment.dto';
import { BatchService } from '../services/batch.service';

const BATCH_EXAMPLE = {
  spec: 'name: ck\nseed: 42\nfleet:\n  - profile: gpu-node\n    count: 2000\nevents:\n  crash:\n    perServer: 1\n    causes: { panic: 1 }\nstrategies: [none, config-restore]\n',
  points: [
    {
      label: 'crashkernelMiB=256',
      values: [{ path: 'catalogue.profiles.gpu-node.crashkernelMiB', value: 256 }],
    },
    {
      label: 'crashkernelMiB=512',
      values: [{ path: 'catalogue.profiles.gpu-node.crashkernelMiB', value: 512 }],
    },
  ],
};

/**
 * Batches of points: what `fleetsim sweep`, `crashkernel` and `sensitivity`
 * send with `--coordinator`. Each point is the spec with some values set (the
 * paths of a sweep: spec fields or `catalogue.<kind>.<entry>.<field>`), run as
 * an experiment of its own; the reports come back in point order.
 */
@ApiTags('batches')
@ApiServiceUnavailableResponse({ description: 'Redis is unreachable', type: ErrorDto })
@Controller()
export class BatchController {
  constructor(private readonly service: BatchService) {}

  @Post(nestPath(ROUTES.submitBatch))
  @ApiOperation({
    summary: 'Submit a batch of points',
    description:
      'JSON `{ spec, points }`: the spec as text (YAML or JSON, as for POST /experiments) and its points, each `{ label, values: [{ path, value }] }`. Every point is checked first; an invalid one enqueues nothing. Each point becomes an experiment (shards of point × server range); GET /batches/:id/reports gives their reports in point order, the same reports `fleetsim` computes here for the same points.',
  })
  @ApiBody({ schema: { type: 'object', example: BATCH_EXAMPLE } })
  @ApiCreatedResponse({ description: 'the batch, its points and their experiments' })
  @ApiBadRequestResponse({ description: 'invalid body, spec or point', type: SpecErrorsDto })
  create(@Body() body: unknown): Promise<BatchView> {
    return this.service.create(typeof body === 'string' ? body : '');
  }

  @Get(nestPath(ROUTES.getBatch))
  @ApiOperation({ summary: 'State and progress of a batch and each point' })
  @ApiOkResponse({ description: 'the batch' })
  @ApiNotFoundResponse({ type: ErrorDto })
  get(@Param('id') id: string): Promise<BatchView> {
    return this.service.get(id);
  }

  @Get(nestPath(ROUTES.getBatchReports))
  @ApiOperation({ summary: "Every point's report, in point order" })
  @ApiOkResponse({ description: '`{ id, reports }`' })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiConflictResponse({ description: 'not done yet', type: ErrorDto })
  @ApiGoneResponse({ description: 'a point was cancelled or failed', type: ErrorDto })
  reports(@Param('id') id: string): Promise<BatchReports> {
    return this.service.reports(id);
  }

  @Delete(nestPath(ROUTES.cancelBatch))
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel every point still queued or running' })
  @ApiOkResponse({ description: 'the batch after the cancel' })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiConflictResponse({ description: 'already finished', type: ErrorDto })
  cancel(@Param('id') id: string): Promise<BatchView> {
    return this.service.cancel(id);
  }
}
