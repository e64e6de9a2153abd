/** Tracks pending operations so shutdown can wait for them (acks must not be lost). */
export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();

  track<T>(operation: Promise<T>): Promise<T> {
    this.pending.add(operation);
    const forget = () => this.pending.delete(operation);
    operation.then(forget, forget);
    return operation;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves once everything tracked so far has settled. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
