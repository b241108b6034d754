/** Loads and compiles the benchmark's spec (shared by the main thread and the workers). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileExperiment, parseSpecText, type CompiledExperiment } from '../libs/kdump-core/src';

/** The spec the issue names: `examples/fleet-100k.yaml`, found from dist/bench/ or bench/. */
export const DEFAULT_SPEC =
  [
    path.resolve(__dirname, '..', '..', 'examples', 'fleet-100k.yaml'),
    path.resolve(__dirname, '..', 'examples', 'fleet-100k.yaml'),
  ].find((p) => fs.existsSync(p)) ?? path.resolve('examples', 'fleet-100k.yaml');

export function loadModel(specPath: string): CompiledExperiment {
  const parsed = parseSpecText(fs.readFileSync(specPath, 'utf8'));
  if (!parsed.ok) {
    throw new Error(
      `invalid spec ${specPath}: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    );
  }
  return compileExperiment(parsed.resolved);
}
