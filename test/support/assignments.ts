import type { Assignment, SubscribeStream, TestClient } from './client.ts';

/**
 * The partitions a member holds now: opens a Receive on each partition it was
 * ever assigned and keeps those whose stream stays open for `settleMs`; a
 * partition it no longer holds is refused with NOT_FOUND (or, if revoked
 * mid-stream, ends with OK).
 */
export async function heldPartitions(client: TestClient, subscription: SubscribeStream, settleMs = 300): Promise<number[]> {
  const latest = new Map<number, Assignment>();
  for (const a of subscription.assignments) latest.set(a.partition, a);
  const probes = [...latest.values()].map((a) => ({ a, stream: client.receive({ assignment: a }) }));
  const ended = await Promise.all(
    probes.map(({ stream }) => Promise.race([stream.status.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), settleMs))])),
  );
  probes.forEach(({ stream }) => stream.cancel());
  return probes
    .filter((_, i) => !ended[i])
    .map(({ a }) => a.partition)
    .sort((x, y) => x - y);
}
