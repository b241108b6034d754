/**
 * Reading a spec file for `run` and `validate`, and printing its errors the way
 * compilers do (`SPEC:LINE: PATH: MESSAGE`), so editors can jump to them.
 */
import { readFile } from 'node:fs/promises';
import { parseSpecText, type ResolvedSpec, type SpecError } from '../../../libs/kdump-core/src';
import { UsageError, type CliIo } from './cli-io';

/** A spec read and validated, with its text kept for the worker threads. */
export type LoadedSpec =
  | { ok: true; text: string; resolved: ResolvedSpec }
  /** The file could not be read: a bad argument. */
  | { ok: false; kind: 'unreadable'; message: string }
  /** The spec is invalid: every error, formatted. */
  | { ok: false; kind: 'invalid'; lines: string[] };

export async function loadSpec(file: string, seed: number | undefined): Promise<LoadedSpec> {
  const read = await readSpecFile(file);
  if (!read.ok) {
    return { ok: false, kind: 'unreadable', message: read.message };
  }
  const { text } = read;
  const parsed = parseSpecText(text, { seed });
  if (!parsed.ok) {
    return { ok: false, kind: 'invalid', lines: formatSpecErrors(file, parsed.errors) };
  }
  return { ok: true, text, resolved: parsed.resolved };
}

/**
 * A spec for a command: its text and resolution; when it is invalid, its errors
 * printed and the exit code 2. A file that cannot be read is a bad argument
 * ({@link UsageError}).
 */
export async function loadSpecForCommand(
  file: string,
  seed: number | undefined,
  io: CliIo,
): Promise<{ text: string; resolved: ResolvedSpec } | number> {
  const loaded = await loadSpec(file, seed);
  if (loaded.ok) {
    return loaded;
  }
  if (loaded.kind === 'unreadable') {
    throw new UsageError(loaded.message);
  }
  io.err(loaded.lines.map((l) => l + '\n').join(''));
  return 2;
}

/** The spec's text, or why it cannot be read (a bad argument). */
export async function readSpecFile(
  file: string,
): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
  try {
    return { ok: true, text: await readFile(file, 'utf8') };
  } catch (e) {
    return { ok: false, message: `cannot read SPEC "${file}": ${reason(e)}` };
  }
}

/** One line per error: `SPEC:LINE: PATH: MESSAGE`; line and path left out when unknown. */
export function formatSpecErrors(file: string, errors: readonly SpecError[]): string[] {
  return errors.map((e) => {
    const where = e.line === undefined ? file : `${file}:${e.line}`;
    return e.path ? `${where}: ${e.path}: ${e.message}` : `${where}: ${e.message}`;
  });
}

const ERRNO_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
};

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return (err.code && ERRNO_REASONS[err.code]) || err.message || String(e);
}
