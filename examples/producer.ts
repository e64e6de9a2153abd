// Publishes a few orders to Sluice.
//   npx tsx examples/producer.ts            (gateway at localhost:6565)
//   SLUICE_ADDRESS=host:port SLUICE_TOPIC=example-orders SLUICE_COUNT=100 npx tsx examples/producer.ts
import { connect } from 'sluice/client';

const address = process.env.SLUICE_ADDRESS ?? 'localhost:6565';
const topic = process.env.SLUICE_TOPIC ?? 'example-orders';
const count = Number(process.env.SLUICE_COUNT ?? 10);

const client = connect(address);
try {
  for (let i = 1; i <= count; i++) {
    const customer = `customer-${i % 3}`;
    const order = { id: i, customer, amount: i * 10 };
    // The same key always lands in the same partition, so a customer's orders stay in order.
    const { partition, offset } = await client.publish(topic, JSON.stringify(order), { key: customer, headers: { source: 'example-producer' } });
    console.log(`order ${i} -> ${topic} partition ${partition} offset ${offset}`);
  }
} finally {
  await client.close();
}
