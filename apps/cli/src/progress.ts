/**
 * The progress bar of a run, embedded or on a coordinator: one line on a terminal, redrawn on a timer
 * (at most every {@link REDRAW_MS}) and erased at the end. Only drawn when stderr
 * is a TTY; the caller decides.
 */

/** Least time between two redraws. */
export const REDRAW_MS = 100;

/** Characters of the bar itself, between its brackets. */
const BAR_WIDTH = 30;

/** What the bar shows. */
export interface ProgressSnapshot {
  shardsDone: number;
  shardsTotal: number;
  serversDone: number;
  serversTotal: number;
  elapsedMs: number;
  /** An ETA someone else estimated (a coordinator); else drawn from the rate so far. */
  etaSeconds?: number | null;
  /** A word in front of the bar, such as the experiment's state while it is queued. */
  label?: string;
}

/** The bar's text for a terminal `columns` wide (kept one short of it, so it never wraps). */
export function renderProgressLine(s: ProgressSnapshot, columns: number): string {
  const rate = s.elapsedMs > 0 ? (s.serversDone * 1000) / s.elapsedMs : 0;
  const remaining = s.serversTotal - s.serversDone;
  const eta =
    s.etaSeconds !== undefined && s.etaSeconds !== null && Number.isFinite(s.etaSeconds)
      ? formatDuration(s.etaSeconds)
      : s.serversDone > 0 && rate > 0
        ? formatDuration(remaining / rate)
        : '--:--';
  const stats =
    (s.label ? ` ${s.label}` : '') +
    ` ${s.shardsDone}/${s.shardsTotal} shards` +
    `  ${Math.round(rate).toLocaleString('en-US')} servers/s` +
    `  ETA ${eta}`;
  // A fixed width, so the bar does not jump as the numbers grow; narrower on a narrow terminal.
  const width = Math.max(0, Math.min(BAR_WIDTH, columns - 1 - stats.length - 2));
  const fraction = s.serversTotal > 0 ? s.serversDone / s.serversTotal : 1;
  const filled = Math.min(width, Math.floor(fraction * width));
  const bar = width > 0 ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]` : '';
  return (bar + stats).slice(0, Math.max(0, columns - 1));
}

/** `m:ss`, or `h:mm:ss` from an hour. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Where the bar is drawn: a terminal stream. */
export interface ProgressStream {
  write(text: string): unknown;
  columns?: number;
}

/** A live bar on a terminal. `start`, `shardDone` per merged shard, `stop` once. */
export class ProgressBar {
  private shardsDone = 0;
  private serversDone = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private etaSeconds: number | null = null;
  private label: string | undefined;

  constructor(
    private readonly stream: ProgressStream,
    private shardsTotal: number,
    private readonly serversTotal: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(): void {
    this.startedAt = this.now();
    this.draw();
    this.timer = setInterval(() => this.draw(), REDRAW_MS);
    // The bar must never keep the process alive.
    this.timer.unref();
  }

  /** Counts one merged shard of `servers` servers; drawn at the next tick. */
  shardDone(servers: number): void {
    this.shardsDone++;
    this.serversDone += servers;
  }

  /**
   * Sets the counts as a remote run reports them (shards done so far, not one more),
   * with the ETA and a label when the remote side gives them; drawn at the next tick.
   */
  update(s: {
    shardsDone: number;
    shardsTotal?: number;
    serversDone: number;
    etaSeconds?: number | null;
    label?: string;
  }): void {
    this.shardsDone = s.shardsDone;
    if (s.shardsTotal !== undefined) {
      this.shardsTotal = s.shardsTotal;
    }
    this.serversDone = s.serversDone;
    this.etaSeconds = s.etaSeconds ?? null;
    this.label = s.label;
  }

  /** Stops redrawing and erases the line. */
  stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.stream.write('\r\x1b[2K');
  }

  private draw(): void {
    const line = renderProgressLine(
      {
        shardsDone: this.shardsDone,
        shardsTotal: this.shardsTotal,
        serversDone: this.serversDone,
        serversTotal: this.serversTotal,
        elapsedMs: this.now() - this.startedAt,
        etaSeconds: this.etaSeconds,
        label: this.label,
      },
      // A pseudo-terminal may report 0 columns.
      this.stream.columns || 80,
    );
    this.stream.write(`\r${line}\x1b[K`);
  }
}
