/**
 * `fleetsim trace` as text: one job of one server, stage by stage down the
 * kdump path, the device states the crash left, then every strategy's outcome
 * with a device table. The trace type grows; fields this file does not know
 * are printed generically (label from the field name, `...Ms` as a duration),
 * never dropped and never a crash.
 */
import { formatSeconds, type JobTrace } from '../../../libs/kdump-core/src';

type Fields = Record<string, unknown>;

/** What the trace itself does not say: where it came from. */
export interface TraceContext {
  /** Spec name. */
  experiment?: string;
  seed?: number;
}

/** Known stage fields in kernel order, with their labels. */
const CRASH_STAGES: [key: string, label: string][] = [
  ['detectionMs', 'detection'],
  ['crashKexecMs', 'crash_kexec'],
  ['machineShutdownMs', 'machine_crash_shutdown'],
  ['staleCpu', 'stale CPU'],
  ['purgatoryMs', 'purgatory'],
];

/** Stage fields of the way back to service. */
const SERVICE_STAGES: [key: string, label: string][] = [
  ['firmwarePostMs', 'firmware POST'],
  ['kernelBootMs', 'kernel boot'],
];

const TOP_LEVEL = new Set([
  'server',
  'profile',
  'kind',
  'event',
  'cause',
  'bootPath',
  'stages',
  'initialStates',
  'strategies',
]);

const STRATEGY_FIELDS = new Set([
  'strategy',
  'outcome',
  'culprit',
  'kernelBootMs',
  'dumpMs',
  'downtimeMs',
  'devices',
]);

/** Device table columns the renderer knows; other device fields become extra columns. */
const DEVICE_COLUMNS: [key: string, header: string][] = [
  ['name', 'DEVICE'],
  ['loaded', 'LOADED'],
  ['resets', 'RESETS'],
  ['stateAtProbe', 'STATE AT PROBE'],
  ['probed', 'PROBED'],
  ['present', 'PRESENT'],
  ['reinitMs', 'REINIT'],
];

/** The trace as text, ending in a newline. */
export function formatTrace(trace: JobTrace, context: TraceContext = {}): string {
  const t = trace as unknown as Fields;
  const crash = trace.kind === 'crash';
  const out: string[] = [];
  const seed = context.seed !== undefined ? `seed ${context.seed}` : undefined;
  const origin =
    context.experiment !== undefined
      ? `${context.experiment}${seed !== undefined ? ` (${seed})` : ''}: `
      : seed !== undefined
        ? `${seed}: `
        : '';
  out.push(
    `${origin}server ${trace.server} (${trace.profile}), ${trace.kind} event ${trace.event}`,
  );
  const head: [string, unknown][] = [['boot path', trace.bootPath]];
  for (const [k, v] of Object.entries(t)) {
    if (!TOP_LEVEL.has(k)) {
      head.push([labelOf(k), valueFor(k, v)]);
    }
  }
  out.push(...keyValues(head, ''));

  const stages = isFields(t.stages) ? t.stages : {};
  const known = new Set([...CRASH_STAGES, ...SERVICE_STAGES].map(([k]) => k));
  // Stages this file does not know yet: on a crash, most likely steps before the capture kernel.
  const unknownStages = Object.entries(stages)
    .filter(([key]) => !known.has(key))
    .map(([key, value]): [string, unknown] => [labelOf(key), valueFor(key, value)]);
  if (crash) {
    out.push('', 'Down the kdump path');
    const rows: [string, unknown][] = [['cause', trace.cause ?? '-']];
    for (const [key, label] of CRASH_STAGES) {
      if (key in stages) {
        rows.push([label, stageValue(key, stages[key])]);
      }
    }
    rows.push(...unknownStages, ['capture kernel boot', captureBoot(trace)]);
    out.push(...keyValues(rows, '  '));
    out.push('', 'Back to service (after the dump or a failed capture)');
  } else {
    out.push('', `Reboot (${trace.bootPath})`);
  }
  const service: [string, unknown][] = [];
  for (const [key, label] of SERVICE_STAGES) {
    // A kexec reboot skips firmware: its trace has no POST time.
    if (key in stages && stages[key] !== null) {
      service.push([label, stageValue(key, stages[key])]);
    }
  }
  if (!crash) {
    for (const [key, label] of CRASH_STAGES) {
      // A reboot has no crash stages; print them only if a future trace fills them in.
      if (key in stages && stages[key] !== null && stages[key] !== false) {
        service.push([label, stageValue(key, stages[key])]);
      }
    }
    service.push(...unknownStages);
  }
  out.push(...keyValues(service, '  '));

  out.push('', crash ? 'Device states the crash left' : 'Device states the old kernel left');
  const initial = isFields(t.initialStates) ? Object.entries(t.initialStates) : [];
  if (initial.length === 0) {
    out.push(crash ? '  - (the capture kernel never started)' : '  - (no device was brought up)');
  } else {
    out.push(...keyValues(initial, '  '));
  }

  const strategies = Array.isArray(t.strategies) ? t.strategies : [];
  if (strategies.length > 1) {
    out.push('', 'Outcomes');
    const rows = strategies
      .filter(isFields)
      .map((s) => [
        plain(s.strategy),
        plain(s.outcome),
        plain(s.culprit),
        cell('kernelBootMs', s.kernelBootMs),
        ...(crash ? [cell('dumpMs', s.dumpMs)] : []),
        cell('downtimeMs', s.downtimeMs),
      ]);
    const header = [
      'STRATEGY',
      'OUTCOME',
      'CULPRIT',
      crash ? 'CAPTURE KERNEL BOOT' : 'KERNEL BOOT',
      ...(crash ? ['DUMP'] : []),
      'DOWNTIME',
    ];
    out.push(...table(header, rows, '  '));
  }
  for (const s of strategies) {
    out.push('', ...formatStrategy(isFields(s) ? s : { value: s }, crash));
  }
  return out.join('\n') + '\n';
}

function formatStrategy(s: Fields, crash: boolean): string[] {
  const out = [`Strategy ${String(s.strategy ?? '?')}: ${String(s.outcome ?? '?')}`];
  const rows: [string, unknown][] = [
    ['culprit', s.culprit ?? '-'],
    [crash ? 'capture kernel boot' : 'kernel boot', notReached(s.kernelBootMs)],
    ...(crash || (s.dumpMs !== null && s.dumpMs !== undefined)
      ? [['dump', notReached(s.dumpMs)] as [string, unknown]]
      : []),
    ['downtime', duration(s.downtimeMs)],
  ];
  for (const [k, v] of Object.entries(s)) {
    if (!STRATEGY_FIELDS.has(k)) {
      rows.push([labelOf(k), valueFor(k, v)]);
    }
  }
  out.push(...keyValues(rows, '  '));
  const devices = Array.isArray(s.devices) ? s.devices.filter(isFields) : [];
  if (devices.length === 0) {
    out.push('  no device was brought up');
    return out;
  }
  const columns = [...DEVICE_COLUMNS];
  for (const d of devices) {
    for (const k of Object.keys(d)) {
      if (!columns.some(([c]) => c === k)) {
        columns.push([k, labelOf(k).toUpperCase()]);
      }
    }
  }
  const rowsOut = devices.map((d) => columns.map(([k]) => cell(k, d[k])));
  out.push(
    ...table(
      columns.map(([, h]) => h),
      rowsOut,
      '  ',
    ),
  );
  return out;
}

/** The capture kernel's boot: one value, or the range over strategies. */
function captureBoot(trace: JobTrace): string {
  const times = trace.strategies
    .map((s) => s.kernelBootMs)
    .filter((v): v is number => typeof v === 'number');
  if (times.length === 0) {
    return '- (not reached)';
  }
  const min = Math.min(...times);
  const max = Math.max(...times);
  return min === max
    ? `${duration(min)}, devices included`
    : `${duration(min)} to ${duration(max)} by strategy, devices included`;
}

function stageValue(key: string, v: unknown): string {
  if (key === 'staleCpu') {
    return v === true ? 'yes: a CPU ignored the NMI shootdown' : 'no';
  }
  return notReached(v);
}

function notReached(v: unknown): string {
  return v === null || v === undefined ? '- (not reached)' : duration(v);
}

function duration(v: unknown): string {
  return typeof v === 'number' ? formatSeconds(v / 1000) : plain(v);
}

/** `reinitMs` → `reinit`, `kexecHandoverMs` → `kexec handover`, `segmentsMiB` → `segments MiB`. */
export function labelOf(key: string): string {
  const size = /(KiB|MiB|GiB|TiB)$/.exec(key)?.[1];
  const words = (size ? key.slice(0, -size.length) : key.replace(/(Ms|Us)$/, ''))
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return size ? `${words} ${size}` : words;
}

/** A value of a field this file may not know: `...Ms` numbers as durations, nested objects kept. */
function valueFor(key: string, v: unknown): unknown {
  if (typeof v === 'number' && /Ms$/.test(key)) {
    return duration(v);
  }
  return v;
}

/** One table cell: short and on one line. */
function cell(key: string, v: unknown): string {
  if (typeof v === 'number' && /Ms$/.test(key)) {
    return duration(v);
  }
  if (Array.isArray(v)) {
    return v.length === 0 ? '-' : v.map((x) => plain(x)).join(',');
  }
  return plain(v);
}

function plain(v: unknown): string {
  if (v === null || v === undefined) {
    return '-';
  }
  if (typeof v === 'boolean') {
    return v ? 'yes' : 'no';
  }
  if (typeof v === 'string') {
    return v === '' ? '-' : v;
  }
  if (typeof v === 'number') {
    return String(v);
  }
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) {
    return v.length === 0 ? '-' : v.map((x) => plain(x)).join(', ');
  }
  return JSON.stringify(v);
}

/** Aligned `key  value` lines; a nested object becomes indented lines of its own. */
function keyValues(rows: readonly [string, unknown][], indent: string): string[] {
  const width = Math.max(0, ...rows.map(([k]) => k.length)) + 2;
  const out: string[] = [];
  for (const [k, v] of rows) {
    if (isFields(v)) {
      out.push(`${indent}${k}`);
      out.push(
        ...keyValues(
          Object.entries(v).map(([ck, cv]) => [labelOf(ck), valueFor(ck, cv)]),
          indent + '  ',
        ),
      );
    } else {
      out.push(`${indent}${k.padEnd(width)}${plain(v)}`.trimEnd());
    }
  }
  return out;
}

function table(header: string[], rows: string[][], indent: string): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map(
    (r) =>
      indent +
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
  );
}

function isFields(v: unknown): v is Fields {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
