/** Helpers for the benchmarks that drive the gateway core in process (no gRPC). */
import type { SubscriptionHandle } from '../../src/gateway/index.ts';

/** The partition of the first assignment a subscription gets (the benches use one-partition topics). */
export function firstAssignedPartition(handle: SubscriptionHandle): Promise<number> {
  return new Promise<number>((resolve) => {
    const sub = handle.assignments.subscribe((a) => {
      resolve(a.partition);
      queueMicrotask(() => sub.unsubscribe());
    });
  });
}
