import {
  Inject,
  Injectable,
  PayloadTooLargeException,
  RequestTimeoutException,
  UnsupportedMediaTypeException,
  type NestMiddleware,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config';
import { SPEC_MEDIA_TYPES } from '../../../../libs/fleet-contract/src/http-contract';

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaType(header: string | undefined): string | undefined {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type ? type : undefined;
}

/**
 * Reads the raw body as UTF-8 text, refusing more than `maxBytes` (413), a
 * missing or non-spec media type (415), and a body that stalls for `idleMs`
 * (408). A request without a body reads as ''.
 */
export async function readSpecBody(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
  idleMs = 10_000,
): Promise<string> {
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === undefined || length === '0')) {
    return '';
  }
  const type = mediaType(req.headers['content-type']);
  if (type === undefined || !(SPEC_MEDIA_TYPES as readonly string[]).includes(type)) {
    refuse(req, res);
    throw new UnsupportedMediaTypeException(
      `${type === undefined ? 'no Content-Type' : `Content-Type ${type}`}: send the spec as YAML or JSON with Content-Type ${SPEC_MEDIA_TYPES.join(', ')}`,
    );
  }
  const tooLarge = () =>
    new PayloadTooLargeException(
      `the body is larger than ${maxBytes} bytes (MAX_BODY_BYTES); split the experiment or raise the limit`,
    );
  if (length !== undefined && Number(length) > maxBytes) {
    refuse(req, res);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: Error) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err) {
        refuse(req, res);
        reject(err);
      } else {
        resolve();
      }
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          finish(
            new RequestTimeoutException(
              `the body stalled: nothing arrived for ${idleMs} ms (BODY_TIMEOUT_MS)`,
            ),
          ),
        idleMs,
      );
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        finish(tooLarge());
        return;
      }
      chunks.push(chunk);
      arm();
    };
    const onEnd = () => finish();
    const onError = (err: Error) => finish(err);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    arm();
  });
  return Buffer.concat(chunks).toString('utf8');
}

/** Answers without reading the rest of the body: close the connection afterwards. */
function refuse(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  req.resume();
}

/**
 * Puts the raw spec text in `req.body` for the routes that take a spec (the
 * app's JSON body parser is off: JSON bodies are read as YAML text, so spec
 * errors carry line numbers).
 */
@Injectable()
export class SpecBodyMiddleware implements NestMiddleware {
  constructor(@Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig) {}

  async use(
    req: IncomingMessage & { body?: unknown },
    res: ServerResponse,
    next: () => void,
  ): Promise<void> {
    req.body = await readSpecBody(req, res, this.config.maxBodyBytes, this.config.bodyTimeoutMs);
    next();
  }
}
