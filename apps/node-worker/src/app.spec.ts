import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from './app.module';
import { parsePort } from './port';

describe('node-worker app', () => {
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

describe('parsePort(METRICS_PORT)', () => {
  it('defaults to 3001 when unset or empty', () => {
    expect(parsePort('METRICS_PORT', undefined, 3001)).toBe(3001);
    expect(parsePort('METRICS_PORT', '', 3001)).toBe(3001);
  });

  it('accepts integers in 1..65535', () => {
    expect(parsePort('METRICS_PORT', '1', 3001)).toBe(1);
    expect(parsePort('METRICS_PORT', '65535', 3001)).toBe(65535);
  });

  it.each(['0', '65536', 'abc', '12.5', '-1', '80x'])(
    'rejects %s with an error naming METRICS_PORT',
    (raw) => {
      expect(() => parsePort('METRICS_PORT', raw, 3001)).toThrow(
        /METRICS_PORT must be an integer between 1 and 65535/,
      );
    },
  );
});
