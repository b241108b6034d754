/**
 * The OpenAPI (`/docs`) description of the HTTP contract's payloads
 * (libs/fleet-contract): each class implements the contract's type, so the
 * two cannot drift apart.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  EXPERIMENT_STATES,
  type ErrorBody,
  type ExperimentState,
  type ExperimentView,
  type SpecErrorsBody,
} from '../../../../libs/fleet-contract/src/http-contract';

export class ShardProgressDto {
  @ApiProperty({ description: 'shards whose results reached the merge', example: 3 })
  done!: number;
  @ApiProperty({ description: 'shards planned', example: 12 })
  total!: number;
}

export class ExperimentDto implements ExperimentView {
  @ApiProperty({ example: 'exp_m3x9k2a1f4c2e1' })
  id!: string;
  @ApiProperty({ description: 'the spec name', example: 'quickstart' })
  name!: string;
  @ApiProperty({ enum: EXPERIMENT_STATES })
  state!: ExperimentState;
  @ApiProperty({ description: 'servers in the fleet', example: 3000 })
  servers!: number;
  @ApiProperty({ type: ShardProgressDto })
  shards!: ShardProgressDto;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'job × strategy evaluations per second since the first shard started',
  })
  jobsPerSecond!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'seconds until done at the current pace (0 when done; null when unknown)',
  })
  etaSeconds!: number | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  startedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt!: string | null;
  @ApiPropertyOptional({ description: 'why the experiment failed' })
  error?: string;
}

export class SpecErrorDto {
  @ApiProperty({
    description: 'field path, e.g. fleet[0].count; empty for the document',
    example: 'fleet[0].count',
  })
  path!: string;
  @ApiPropertyOptional({ description: '1-based line in the posted text', example: 8 })
  line?: number;
  @ApiProperty({ example: 'Too small: expected number to be >=1' })
  message!: string;
}

export class SpecErrorsDto implements SpecErrorsBody {
  @ApiProperty({ example: 400 })
  statusCode!: 400;
  @ApiProperty({ example: 'invalid spec: 1 error(s); nothing was enqueued' })
  message!: string;
  @ApiProperty({ type: [SpecErrorDto] })
  errors!: SpecErrorDto[];
}

export class ErrorDto implements ErrorBody {
  @ApiProperty({ example: 404 })
  statusCode!: number;
  @ApiProperty({ example: 'experiment "exp_x" not found' })
  message!: string;
  @ApiPropertyOptional({ example: 'Not Found' })
  error?: string;
}

export class HealthDto {
  @ApiProperty({ enum: ['ok', 'error'] })
  status!: 'ok' | 'error';
  @ApiProperty({ enum: ['up', 'down'] })
  redis!: 'up' | 'down';
  @ApiPropertyOptional({ description: 'why Redis is down' })
  message?: string;
}
