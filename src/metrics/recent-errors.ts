export interface RecordedError {
  at: number;
  rpc: string;
  /** gRPC status name. */
  code: string;
  message: string;
}

/** The last few failed calls, newest last, for the dashboard. Bounded. */
export class RecentErrors {
  private readonly entries: RecordedError[] = [];

  constructor(private readonly capacity = 50) {}

  add(rpc: string, code: string, message: string): void {
    this.entries.push({ at: Date.now(), rpc, code, message: message.slice(0, 500) });
    if (this.entries.length > this.capacity) this.entries.shift();
  }

  all(): readonly RecordedError[] {
    return [...this.entries];
  }
}
