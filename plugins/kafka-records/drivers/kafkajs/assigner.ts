import kafkajs, { type PartitionAssigner } from 'kafkajs';

const { MemberMetadata, MemberAssignment } = kafkajs.AssignerProtocol;

/**
 * Round robin that honours each member's own subscription. kafkajs's
 * RoundRobinAssigner hands the leader's topics to every member, whatever it
 * subscribed to; with one Kafka group per group name, a gateway serving group
 * "g" on topics A and B would give A's partitions to B's member, which drops
 * them (never read), and never assign B at all. Here each topic's partitions
 * go round robin over the members subscribed to it (in member id order).
 *
 * Same protocol name and metadata as kafkajs's, so other kafkajs consumers of
 * the group still agree on the protocol.
 */
export const subscriptionRoundRobin: PartitionAssigner = ({ cluster }) => ({
  name: 'RoundRobinAssigner',
  version: 0,

  async assign({ members, topics }) {
    const subscribed = new Map<string, readonly string[]>();
    const all = new Set(topics);
    for (const { memberId, memberMetadata } of members) {
      const own = MemberMetadata.decode(memberMetadata)?.topics ?? topics;
      subscribed.set(memberId, own);
      for (const topic of own) all.add(topic);
    }
    // The leader knows the metadata of its own topics only.
    await cluster.addMultipleTargetTopics([...all]);

    const assignment = new Map<string, Record<string, number[]>>();
    for (const topic of [...all].sort()) {
      const subscribers = members
        .map(({ memberId }) => memberId)
        .filter((memberId) => subscribed.get(memberId)!.includes(topic))
        .sort();
      if (subscribers.length === 0) continue;
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map((p) => p.partitionId)
        .sort((a, b) => a - b);
      partitions.forEach((partition, i) => {
        const memberId = subscribers[i % subscribers.length]!;
        let own = assignment.get(memberId);
        if (!own) assignment.set(memberId, (own = Object.create(null) as Record<string, number[]>));
        (own[topic] ??= []).push(partition);
      });
    }
    return members.map(({ memberId }) => ({
      memberId,
      memberAssignment: MemberAssignment.encode({ version: 0, assignment: assignment.get(memberId) ?? {}, userData: Buffer.alloc(0) }),
    }));
  },

  protocol({ topics }) {
    return { name: 'RoundRobinAssigner', metadata: MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});
