import { PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { mediaType, readSpecBody } from './spec-body.middleware';

function request(headers: Record<string, string>, chunks: string[]): IncomingMessage {
  return Object.assign(Readable.from(chunks.map((c) => Buffer.from(c))), {
    headers,
  }) as unknown as IncomingMessage;
}

function response(): ServerResponse & { headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  return {
    headers,
    setHeader: (k: string, v: string) => (headers[k.toLowerCase()] = v),
  } as unknown as ServerResponse & { headers: Record<string, string> };
}

describe('readSpecBody', () => {
  it('reads YAML and JSON as UTF-8 text', async () => {
    for (const type of ['application/yaml', 'application/json; charset=utf-8', 'text/yaml']) {
      const req = request({ 'content-type': type, 'content-length': '9' }, ['name: ', 'µs']);
      expect(await readSpecBody(req, response(), 100)).toBe('name: µs');
    }
  });

  it('reads no body as the empty string', async () => {
    expect(await readSpecBody(request({}, []), response(), 100)).toBe('');
  });

  it('refuses what is larger than the limit, declared or streamed, and closes the connection', async () => {
    const declared = response();
    await expect(
      readSpecBody(
        request({ 'content-type': 'application/yaml', 'content-length': '101' }, ['x']),
        declared,
        100,
      ),
    ).rejects.toBeInstanceOf(PayloadTooLargeException);
    expect(declared.headers.connection).toBe('close');
    const chunked = request(
      { 'content-type': 'application/yaml', 'transfer-encoding': 'chunked' },
      ['x'.repeat(60), 'x'.repeat(60)],
    );
    await expect(readSpecBody(chunked, response(), 100)).rejects.toThrow(/MAX_BODY_BYTES/);
  });

  it('refuses media types that are not a spec, text/plain and none included', async () => {
    for (const headers of [
      { 'content-type': 'multipart/form-data' } as Record<string, string>,
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      {},
    ]) {
      const req = request({ ...headers, 'content-length': '3' }, ['a=b']);
      await expect(readSpecBody(req, response(), 100)).rejects.toBeInstanceOf(
        UnsupportedMediaTypeException,
      );
    }
    expect(mediaType('Application/YAML ; charset=utf-8')).toBe('application/yaml');
    expect(mediaType(undefined)).toBeUndefined();
  });
});
