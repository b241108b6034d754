/**
 * Redis not answering is an expected condition, not a crash: requests that need
 * it answer 503 with the reason, and the app keeps running while ioredis
 * reconnects.
 */

/** Redis is down or did not answer in time. */
export class RedisUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnavailableError';
  }
}

const CONNECTION_ERROR =
  /Connection is closed|Stream isn't writeable|ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|ECONNRESET|EAI_AGAIN|max retries per request|Connection in subscriber mode/i;

/** Whether an error means "Redis is not reachable" (rather than a bug or a bad request). */
export function isRedisUnavailable(err: unknown): boolean {
  if (err instanceof RedisUnavailableError) {
    return true;
  }
  if (!(err instanceof Error)) {
    return false;
  }
  return err.name === 'MaxRetriesPerRequestError' || CONNECTION_ERROR.test(err.message);
}

/**
 * The promise's value, or a {@link RedisUnavailableError} when it takes longer
 * than `ms` (BullMQ waits for a connection forever while Redis is down).
 */
export async function withRedisTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new RedisUnavailableError(`Redis did not answer within ${ms / 1000} s (${what})`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
