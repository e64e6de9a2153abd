// Consumes orders with retry and dead-letter (docs/retry.md): a failing order is handed back to the
// group's retry topic and tried again later, while the orders after it go on; after 3 attempts it
// goes to the group's dead-letter topic. Here the "payment service" fails an order's first attempt
// when its id is a multiple of 4, and always fails order 5.
//   npx tsx examples/producer.ts && npx tsx examples/retry-consumer.ts       (gateway at localhost:6565)
//   SLUICE_ADDRESS=host:port SLUICE_TOPIC=example-orders SLUICE_GROUP=example-payments SLUICE_MAX=10 npx tsx examples/retry-consumer.ts
//   npx sluice dlq list example-orders --group example-payments              (what ended in the dead-letter topic)
import { connect } from 'sluice/client';

const address = process.env.SLUICE_ADDRESS ?? 'localhost:6565';
const topic = process.env.SLUICE_TOPIC ?? 'example-orders';
const group = process.env.SLUICE_GROUP ?? 'example-payments';
// Stop once this many orders are settled: paid, or dead-lettered.
const max = Number(process.env.SLUICE_MAX ?? 10);

const client = connect(address, process.env.SLUICE_TOKEN ? { token: process.env.SLUICE_TOKEN } : {});
const subscription = client.subscribe({
  topic,
  group,
  // Consumes <topic>.<group>.retry too; a throwing handler hands the record back instead of stopping.
  retry: { maxAttempts: 3, backoff: { initialMs: 500, factor: 2, maxMs: 5_000 } },
});

let settled = 0;
const settle = () => ++settled >= max && void subscription.close();
subscription.events$.subscribe((event) => {
  if (event.type !== 'nacked') return;
  const { result, reason } = event;
  if (result.deadLettered) {
    console.log(`dead-lettered to ${result.topic} after ${result.attempt} attempts: ${reason}`);
    settle();
  } else console.log(`  retry as attempt ${result.attempt} at ${result.retryAt!.toISOString()}: ${reason}`);
});

await subscription.each(async (record) => {
  const order = JSON.parse(record.value.toString()) as { id: number; amount: number };
  // record.attempt: 1 the first time, 2, 3 for retries; record.origin: where it was first published.
  const where = `${record.origin!.topic} partition ${record.origin!.partition} offset ${record.origin!.offset}`;
  console.log(`order ${order.id} attempt ${record.attempt} (${where})`);
  if (order.id === 5) throw new Error('card declined');
  if (order.id % 4 === 0 && record.attempt === 1) throw new Error('payment service timed out');
  console.log(`order ${order.id} paid`);
  settle();
});
await client.close();
console.log(`settled ${settled} orders`);
