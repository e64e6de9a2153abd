import { describe, expect, it } from 'vitest';
import { compilePattern } from '../../src/auth/index.ts';

describe('name patterns', () => {
  it('match exactly without wildcards, by prefix with a trailing *, and by glob', () => {
    expect(compilePattern('orders')('orders')).toBe(true);
    expect(compilePattern('orders')('orders2')).toBe(false);
    expect(compilePattern('orders.*')('orders.eu')).toBe(true);
    expect(compilePattern('orders.*')('ordersXeu')).toBe(false); // the dot is literal
    expect(compilePattern('*.audit')('.audit')).toBe(true); // * matches names starting with '.' too
    expect(compilePattern('team-?-*')('team-a-orders')).toBe(true);
    expect(compilePattern('team-?-*')('team-ab-orders')).toBe(false);
    expect(compilePattern('a(b)+c')('a(b)+c')).toBe(true); // regex characters are literal
    expect(compilePattern('a(b)+c')('abc')).toBe(false);
  });
});
