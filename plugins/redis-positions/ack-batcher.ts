/**
 * Group commit for acks: coalesces writes of (key, field) = value that arrive
 * while a flush is under way, and writes them in one batch.
 *
 * - At most one flush is in flight. Submissions wait for the next flush, which
 *   starts on the next turn of the event loop (`schedule`) or, if a flush is
 *   in flight, as soon as it settles.
 * - Submissions for the same (key, field) waiting for the same flush collapse
 *   to the value of the latest one (last wins); every one of them settles with
 *   that flush. Since flushes are strictly sequential, a value submitted later
 *   is never written before one submitted earlier.
 * - A submission resolves only once a flush holding its value, or a later value
 *   for the same (key, field), has been acknowledged, and rejects with the
 *   flush's error otherwise. Nothing is retried: a rejected caller decides.
 *
 * Pure logic: the write itself is the `flush` function given.
 */

/** key -> field -> value */
export type Batch<V> = ReadonlyMap<string, ReadonlyMap<string, V>>;

/**
 * Writes a batch. Resolving means every key was written; it may resolve with
 * per-key errors instead (keys not in the map were written); rejecting fails
 * the whole batch.
 */
export type FlushFunction<V> = (batch: Batch<V>) => Promise<ReadonlyMap<string, Error> | void>;

export interface AckBatcherOptions {
  /** Most fields in one flush; the rest wait for the next. Default 10 000. */
  maxFieldsPerFlush?: number;
  /** How a flush is deferred to let submissions gather. Default setImmediate. */
  schedule?: (run: () => void) => void;
}

interface Pending<V> {
  value: V;
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface AckBatcherStats {
  /** submit() calls */
  submitted: number;
  /** flush() calls */
  flushes: number;
  /** (key, field) values written, after coalescing */
  fieldsWritten: number;
  /** keys written, summed over flushes */
  keysWritten: number;
}

export class AckBatcher<V> {
  readonly #flush: FlushFunction<V>;
  readonly #maxFields: number;
  readonly #schedule: (run: () => void) => void;
  /** key -> field -> pending write; insertion order is flush order. */
  #pending = new Map<string, Map<string, Pending<V>>>();
  #pendingFields = 0;
  #scheduled = false;
  #inFlight: Promise<void> | undefined;
  readonly #stats: AckBatcherStats = { submitted: 0, flushes: 0, fieldsWritten: 0, keysWritten: 0 };

  constructor(flush: FlushFunction<V>, options: AckBatcherOptions = {}) {
    this.#flush = flush;
    this.#maxFields = options.maxFieldsPerFlush ?? 10_000;
    if (!Number.isInteger(this.#maxFields) || this.#maxFields < 1) throw new RangeError('maxFieldsPerFlush must be a positive integer');
    this.#schedule = options.schedule ?? ((run) => void setImmediate(run));
  }

  /** Resolves once `value` (or a later value of the same field) is acknowledged. */
  submit(key: string, field: string, value: V): Promise<void> {
    this.#stats.submitted++;
    let fields = this.#pending.get(key);
    if (!fields) this.#pending.set(key, (fields = new Map()));
    const existing = fields.get(field);
    if (existing) {
      existing.value = value;
      return existing.promise;
    }
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    fields.set(field, { value, promise, resolve, reject });
    this.#pendingFields++;
    this.#kick();
    return promise;
  }

  /** Fields waiting for a flush (not counting the one in flight). */
  get pending(): number {
    return this.#pendingFields;
  }

  get stats(): Readonly<AckBatcherStats> {
    return { ...this.#stats };
  }

  /** Resolves once everything submitted so far has settled (whether written or failed). */
  async drain(): Promise<void> {
    while (this.#inFlight || this.#pendingFields > 0) {
      if (this.#inFlight) await this.#inFlight;
      else await new Promise<void>((resolve) => this.#schedule(resolve));
    }
  }

  #kick(): void {
    if (this.#scheduled || this.#inFlight || this.#pendingFields === 0) return;
    this.#scheduled = true;
    this.#schedule(() => {
      this.#scheduled = false;
      this.#run();
    });
  }

  #run(): void {
    if (this.#inFlight || this.#pendingFields === 0) return;
    const taken = this.#take();
    const batch = new Map<string, Map<string, V>>();
    for (const [key, fields] of taken) {
      const values = new Map<string, V>();
      for (const [field, pending] of fields) values.set(field, pending.value);
      batch.set(key, values);
    }
    this.#stats.flushes++;
    this.#stats.keysWritten += batch.size;
    let flushing: Promise<ReadonlyMap<string, Error> | void>;
    try {
      flushing = Promise.resolve(this.#flush(batch));
    } catch (err) {
      flushing = Promise.reject(err);
    }
    this.#inFlight = flushing.then(
      (errors) => {
        for (const [key, fields] of taken) {
          const error = errors?.get(key);
          for (const pending of fields.values()) {
            if (error) pending.reject(error);
            else {
              this.#stats.fieldsWritten++;
              pending.resolve();
            }
          }
        }
      },
      (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        for (const fields of taken.values()) for (const pending of fields.values()) pending.reject(error);
      },
    ).finally(() => {
      this.#inFlight = undefined;
      this.#kick();
    });
  }

  /** Removes up to maxFieldsPerFlush fields from the pending set, oldest keys first. */
  #take(): Map<string, Map<string, Pending<V>>> {
    if (this.#pendingFields <= this.#maxFields) {
      const all = this.#pending;
      this.#pending = new Map();
      this.#pendingFields = 0;
      return all;
    }
    const taken = new Map<string, Map<string, Pending<V>>>();
    let budget = this.#maxFields;
    for (const [key, fields] of this.#pending) {
      if (budget === 0) break;
      if (fields.size <= budget) {
        taken.set(key, fields);
        this.#pending.delete(key);
        budget -= fields.size;
        continue;
      }
      const part = new Map<string, Pending<V>>();
      for (const [field, pending] of fields) {
        if (budget === 0) break;
        part.set(field, pending);
        fields.delete(field);
        budget--;
      }
      taken.set(key, part);
    }
    this.#pendingFields -= this.#maxFields - budget;
    return taken;
  }
}
