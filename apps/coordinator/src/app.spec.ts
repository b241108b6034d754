import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from './app.module';
import { parsePort } from './port';

describe('coordinator app', () => {
  let app: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('GET /health returns ok', async () => {
    const res = await fetch(`${baseUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});

describe('parsePort(PORT)', () => {
  it('defaults to 3000 when unset or empty', () => {
    expect(parsePort('PORT', undefined, 3000)).toBe(3000);
    expect(parsePort('PORT', '', 3000)).toBe(3000);
  });

  it('accepts integers in 1..65535', () => {
    expect(parsePort('PORT', '1', 3000)).toBe(1);
    expect(parsePort('PORT', '65535', 3000)).toBe(65535);
  });

  it.each(['0', '65536', 'abc', '12.5', '-1', '80x'])(
    'rejects %s with an error naming PORT',
    (raw) => {
      expect(() => parsePort('PORT', raw, 3000)).toThrow(
        /PORT must be an integer between 1 and 65535/,
      );
    },
  );
});
