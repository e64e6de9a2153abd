/**
 * Name patterns for topics, groups and principals: an exact name, or a glob
 * where `*` is any run of characters (so `orders.*` is a prefix) and `?` is
 * one character. Written here rather than with picomatch: Sluice names are
 * flat, and picomatch's path rules (`*` stops at `/`, skips names starting
 * with `.`) would make `*` mean less than operators expect.
 */
export type NamePattern = (name: string) => boolean;

export function compilePattern(pattern: string): NamePattern {
  if (!/[*?]/.test(pattern)) return (name) => name === pattern;
  const source = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  const regex = new RegExp(`^${source}$`, 's');
  return (name) => regex.test(name);
}

/** True when any of `patterns` matches `name`. */
export function compilePatterns(patterns: readonly string[]): NamePattern {
  const compiled = patterns.map(compilePattern);
  return (name) => compiled.some((matches) => matches(name));
}
