/**
 * Specs are parsed on a thread of their own (issue 10, found 5): the event
 * loop keeps turning while a megabyte of YAML is read. Runs the compiled
 * thread script (`npm test` builds first; skipped when it is missing).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSpecText } from '../../../../libs/kdump-core/src';
import { example } from '../../test/coordinator-rig';
import { SpecParser } from './spec-parser.service';

const THREAD = join(__dirname, '../../../../dist/apps/coordinator/src/spec-parse.thread.js');

describe.skipIf(!existsSync(THREAD))('SpecParser on its thread', () => {
  const parser = SpecParser.using(THREAD);
  afterAll(() => parser.onApplicationShutdown());

  it('gives what parseSpecText gives, valid or not', async () => {
    for (const text of [example('quickstart.yaml'), 'name: [', '['.repeat(5000)]) {
      expect(JSON.parse(JSON.stringify(await parser.parse(text)))).toEqual(
        JSON.parse(JSON.stringify(parseSpecText(text))),
      );
    }
  });

  it('leaves the event loop free while a large spec is parsed', async () => {
    let text = 'name: large\n';
    for (let m = 0; text.length < 500_000; m++) {
      text += `m${m}:\n${Array.from({ length: 1000 }, (_, i) => ` k${i}: 1`).join('\n')}\n`;
    }
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const result = await parser.parse(text);
      expect(result.ok).toBe(false);
    } finally {
      clearInterval(timer);
    }
    // Inline, the parse would hold the loop and no timer could fire before it ended.
    expect(ticks).toBeGreaterThan(0);
  });
});
