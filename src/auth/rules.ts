import { PermissionDeniedError } from '../contracts/index.ts';
import { compilePatterns, type NamePattern } from './pattern.ts';
import type { Action, Principal } from './types.ts';

/** One grant, as written in the security file. */
export interface RuleSpec {
  principals: string[];
  actions: Action[];
  topics: string[];
  /** Needed for actions on a group (subscribe, ack, read-offsets of a group); absent means no group. */
  groups?: string[] | undefined;
}

interface Rule {
  principal: NamePattern;
  actions: ReadonlySet<Action>;
  topic: NamePattern;
  group: NamePattern;
}

/** Deny by default: a request is allowed only when some rule grants its action on its topic (and group). */
export class Rules {
  private readonly rules: Rule[];

  constructor(specs: readonly RuleSpec[]) {
    this.rules = specs.map((spec) => ({
      principal: compilePatterns(spec.principals),
      actions: new Set(spec.actions),
      topic: compilePatterns(spec.topics),
      group: compilePatterns(spec.groups ?? []),
    }));
  }

  allows(principal: Principal, action: Action, topic: string, group?: string): boolean {
    return this.rules.some(
      (rule) =>
        rule.actions.has(action) &&
        principal.names.some(rule.principal) &&
        rule.topic(topic) &&
        (group === undefined || rule.group(group)),
    );
  }

  /** Throws PermissionDeniedError naming the action and the resource. */
  require(principal: Principal, action: Action, topic: string, group?: string): void {
    if (!this.allows(principal, action, topic, group)) {
      throw new PermissionDeniedError(action, group === undefined ? `topic "${topic}"` : `topic "${topic}" group "${group}"`);
    }
  }
}
