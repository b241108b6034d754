/**
 * `fleetsim catalogue [SPEC] [NAME...]`: print the catalogue (built-in, or as
 * SPEC overrides it) in spec syntax.
 */
import type { ResolvedSpec } from '../../../libs/kdump-core/src';
import type { CatalogueCommand } from './args';
import { catalogueDocument, renderCatalogue, selectCatalogue } from './catalogue-format';
import { UsageError, type CliIo } from './cli-io';
import { loadSpecForCommand } from './spec-file';

export async function catalogueCommand(cmd: CatalogueCommand, io: CliIo): Promise<number> {
  let resolved: ResolvedSpec | null = null;
  if (cmd.spec !== undefined) {
    const loaded = await loadSpecForCommand(cmd.spec, undefined, io);
    if (typeof loaded === 'number') {
      return loaded;
    }
    resolved = loaded.resolved;
  }
  const selected = selectCatalogue(catalogueDocument(resolved), cmd.names);
  if (!selected.ok) {
    throw new UsageError(
      `unknown catalogue name${selected.unknown.length > 1 ? 's' : ''} ${selected.unknown.map((n) => `"${n}"`).join(', ')}` +
        ` (known: ${selected.known.join(', ')})`,
    );
  }
  const origin =
    cmd.spec === undefined
      ? 'The built-in catalogue'
      : `The catalogue of ${cmd.spec} (the built-ins with its overrides applied)`;
  io.out(renderCatalogue(selected.document, cmd.format, origin));
  return 0;
}
