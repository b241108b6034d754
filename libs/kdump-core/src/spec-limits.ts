/**
 * Bounds on what a spec may be, checked before anything recursive or
 * quadratic touches it: its size, its nesting depth, the keys of one map, the
 * aliases it expands and the length of an `extends` chain. A spec past a
 * bound is refused with an error that names the bound; nothing else runs.
 *
 * Why before parsing: the YAML composer, `toJS` and the schema all recurse
 * once per nesting level (a 2 KB `[[[[…]]]]` overflows the stack, and a second
 * overflow in the same process can abort V8), and the YAML composer checks
 * duplicate keys in O(keys²) per map (20,000 keys block for seconds).
 */

/** The bounds a spec is held to. Every one is far above what a real spec needs. */
export const SPEC_LIMITS = {
  /** Characters of spec text (the coordinator's MAX_BODY_BYTES applies first). */
  maxChars: 4 * 1024 * 1024,
  /** Nesting depth of maps and sequences (a real spec needs about 8). */
  maxDepth: 32,
  /** Keys of one map, or items of one flow collection. */
  maxKeysPerMap: 1000,
  /** YAML aliases expanded into one spec. */
  maxAliases: 100,
  /** Entries in one `extends` chain (a catalogue entry, its parent, its parent's parent, …). */
  maxExtendsChain: 16,
} as const;

/**
 * Bounds on what becomes a metric label or a report row, built-ins included:
 * every device model is a `device_class`, every strategy a `strategy`, and a
 * histogram series exists per combination, per finished experiment exported.
 */
export const LABEL_LIMITS = {
  /** Device models (the `device_class` label). */
  devices: 64,
  /** Drivers. */
  drivers: 64,
  /** Server profiles. */
  profiles: 32,
  /** Crash causes. */
  crashCauses: 16,
  /** Strategies compared in one experiment (the `strategy` label). */
  strategies: 32,
  /** Entries of `fleet`. */
  fleet: 256,
} as const;

/** One label source past its bound. */
export interface LabelLimitError {
  /** Field path of the source, e.g. `catalogue.devices`. */
  path: string;
  message: string;
}

/** The label sources of a resolved spec past {@link LABEL_LIMITS}, each named with its count. */
export function labelLimitErrors(counts: {
  devices: number;
  drivers: number;
  profiles: number;
  crashCauses: number;
  strategies: number;
  fleet: number;
}): LabelLimitError[] {
  const what: Record<keyof typeof LABEL_LIMITS, [string, string]> = {
    devices: [
      'catalogue.devices',
      'device models (built-in ones included; each is a device_class label)',
    ],
    drivers: ['catalogue.drivers', 'drivers (built-in ones included)'],
    profiles: ['catalogue.profiles', 'server profiles (built-in ones included)'],
    crashCauses: ['catalogue.crashCauses', 'crash causes (built-in ones included)'],
    strategies: ['strategies', 'strategies in one experiment (each is a strategy label)'],
    fleet: ['fleet', 'fleet entries'],
  };
  const out: LabelLimitError[] = [];
  for (const key of Object.keys(LABEL_LIMITS) as (keyof typeof LABEL_LIMITS)[]) {
    if (counts[key] > LABEL_LIMITS[key]) {
      const [path, noun] = what[key];
      out.push({
        path,
        message: `at most ${LABEL_LIMITS[key]} ${noun}, got ${counts[key]}: metric labels and report rows must stay bounded`,
      });
    }
  }
  return out;
}

/** A bound the text goes past, with the 0-based offset it was found at (when known). */
export interface TextLimitError {
  offset?: number;
  message: string;
}

/**
 * Size, and nesting depth and entries of flow collections (`[ ]`, `{ }`, all
 * of JSON), in one linear scan without recursion. YAML's block collections
 * are checked on its tokens by {@link checkYamlTokens}. Returns the first
 * bound exceeded, or null.
 */
export function checkSpecText(text: string): TextLimitError | null {
  if (text.length > SPEC_LIMITS.maxChars) {
    return {
      message: `the spec has ${text.length} characters; at most ${SPEC_LIMITS.maxChars} are accepted`,
    };
  }
  return scanBrackets(text);
}

/** Whether the text is a JSON document (an object or array at the top). */
export function looksLikeJson(text: string): boolean {
  const first = /\S/.exec(text);
  return first !== null && (first[0] === '{' || first[0] === '[');
}

function depthError(offset: number): TextLimitError {
  return {
    offset,
    message: `the spec nests deeper than ${SPEC_LIMITS.maxDepth} levels of maps and lists`,
  };
}

function keysError(offset: number): TextLimitError {
  return {
    offset,
    message: `a map or list of the spec has more than ${SPEC_LIMITS.maxKeysPerMap} entries`,
  };
}

/**
 * Flow collections (`[ ]`, `{ }`, all of JSON) in a linear scan: depth and
 * entries per collection. Quoted strings and comments are skipped; a quote
 * opens a string only where YAML lets a token start, so an apostrophe inside a
 * plain word does not hide brackets.
 */
function scanBrackets(text: string): TextLimitError | null {
  const entries: number[] = [];
  let prev = '\n';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const tokenStart = prev === '\n' || prev === ' ' || prev === '\t' || '[{,:'.includes(prev);
    if ((c === '"' || c === "'") && tokenStart) {
      // Skip the string; an unterminated one runs to the end (the parser reports it).
      for (i++; i < text.length; i++) {
        if (c === '"' && text[i] === '\\') {
          i++;
        } else if (text[i] === c) {
          if (c === "'" && text[i + 1] === "'") {
            i++;
          } else {
            break;
          }
        }
      }
      prev = c;
      continue;
    }
    if (c === '#' && (prev === ' ' || prev === '\t' || prev === '\n')) {
      while (i < text.length && text[i] !== '\n') {
        i++;
      }
      prev = '\n';
      continue;
    }
    if (c === '[' || c === '{') {
      entries.push(0);
      if (entries.length > SPEC_LIMITS.maxDepth) {
        return depthError(i);
      }
    } else if ((c === ']' || c === '}') && entries.length > 0) {
      entries.pop();
    } else if (c === ',' && entries.length > 0) {
      const n = (entries[entries.length - 1]! += 1);
      if (n >= SPEC_LIMITS.maxKeysPerMap) {
        return keysError(i);
      }
    }
    prev = c;
  }
  return null;
}

type CstNode = {
  type?: string;
  offset?: number;
  items?: unknown[];
  key?: unknown;
  value?: unknown;
};

/**
 * Depth and entries of YAML's collections, block ones included (indentation,
 * `- - -`), on the tokens of its CST parser (`new Parser().parse(text)`): the
 * parser is iterative, and the tokens are walked with an explicit stack,
 * whatever their depth. The same tokens are then composed into a document, so
 * the text is read once.
 */
export function checkYamlTokens(tokens: Iterable<unknown>): TextLimitError | null {
  for (const token of tokens) {
    const stack: [unknown, number][] = [[token, 0]];
    while (stack.length > 0) {
      const [node, depth] = stack.pop()!;
      if (node === null || typeof node !== 'object') {
        continue;
      }
      const n = node as CstNode;
      let inner = depth;
      if (n.type === 'block-map' || n.type === 'block-seq' || n.type === 'flow-collection') {
        inner = depth + 1;
        if (inner > SPEC_LIMITS.maxDepth) {
          return depthError(n.offset ?? 0);
        }
        if ((n.items?.length ?? 0) > SPEC_LIMITS.maxKeysPerMap) {
          return keysError(n.offset ?? 0);
        }
      }
      for (const child of [n.key, n.value]) {
        if (child !== null && typeof child === 'object') {
          stack.push([child, inner]);
        }
      }
      for (const item of n.items ?? []) {
        if (item !== null && typeof item === 'object') {
          stack.push([item, inner]);
        }
      }
    }
  }
  return null;
}

/**
 * The own property `key` of a record, never one inherited from
 * `Object.prototype` (`constructor`, `toString`, `__proto__`…).
 */
export function own<T>(
  record: Readonly<Record<string, T>> | undefined,
  key: string,
): T | undefined {
  return record !== undefined && Object.prototype.hasOwnProperty.call(record, key)
    ? record[key]
    : undefined;
}

/** Whether `key` is an own property of the record. */
export function hasOwn(record: object | undefined, key: string): boolean {
  return record !== undefined && Object.prototype.hasOwnProperty.call(record, key);
}
