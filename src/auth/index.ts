export * from './types.ts';
export { compilePattern, compilePatterns, type NamePattern } from './pattern.ts';
export { InternalTopics, parsePatternList } from './internal-topics.ts';
export { Rules, type RuleSpec } from './rules.ts';
export { Limits, TokenBucket, type LimitSpec } from './limits.ts';
export { Authenticator, apiKeyHash, type AuthenticationSettings, type Credentials, type JwtSettings } from './authenticate.ts';
export { loadSecurityPolicy, securityPolicyUpdates, type SecurityPolicy } from './security-file.ts';
