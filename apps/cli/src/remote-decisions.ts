/**
 * The points of a decision run on a coordinator: each batch goes out as one
 * `POST /batches` (the spec's text with `--seed` written in, and the points),
 * the coordinator runs every point as an experiment on its node-workers, and
 * the points' reports come back in order. The decision builds its document
 * from them exactly as from reports run here.
 */
import { ReportSchema, type PointRequest, type Report } from '../../../libs/kdump-core/src';
import type { CliIo } from './cli-io';
import { isFinished, type BatchView } from '../../../libs/fleet-contract/src/http-contract';
import { CoordinatorClient, CoordinatorError } from './coordinator-client';
import type { DecisionCommand } from './decision-args';
import { DEFAULT_POLL, pollUntil, type PollOptions } from './poll-until';
import { specSubmission } from './remote-commands';

export interface RemoteBatchRunner {
  run(requests: readonly PointRequest[]): Promise<Report[]>;
}

/**
 * A batch runner on `cmd.coordinator`.
 * @param onPoint called once per point as it is seen done
 */
export function remotePointRunner(
  specFile: string,
  specText: string,
  cmd: DecisionCommand,
  io: CliIo,
  onPoint: (request: PointRequest) => void,
  poll: PollOptions = DEFAULT_POLL,
): RemoteBatchRunner {
  const client = new CoordinatorClient(cmd.coordinator!, undefined, cmd.token);
  const text = specSubmission(specFile, specText, { seed: cmd.seed }).text;
  return {
    async run(requests) {
      let status = await client.submitBatch(text, requests);
      const id = status.id;
      io.err(
        `fleetsim: batch ${id} (${requests.length} point${requests.length === 1 ? '' : 's'}) submitted to ${client.baseUrl}\n`,
      );
      if (status.note) {
        io.err(`fleetsim: ${status.note}\n`);
      }
      const seen = new Set<number>();
      const notice = (s: BatchView) => {
        for (const p of s.points ?? []) {
          if (p.state === 'done' && !seen.has(p.index)) {
            seen.add(p.index);
            onPoint(requests[p.index]!);
          }
        }
      };
      status = await pollUntil(poll, {
        first: status,
        fetch: () => client.batchStatus(id),
        isFinal: (s) => isFinished(s.state),
        onStatus: notice,
        // As before this loop was shared: the last error, without "gave up after".
        onGiveUp: 'rethrow',
      });
      if (status.state !== 'done') {
        throw new CoordinatorError(
          'server',
          `batch ${id} ${status.state} on the coordinator at ${client.baseUrl}${status.error ? `: ${status.error}` : ''}`,
        );
      }
      const reports = await client.batchReports(id);
      reports.forEach((r, i) => {
        const checked = ReportSchema.safeParse(r);
        if (!checked.success) {
          const issue = checked.error.issues[0];
          throw new CoordinatorError(
            'server',
            `the coordinator at ${client.baseUrl} sent a report (point ${i} of batch ${id}) this fleetsim does not read (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'schema mismatch'})`,
          );
        }
      });
      return reports;
    },
  };
}
