import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  readBoolean,
  readChoice,
  readPort,
  readPositiveInt,
  readQueuePrefix,
  readRedisConnection,
} from './config';

describe('readRedisConnection', () => {
  it('defaults to the local Redis', () => {
    expect(readRedisConnection({})).toEqual({
      host: '127.0.0.1',
      port: 6379,
      db: 0,
      maxRetriesPerRequest: null,
    });
  });
  it('reads user, password, db and TLS', () => {
    expect(
      readRedisConnection({ REDIS_URL: 'rediss://ops:s%40cret@redis.example:6380/3' }),
    ).toEqual({
      host: 'redis.example',
      port: 6380,
      username: 'ops',
      password: 's@cret',
      db: 3,
      tls: {},
      maxRetriesPerRequest: null,
    });
    expect(readRedisConnection({ REDIS_URL: 'redis://:pw@localhost' })).toMatchObject({
      password: 'pw',
      port: 6379,
    });
  });
  it('names the variable and hides the password on bad input', () => {
    expect(() => readRedisConnection({ REDIS_URL: 'http://x:1' })).toThrow(
      /REDIS_URL: scheme must be redis/,
    );
    expect(() => readRedisConnection({ REDIS_URL: 'redis://u:pw@:1/x' })).toThrow(ConfigError);
    expect(() => readRedisConnection({ REDIS_URL: 'not a url pw@' })).toThrow(
      /REDIS_URL: .* is not a URL/,
    );
    expect(() => readRedisConnection({ REDIS_URL: 'redis://localhost/abc' })).toThrow(
      /database must be/,
    );
  });
});

describe('readQueuePrefix', () => {
  it('needs a hash tag', () => {
    expect(readQueuePrefix({})).toBe('{fleetsim}');
    expect(readQueuePrefix({ QUEUE_PREFIX: 'test-{run42}' })).toBe('test-{run42}');
    expect(() => readQueuePrefix({ QUEUE_PREFIX: 'fleetsim' })).toThrow(/QUEUE_PREFIX: .*hash tag/);
  });
});

describe('numbers and booleans', () => {
  it('reads ports, positive integers and booleans, naming the variable when wrong', () => {
    expect(readPort({}, 'PORT', 3000)).toBe(3000);
    expect(readPort({ PORT: '8080' }, 'PORT', 3000)).toBe(8080);
    expect(() => readPort({ PORT: '70000' }, 'PORT', 3000)).toThrow(
      /PORT: must be an integer 1..65535/,
    );
    expect(() => readPort({ PORT: '80a' }, 'PORT', 3000)).toThrow(/PORT/);
    expect(readPositiveInt({ N: '5' }, 'N', 1)).toBe(5);
    expect(() => readPositiveInt({ N: '0' }, 'N', 1)).toThrow(/N: must be an integer 1\.\./);
    expect(readBoolean({ B: 'no' }, 'B', true)).toBe(false);
    expect(() => readBoolean({ B: 'maybe' }, 'B', true)).toThrow(/B: must be true or false/);
  });

  it('reads one of a set of words, case-insensitively, naming the choices when wrong', () => {
    const modes = ['off', 'read-only', 'read-write'] as const;
    expect(readChoice({}, 'UI', modes, 'read-only')).toBe('read-only');
    expect(readChoice({ UI: '' }, 'UI', modes, 'read-only')).toBe('read-only');
    expect(readChoice({ UI: 'OFF' }, 'UI', modes, 'read-only')).toBe('off');
    expect(() => readChoice({ UI: 'rw' }, 'UI', modes, 'read-only')).toThrow(
      'UI: must be one of off, read-only, read-write, got "rw"',
    );
  });
});
