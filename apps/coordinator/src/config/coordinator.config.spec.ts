import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../libs/fleet-platform/src/config';
import { describeRedis, readCoordinatorConfig } from './coordinator.config';

describe('readCoordinatorConfig', () => {
  it('has defaults for everything', () => {
    expect(readCoordinatorConfig({})).toEqual({
      redis: { host: '127.0.0.1', port: 6379, db: 0, maxRetriesPerRequest: null },
      queuePrefix: '{fleetsim}',
      port: 3000,
      maxServersPerSpec: 100_000_000,
      maxBodyBytes: 1024 * 1024,
      traceTimeoutMs: 30_000,
      metricsExperiments: 20,
      keepExperiments: 1000,
      dataLossCheckMs: 2000,
      queueUi: 'read-only',
      access: { writeToken: null, readToken: null, reads: 'token' },
      host: '127.0.0.1',
      corsOrigins: [],
      bodyTimeoutMs: 10_000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      logFormat: 'text',
    });
  });

  it('listens on loopback without a token, everywhere with one, or where HOST says', () => {
    const token = 'w'.repeat(24);
    expect(readCoordinatorConfig({}).host).toBe('127.0.0.1');
    expect(readCoordinatorConfig({ API_TOKEN: token }).host).toBe('0.0.0.0');
    expect(readCoordinatorConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(readCoordinatorConfig({ API_TOKEN: token, HOST: '10.0.0.1' }).host).toBe('10.0.0.1');
  });

  it('reads the tokens, from the environment or a file', () => {
    const config = readCoordinatorConfig(
      { API_TOKEN_FILE: '/run/secrets/token', API_READ_TOKEN: 'r'.repeat(16), API_READS: 'token' },
      (path) => (path === '/run/secrets/token' ? `${'w'.repeat(32)}\n` : ''),
    );
    expect(config.access).toEqual({
      writeToken: 'w'.repeat(32),
      readToken: 'r'.repeat(16),
      reads: 'token',
    });
    expect(
      readCoordinatorConfig({ API_TOKEN: 'w'.repeat(16), API_READS: 'public' }).access.reads,
    ).toBe('public');
    expect(
      readCoordinatorConfig({ CORS_ORIGINS: 'https://a.example, http://b:8080' }).corsOrigins,
    ).toEqual(['https://a.example', 'http://b:8080']);
  });

  it('reads every variable', () => {
    const config = readCoordinatorConfig({
      REDIS_URL: 'rediss://:secret@redis.example:6380/2',
      QUEUE_PREFIX: 'prod-{fleet}',
      PORT: '8080',
      MAX_SERVERS_PER_SPEC: '5000',
      MAX_BODY_BYTES: '2048',
      TRACE_TIMEOUT_MS: '1000',
      METRICS_EXPERIMENTS: '3',
      KEEP_EXPERIMENTS: '50',
      QUEUE_UI: 'off',
    });
    expect(config).toMatchObject({
      redis: { host: 'redis.example', port: 6380, password: 'secret', db: 2, tls: {} },
      queuePrefix: 'prod-{fleet}',
      port: 8080,
      maxServersPerSpec: 5000,
      maxBodyBytes: 2048,
      traceTimeoutMs: 1000,
      metricsExperiments: 3,
      keepExperiments: 50,
      queueUi: 'off',
    });
    expect(describeRedis(config.redis)).toBe('rediss://redis.example:6380/2');
  });

  it.each([
    ['REDIS_URL', 'http://localhost'],
    ['QUEUE_PREFIX', 'no-hash-tag'],
    ['PORT', '70000'],
    ['MAX_SERVERS_PER_SPEC', '0'],
    ['MAX_BODY_BYTES', 'lots'],
    ['TRACE_TIMEOUT_MS', '-5'],
    ['QUEUE_UI', 'admin'],
    ['KEEP_EXPERIMENTS', '0'],
    ['API_TOKEN', 'short'],
    ['API_TOKEN', 'has a space in it, long enough'],
    ['API_READ_TOKEN', 'r'.repeat(20)],
    ['API_READS', 'everyone'],
    ['HOST', 'not a host!'],
    ['CORS_ORIGINS', 'https://a.example/path'],
    ['BODY_TIMEOUT_MS', '0'],
    ['HEADERS_TIMEOUT_MS', 'x'],
    ['LOG_FORMAT', 'xml'],
  ])('names %s when its value %s is bad', (variable, value) => {
    let error: unknown;
    try {
      readCoordinatorConfig({ [variable]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message).toMatch(new RegExp(`^${variable}: `));
  });
});
