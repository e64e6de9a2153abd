// Consumes orders from Sluice, at-least-once: an order is acked only after it
// was handled, in batches (every 100 orders or 1 s, and on shutdown).
//   npx tsx examples/consumer.ts            (gateway at localhost:6565; Ctrl-C stops)
//   SLUICE_ADDRESS=host:port SLUICE_TOPIC=example-orders SLUICE_GROUP=example-billing SLUICE_MAX=10 npx tsx examples/consumer.ts
// With authentication on (docs/security.md): SLUICE_TOKEN=<jwt or API key>; SLUICE_TLS_CA=ca.pem for TLS.
import { connect } from 'sluice/client';

const address = process.env.SLUICE_ADDRESS ?? 'localhost:6565';
const topic = process.env.SLUICE_TOPIC ?? 'example-orders';
const group = process.env.SLUICE_GROUP ?? 'example-billing';
const max = process.env.SLUICE_MAX === undefined ? Infinity : Number(process.env.SLUICE_MAX);

const client = connect(address, {
  ...(process.env.SLUICE_TOKEN ? { token: process.env.SLUICE_TOKEN } : {}),
  ...(process.env.SLUICE_TLS_CA ? { tls: { ca: process.env.SLUICE_TLS_CA } } : {}),
});
const subscription = client.subscribe({ topic, group, ack: 'after', ackEvery: { records: 100, ms: 1000 } });
subscription.acks$.subscribe(({ partition, offset, reason }) => console.log(`acked partition ${partition} up to offset ${offset} (${reason})`));
process.once('SIGINT', () => void subscription.close());

let handled = 0;
// One loop per assigned partition: a slow partition never holds up another.
await subscription.each(async (record) => {
  const order = parseOrder(record.value);
  if (order === undefined) {
    // Not an order: log it and let it be acked, or every restart would stop on it again.
    console.log(`partition ${record.partition} offset ${record.offset}: skipped, not an order: ${JSON.stringify(record.value.toString().slice(0, 80))}`);
    return;
  }
  await new Promise((resolve) => setTimeout(resolve, 1)); // stands for real work
  console.log(`partition ${record.partition} offset ${record.offset}: order ${order.id} of ${order.customer}, ${order.amount}`);
  // Returning marks the order processed. close() lets handlers in progress finish, then acks them.
  if (++handled === max) void subscription.close();
});
await client.close();

console.log(`handled ${handled} order${handled === 1 ? '' : 's'}`);

function parseOrder(value: Buffer): { id: number; customer: string; amount: number } | undefined {
  try {
    const order = JSON.parse(value.toString()) as { id?: unknown; customer?: unknown; amount?: unknown };
    if (typeof order.id === 'number' && typeof order.customer === 'string' && typeof order.amount === 'number') return { id: order.id, customer: order.customer, amount: order.amount };
  } catch {
    // not JSON
  }
  return undefined;
}
