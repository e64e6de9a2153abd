import { describe, expect, it } from 'vitest';
import { resolveGroupId } from '../../src/gateway/group-id.ts';

describe('group id resolution', () => {
  it('takes an explicit version as is, even for a name ending in -vN', () => {
    expect(resolveGroupId('orders-v2', 5)).toEqual({ name: 'orders-v2', version: 5 });
  });
  it('reads the legacy "name-vN" spelling when the version is 0', () => {
    expect(resolveGroupId('orders-v2', 0)).toEqual({ name: 'orders', version: 2 });
    expect(resolveGroupId('my-group-v10', 0)).toEqual({ name: 'my-group', version: 10 });
  });
  it('leaves other names unversioned', () => {
    expect(resolveGroupId('orders', 0)).toEqual({ name: 'orders', version: 0 });
    expect(resolveGroupId('orders-v', 0)).toEqual({ name: 'orders-v', version: 0 });
    expect(resolveGroupId('-v2', 0)).toEqual({ name: '-v2', version: 0 });
    expect(resolveGroupId('orders-v0', 0)).toEqual({ name: 'orders-v0', version: 0 });
  });
});
