import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { InvalidArgumentError, type Envelope } from '../contracts/index.ts';
import { compilePattern, type NamePattern } from '../auth/pattern.ts';
import { ConfigError } from '../config.ts';
import type { SchemaRule } from './schema-file.ts';

/** The schemas of one topic: one for every record, and/or one per CloudEvents type. */
interface TopicSchemas {
  any: CompiledSchema | undefined;
  byEventType: ReadonlyMap<string, CompiledSchema>;
}

interface CompiledSchema {
  validate: ValidateFunction;
  /** The schema file, named in refusals. */
  file: string;
}

interface CompiledRule {
  matches: NamePattern;
  eventType: string | undefined;
  schema: CompiledSchema;
}

/**
 * Checks published records against JSON Schemas (draft 2020-12, Ajv). Every
 * schema is compiled once, when the rules are loaded; a topic's schemas are
 * found once and cached by topic name, so a record of a topic without a schema
 * costs one map lookup. Pure: no I/O, a new instance per reload.
 */
export class PublishValidator {
  private readonly rules: readonly CompiledRule[];
  private readonly byTopic = new Map<string, TopicSchemas | null>();

  constructor(rules: readonly SchemaRule[]) {
    // strict: a typo in a schema keyword is a load error, not a rule silently ignored.
    const ajv = new Ajv2020({ strict: true, allErrors: false });
    const compiled = new Map<string, CompiledSchema>();
    this.rules = rules.map((rule, index) => {
      let schema = compiled.get(rule.path);
      if (schema === undefined) {
        try {
          schema = { validate: ajv.compile(rule.schema), file: rule.name };
        } catch (err) {
          throw new ConfigError('VALIDATION_SCHEMAS_FILE', `schemas[${index}].schema: ${rule.path}: ${(err as Error).message}`);
        }
        compiled.set(rule.path, schema);
      }
      return { matches: compilePattern(rule.topic), eventType: rule.eventType, schema };
    });
  }

  get ruleCount(): number {
    return this.rules.length;
  }

  /**
   * Throws InvalidArgumentError when the record does not validate. `field`
   * names the record on the wire: '' for Publish, 'records[3].' for PublishBatch.
   */
  check(envelope: Envelope, field = ''): void {
    const schemas = this.schemasOf(envelope.topic);
    if (schemas === null) return;
    const schema = envelope.event === null ? schemas.any : (schemas.byEventType.get(envelope.event.type) ?? schemas.any);
    if (schema === undefined) return;
    const where = envelope.event === null ? `${field}value` : `${field}liiklusEvent.data`;
    const bytes = envelope.event === null ? envelope.value : envelope.event.data;
    let document: unknown;
    try {
      document = JSON.parse(Buffer.from(bytes ?? new Uint8Array(0)).toString('utf8'));
    } catch (err) {
      throw new InvalidArgumentError(where, `is not JSON, and topic "${envelope.topic}" has a schema (${(err as Error).message})`);
    }
    if (!schema.validate(document)) throw new InvalidArgumentError(where, describe(schema.validate.errors?.[0], envelope, schema.file));
  }

  private schemasOf(topic: string): TopicSchemas | null {
    let schemas = this.byTopic.get(topic);
    if (schemas === undefined) {
      schemas = this.find(topic);
      this.byTopic.set(topic, schemas);
    }
    return schemas;
  }

  /** The first matching rule wins for each event type and for the topic as a whole (file order). */
  private find(topic: string): TopicSchemas | null {
    let any: CompiledSchema | undefined;
    const byEventType = new Map<string, CompiledSchema>();
    for (const rule of this.rules) {
      if (!rule.matches(topic)) continue;
      if (rule.eventType === undefined) any ??= rule.schema;
      else if (!byEventType.has(rule.eventType)) byEventType.set(rule.eventType, rule.schema);
    }
    return any === undefined && byEventType.size === 0 ? null : { any, byEventType };
  }
}

function describe(error: ErrorObject | undefined, envelope: Envelope, file: string): string {
  const subject = envelope.event === null ? `topic "${envelope.topic}"` : `event type "${envelope.event.type}" on topic "${envelope.topic}"`;
  if (error === undefined) return `does not match the schema of ${subject}`;
  const pointer = error.instancePath === '' ? '/' : error.instancePath;
  return `does not match the schema of ${subject} at ${pointer}: ${error.message ?? 'invalid'} (rule "${error.keyword}" at ${error.schemaPath} in ${file})`;
}
