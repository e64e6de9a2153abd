import type { GroupPartitionsAssigner, GroupPartitionsAssignments } from '@platformatic/kafka';

/**
 * Round robin that honours each member's own subscription (classic
 * protocol; with KIP-848 the broker assigns). @platformatic/kafka's
 * roundRobinAssigner deals the leader's topics to every member, whatever each
 * subscribed to (as kafkajs's does): with one Kafka group per group name, a
 * member on another topic would get partitions it drops. Here each topic's
 * partitions go round robin over the members subscribed to it, in member id
 * order (the kafkajs driver's assigner.ts does the same).
 */
export const subscriptionRoundRobin: GroupPartitionsAssigner = (_current, members, topics, metadata) => {
  const result = new Map<string, GroupPartitionsAssignments>();
  for (const memberId of members.keys()) result.set(memberId, { memberId, assignments: new Map() });
  const all = new Set(topics);
  for (const member of members.values()) for (const topic of member.topics ?? []) all.add(topic);
  for (const topic of [...all].sort()) {
    const partitions = metadata.topics.get(topic)?.partitionsCount ?? 0;
    const subscribers = [...members.values()]
      .filter((m) => (m.topics ?? [...topics]).includes(topic))
      .map((m) => m.memberId)
      .sort();
    if (subscribers.length === 0) continue;
    for (let partition = 0; partition < partitions; partition++) {
      const own = result.get(subscribers[partition % subscribers.length]!)!.assignments;
      let entry = own.get(topic);
      if (!entry) own.set(topic, (entry = { topic, partitions: [] }));
      entry.partitions.push(partition);
    }
  }
  return [...result.values()];
};
