import {
  Inject,
  Injectable,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
  type NestMiddleware,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config';

/** Media types a spec may be posted as. JSON is read as YAML, so errors carry lines either way. */
export const SPEC_MEDIA_TYPES = [
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
  'application/json',
  'text/plain',
] as const;

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaType(header: string | undefined): string | undefined {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type ? type : undefined;
}

/**
 * Reads the raw body as UTF-8 text, refusing more than `maxBytes` (413) and
 * media types that are not a spec (415). A request without a body reads as ''.
 */
export async function readSpecBody(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
): Promise<string> {
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === undefined || length === '0')) {
    return '';
  }
  const type = mediaType(req.headers['content-type']);
  if (type !== undefined && !(SPEC_MEDIA_TYPES as readonly string[]).includes(type)) {
    refuse(req, res);
    throw new UnsupportedMediaTypeException(
      `Content-Type ${type} is not a spec: send YAML or JSON as ${SPEC_MEDIA_TYPES.join(', ')}`,
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
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      refuse(req, res);
      throw tooLarge();
    }
    chunks.push(chunk);
  }
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
    req.body = await readSpecBody(req, res, this.config.maxBodyBytes);
    next();
  }
}
