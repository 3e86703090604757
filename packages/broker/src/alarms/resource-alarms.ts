import { statfs } from 'node:fs/promises';
import { totalmem } from 'node:os';
import type { Logger } from 'pino';

export interface ResourceAlarmOptions {
  /** A fraction of total RAM (default 0.4, RabbitMQ's vm_memory_high_watermark.relative). */
  memoryHighWatermark?: number;
  /** An absolute limit in bytes (RabbitMQ's vm_memory_high_watermark.absolute); wins over the fraction. */
  memoryLimitBytes?: number;
  /** Free disk bytes below which publishing stops (default 50 MB, RabbitMQ's disk_free_limit). */
  diskFreeLimit?: number;
  /** Directory whose file system is watched for free space (the data dir). */
  dataDir?: string;
  checkIntervalMs?: number;
}

/**
 * Memory and disk alarms. When either fires, publishing connections are blocked
 * (connection.blocked) instead of the broker dying of OOM or ENOSPC; they are released when
 * the resource recovers.
 */
export class ResourceAlarms {
  memoryLimit: number;
  diskFreeLimit: number;
  memoryAlarm = false;
  diskAlarm = false;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(private readonly opts: ResourceAlarmOptions, private readonly logger: Logger, private readonly onChange: (active: boolean) => void) {
    this.memoryLimit = opts.memoryLimitBytes ?? Math.floor(totalmem() * (opts.memoryHighWatermark ?? 0.4));
    this.diskFreeLimit = opts.diskFreeLimit ?? 50_000_000;
  }

  get active(): boolean { return this.memoryAlarm || this.diskAlarm; }

  start(): void {
    this.timer = setInterval(() => void this.check(), this.opts.checkIntervalMs ?? 1000);
    this.timer.unref();
    void this.check();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Sets the memory limit as a fraction of RAM. */
  setMemoryHighWatermark(fraction: number): void {
    this.setMemoryLimitBytes(Math.floor(totalmem() * fraction));
  }

  setMemoryLimitBytes(bytes: number): void {
    this.memoryLimit = bytes;
    void this.check();
  }

  setDiskFreeLimit(bytes: number): void {
    this.diskFreeLimit = bytes;
    void this.check();
  }

  async check(): Promise<void> {
    if (this.checking) {
      this.recheck = true;
      return;
    }
    this.checking = true;
    try {
      let before = this.active;
      const rss = process.memoryUsage.rss();
      this.setMemory(rss > this.memoryLimit, rss);
      // Publishers are told at once, not after the disk check below (whoever sees the alarm flag
      // must find publishers already blocked).
      if (this.active !== before) {
        before = this.active;
        this.onChange(before);
      }
      if (this.opts.dataDir !== undefined) {
        try {
          const s = await statfs(this.opts.dataDir);
          const free = s.bavail * s.bsize;
          this.setDisk(free < this.diskFreeLimit, free);
        } catch (err) {
          this.logger.warn({ err }, 'could not read free disk space');
        }
      }
      if (this.active !== before) this.onChange(this.active);
    } finally {
      this.checking = false;
    }
    if (this.recheck) {
      this.recheck = false;
      await this.check();
    }
  }

  private recheck = false;

  private setMemory(on: boolean, rss: number): void {
    if (on === this.memoryAlarm) return;
    this.memoryAlarm = on;
    if (on) this.logger.warn({ rss, limit: this.memoryLimit }, 'memory resource limit alarm set: publishers are blocked');
    else this.logger.info({ rss, limit: this.memoryLimit }, 'memory resource limit alarm cleared');
  }

  private setDisk(on: boolean, free: number): void {
    if (on === this.diskAlarm) return;
    this.diskAlarm = on;
    if (on) this.logger.warn({ free, limit: this.diskFreeLimit }, 'disk resource limit alarm set: publishers are blocked');
    else this.logger.info({ free, limit: this.diskFreeLimit }, 'disk resource limit alarm cleared');
  }
}
