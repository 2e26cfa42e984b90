// Progress line for long CLI runs: steps, images/s and ETA, redrawn in place on a TTY and printed every N seconds otherwise.

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

export class Progress {
  private lastPrint = 0;
  private readonly t0 = Date.now();
  constructor(private readonly total: number, private readonly everySeconds = 15) {}

  /** done: steps completed in this run; text: the metrics to show. */
  update(done: number, imagesPerSecond: number, text: string, force = false): void {
    const now = Date.now();
    const tty = process.stdout.isTTY;
    if (!force && !tty && now - this.lastPrint < this.everySeconds * 1000) return;
    this.lastPrint = now;
    const frac = this.total > 0 ? done / this.total : 0;
    const width = 24;
    const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
    const elapsed = (now - this.t0) / 1000;
    const eta = done > 0 ? (elapsed / done) * (this.total - done) : Infinity;
    const line = `${bar} ${done}/${this.total} | ${imagesPerSecond.toFixed(1)} img/s | ETA ${formatDuration(eta)} | ${text}`;
    if (tty) process.stdout.write(`\r${line}\x1b[K`);
    else console.log(line);
  }

  end(): void {
    if (process.stdout.isTTY) process.stdout.write('\n');
  }
}
