// Many events of one kind from one pass (a speaker starting with 10,000
// addresses, a failover moving 1,000) logged as one line at info with the
// count and the first few items, and each item at debug. A line per item at
// info would flood the journal exactly when an operator reads it.
import type { LogFields, Logger } from './log.js';

/** Items named in the summary line. */
export const BATCH_LOG_FIRST = 5;

export class BatchLog {
  private count = 0;
  private first: string[] = [];

  constructor(
    private readonly log: Logger,
    /** The message of both the summary and the per-item lines. */
    private readonly msg: string,
  ) {}

  /** One item: logged at debug now, counted for the summary. */
  add(item: string, fields: LogFields): void {
    this.log.debug(this.msg, fields);
    this.count++;
    if (this.first.length < BATCH_LOG_FIRST) this.first.push(item);
  }

  /** Logs the summary of the items added since the last flush, if any: { count, addresses: first few, ...fields }. */
  flush(fields: LogFields = {}): void {
    if (this.count === 0) return;
    this.log.info(this.msg, { count: this.count, addresses: this.first, ...fields });
    this.count = 0;
    this.first = [];
  }
}
