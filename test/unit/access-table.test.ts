import { describe, expect, it } from 'vitest';
import { ACCESS } from '../../src/grpc/access.ts';

describe('access table lines for the batched RPCs', () => {
  it('PublishBatch: publish on each distinct topic, named by its first record; the batch size for the rate', () => {
    const access = ACCESS.PublishBatch!({ records: [{ topic: 'a' }, { topic: 'b' }, { topic: 'a' }] });
    expect(access.checks).toEqual([
      { action: 'publish', topic: { field: 'records[0].topic', name: 'a' } },
      { action: 'publish', topic: { field: 'records[1].topic', name: 'b' } },
    ]);
    expect(access.records).toBe(3);
  });

  it("ReceiveBatch: Receive's check on the nested request, counted as a Receive stream", () => {
    const access = ACCESS.ReceiveBatch!({ request: { assignment: { sessionId: 's1', partition: 0 } }, maxRecords: 10 });
    expect(access).toEqual({ checks: [], session: { field: 'request.assignment.session_id', id: 's1', action: 'subscribe' }, stream: 'receive' });
    expect(ACCESS.ReceiveBatch!({ request: null }).session).toBeUndefined();
  });
});
