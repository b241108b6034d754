import { Body, Controller, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiGatewayTimeoutResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { JobKind, JobTrace } from '../../../../libs/kdump-core/src';
import { ErrorDto, SpecErrorsDto } from '../dtos/experiment.dto';
import {
  nestPath,
  ROUTES,
  SPEC_MEDIA_TYPES,
} from '../../../../libs/fleet-contract/src/http-contract';
import { ServerJobService } from '../services/server-job.service';

function ApiServerJob(kind: JobKind): MethodDecorator {
  return (target, key, descriptor) => {
    const decorators: MethodDecorator[] = [
      ApiOperation({
        summary: `One ${kind} of one server, traced`,
        description: `Runs one ${kind} job of the index-th server of a profile (counting that profile's servers in fleet order) on a node-worker and answers with its trace: stages, device states and every strategy's outcome. The spec is a posted experiment's (?experiment=<id>) or the body's.`,
      }),
      ApiParam({ name: 'profile', description: 'a profile of the fleet', example: 'compute-2s' }),
      ApiParam({
        name: 'index',
        description: "0-based index among that profile's servers",
        example: 0,
      }),
      ApiQuery({ name: 'experiment', required: false, description: 'id of a posted experiment' }),
      ApiQuery({
        name: 'event',
        required: false,
        type: Number,
        description: `the server's ${kind} event (default 0)`,
      }),
      ApiConsumes(...SPEC_MEDIA_TYPES),
      ApiBody({
        required: false,
        schema: { type: 'string' },
        description: 'an inline spec, when no experiment is named',
      }),
      ApiOkResponse({ description: 'the job trace' }),
      ApiBadRequestResponse({ description: 'invalid spec, index or event', type: SpecErrorsDto }),
      ApiNotFoundResponse({ description: 'unknown experiment, profile or server', type: ErrorDto }),
      ApiGatewayTimeoutResponse({ description: 'no node-worker answered in time', type: ErrorDto }),
    ];
    for (const decorate of decorators) {
      decorate(target, key, descriptor);
    }
  };
}

@ApiTags('servers')
@Controller()
export class ServerController {
  constructor(private readonly service: ServerJobService) {}

  @Post(nestPath(ROUTES.crashServer))
  @HttpCode(200)
  @ApiServerJob('crash')
  crash(
    @Param('profile') profile: string,
    @Param('index') index: string,
    @Body() body: unknown,
    @Query('experiment') experiment?: string,
    @Query('event') event?: string,
  ): Promise<JobTrace> {
    return this.run('crash', profile, index, body, experiment, event);
  }

  @Post(nestPath(ROUTES.rebootServer))
  @HttpCode(200)
  @ApiServerJob('reboot')
  reboot(
    @Param('profile') profile: string,
    @Param('index') index: string,
    @Body() body: unknown,
    @Query('experiment') experiment?: string,
    @Query('event') event?: string,
  ): Promise<JobTrace> {
    return this.run('reboot', profile, index, body, experiment, event);
  }

  private run(
    kind: JobKind,
    profile: string,
    index: string,
    body: unknown,
    experiment?: string,
    event?: string,
  ): Promise<JobTrace> {
    // The spec-body middleware hands the raw text over; anything else means no inline spec.
    const text = typeof body === 'string' ? body : '';
    return this.service.run({ kind, profile, index, experiment, event, body: text });
  }
}
