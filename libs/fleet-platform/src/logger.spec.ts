import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from './config';
import { FleetLogger, readLogFormat } from './logger';

function captured(): { lines: () => string[] } {
  const out: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  return { lines: () => out.join('').split('\n').filter(Boolean) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('FleetLogger', () => {
  it('writes one JSON object per line with the event fields at the top (LOG_FORMAT=json)', () => {
    const { lines } = captured();
    const logger = new FleetLogger('json');
    logger.log({ message: 'experiment e1 done', experimentId: 'e1', shards: 12 }, 'Flow');
    logger.warn('plain text', 'Flow');
    const [event, plain] = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(event).toMatchObject({
      level: 'log',
      context: 'Flow',
      message: 'experiment e1 done',
      experimentId: 'e1',
      shards: 12,
    });
    expect(event!.pid).toBe(process.pid);
    expect(plain).toMatchObject({ level: 'warn', message: 'plain text', context: 'Flow' });
  });

  it('appends the fields as key=value in text', () => {
    const { lines } = captured();
    new FleetLogger('text').log({ message: 'job failed', experimentId: 'e1', shard: 3 }, 'W');
    expect(lines()[0]).toMatch(/job failed \(experimentId=e1 shard=3\)/);
  });

  it('reads LOG_FORMAT, naming it when it is bad', () => {
    expect(readLogFormat({})).toBe('text');
    expect(readLogFormat({ LOG_FORMAT: 'JSON' })).toBe('json');
    expect(() => readLogFormat({ LOG_FORMAT: 'xml' })).toThrow(ConfigError);
  });
});
