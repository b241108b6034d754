/**
 * A small parser of the Prometheus text exposition format (0.0.4): `# HELP`,
 * `# TYPE`, other comments, and samples `name{label="value",...} value [ts]`.
 * Strict: a line it cannot read throws, naming the line.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** Metric family name → type (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>;
  help: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export class ExpositionError extends Error {}

export function parsePrometheusText(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const where = `line ${i + 1}`;
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') {
      return;
    }
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) {
        return; // a plain comment
      }
      const [, kind, name, rest = ''] = m;
      if (!NAME.test(name!)) {
        throw new ExpositionError(`${where}: bad metric name "${name}" in ${kind}`);
      }
      if (kind === 'TYPE') {
        const type = rest.trim();
        if (!TYPES.has(type)) {
          throw new ExpositionError(`${where}: unknown type "${type}" for ${name}`);
        }
        if (types.has(name!)) {
          throw new ExpositionError(`${where}: second TYPE line for ${name}`);
        }
        types.set(name!, type);
      } else {
        help.set(name!, rest);
      }
      return;
    }
    samples.push(parseSample(line, where));
  });
  return { samples, types, help };
}

function parseSample(line: string, where: string): Sample {
  let i = 0;
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) {
    throw new ExpositionError(`${where}: no metric name in "${line}"`);
  }
  const name = nameMatch[0];
  i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ') {
        i++;
      }
      if (line[i] === '}') {
        i++;
        break;
      }
      const ln = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
      if (!ln || !LABEL_NAME.test(ln[0])) {
        throw new ExpositionError(`${where}: bad label name in "${line}"`);
      }
      i += ln[0].length;
      if (line[i] !== '=' || line[i + 1] !== '"') {
        throw new ExpositionError(`${where}: expected ="..." after label ${ln[0]}`);
      }
      i += 2;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) {
          throw new ExpositionError(`${where}: unterminated value of label ${ln[0]}`);
        }
        i++;
        if (c === '"') {
          break;
        }
        if (c === '\\') {
          const e = line[i++];
          if (e === 'n') {
            value += '\n';
          } else if (e === '\\' || e === '"') {
            value += e;
          } else {
            throw new ExpositionError(`${where}: bad escape \\${e} in label ${ln[0]}`);
          }
        } else {
          value += c;
        }
      }
      if (Object.hasOwn(labels, ln[0])) {
        throw new ExpositionError(`${where}: label ${ln[0]} twice`);
      }
      labels[ln[0]] = value;
      while (line[i] === ' ') {
        i++;
      }
      if (line[i] === ',') {
        i++;
      } else if (line[i] !== '}') {
        throw new ExpositionError(`${where}: expected , or } in "${line}"`);
      }
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') {
    throw new ExpositionError(`${where}: expected "value [timestamp]" in "${line}"`);
  }
  const value = parseValue(rest[0]!);
  if (value === undefined) {
    throw new ExpositionError(`${where}: bad value "${rest[0]}"`);
  }
  if (rest[1] !== undefined && !/^-?\d+$/.test(rest[1])) {
    throw new ExpositionError(`${where}: bad timestamp "${rest[1]}"`);
  }
  return { name, labels, value };
}

function parseValue(text: string): number | undefined {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
    return undefined;
  }
  return Number(text);
}

/** The family a sample belongs to: `x_bucket`/`x_sum`/`x_count` of a histogram x, etc. */
export function familyOf(exposition: Exposition, sampleName: string): string | undefined {
  if (exposition.types.has(sampleName)) {
    return sampleName;
  }
  for (const suffix of ['_bucket', '_sum', '_count', '_total', '_created']) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      if (exposition.types.has(base)) {
        return base;
      }
    }
  }
  return undefined;
}

/** Samples named `name` whose labels include `match`. */
export function select(
  exposition: Exposition,
  name: string,
  match: Record<string, string> = {},
): Sample[] {
  return exposition.samples.filter(
    (s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v),
  );
}

/** Sum of the values of {@link select}. */
export function sumOf(
  exposition: Exposition,
  name: string,
  match: Record<string, string> = {},
): number {
  return select(exposition, name, match).reduce((a, s) => a + s.value, 0);
}
