/**
 * Parse a TCP port from an environment variable.
 * Throws an error naming the variable when the value is not an integer in 1..65535.
 */
export function parsePort(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') {
    return fallback;
  }
  const value = raw.trim();
  if (!/^\d+$/.test(value)) {
    throw new Error(`${name} must be an integer between 1 and 65535, got "${raw}"`);
  }
  const port = Number(value);
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be an integer between 1 and 65535, got "${raw}"`);
  }
  return port;
}
