import { describe, expect, it } from 'vitest';
import { withDefaultPort } from '../../src/cli/shared.ts';

describe('CLI --address', () => {
  it('adds the default port 6565 when none is given (grpc-js would pick 443)', () => {
    expect(withDefaultPort('localhost')).toBe('localhost:6565');
    expect(withDefaultPort('10.0.0.7')).toBe('10.0.0.7:6565');
    expect(withDefaultPort('[::1]')).toBe('[::1]:6565');
  });
  it('keeps a given port and leaves target URIs alone', () => {
    expect(withDefaultPort('localhost:7000')).toBe('localhost:7000');
    expect(withDefaultPort('[::1]:7000')).toBe('[::1]:7000');
    expect(withDefaultPort('dns:///gateway.internal:6565')).toBe('dns:///gateway.internal:6565');
    expect(withDefaultPort('unix:/run/sluice.sock')).toBe('unix:/run/sluice.sock');
  });
});
