// Publishes a few orders to Sluice.
//   npx tsx examples/producer.ts            (gateway at localhost:6565)
//   SLUICE_ADDRESS=host:port SLUICE_TOPIC=example-orders SLUICE_COUNT=100 npx tsx examples/producer.ts
// With authentication on (docs/security.md): SLUICE_TOKEN_FILE=token.txt (read at every call, so a token
// refreshed in the file is picked up) or SLUICE_TOKEN=<jwt or API key>; SLUICE_TLS_CA=ca.pem for TLS.
import { readFileSync } from 'node:fs';
import { connect } from 'sluice/client';

const address = process.env.SLUICE_ADDRESS ?? 'localhost:6565';
const topic = process.env.SLUICE_TOPIC ?? 'example-orders';
const count = Number(process.env.SLUICE_COUNT ?? 10);

const tokenFile = process.env.SLUICE_TOKEN_FILE;
const client = connect(address, {
  ...(tokenFile ? { token: () => readFileSync(tokenFile, 'utf8').trim() } : process.env.SLUICE_TOKEN ? { token: process.env.SLUICE_TOKEN } : {}),
  ...(process.env.SLUICE_TLS_CA ? { tls: { ca: process.env.SLUICE_TLS_CA } } : {}),
});
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
