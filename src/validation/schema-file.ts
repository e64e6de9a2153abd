import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../config.ts';

/**
 * The schemas file (VALIDATION_SCHEMAS_FILE): which JSON Schema applies to which
 * topic, and for CloudEvents to which event `type`. Schema paths are relative
 * to the file.
 *
 *   { "schemas": [
 *       { "topic": "orders", "schema": "order.schema.json" },
 *       { "topic": "events.*", "eventType": "com.acme.order.created", "schema": "order-created.schema.json" } ] }
 */
const Rule = z.strictObject({
  /** A topic name, or a glob (`*` any run of characters, `?` one). */
  topic: z.string().min(1),
  /** Only CloudEvents of this `type` (their `data`); without it, every record of the topic (its value, or an event's data). */
  eventType: z.string().min(1).optional(),
  schema: z.string().min(1),
});
const File = z.strictObject({ schemas: z.array(Rule) });

export interface SchemaRule {
  topic: string;
  eventType: string | undefined;
  /** Absolute path of the schema file. */
  path: string;
  /** The schema file as the schemas file names it (shown to clients rather than a server path). */
  name: string;
  /** The parsed schema. */
  schema: object;
}

/** Reads the schemas file and every schema it names; throws ConfigError naming the bad entry. */
export function readSchemaRules(path: string): SchemaRule[] {
  const file = File.safeParse(readJson(path, 'VALIDATION_SCHEMAS_FILE'));
  if (!file.success) {
    const issue = file.error.issues[0]!;
    throw new ConfigError('VALIDATION_SCHEMAS_FILE', `${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return file.data.schemas.map((rule, index) => {
    const schemaPath = resolve(dirname(path), rule.schema);
    const schema = readJson(schemaPath, `VALIDATION_SCHEMAS_FILE schemas[${index}].schema`);
    if (typeof schema !== 'object' || schema === null) {
      throw new ConfigError('VALIDATION_SCHEMAS_FILE', `schemas[${index}].schema: ${schemaPath} does not hold a JSON Schema object`);
    }
    return { topic: rule.topic, eventType: rule.eventType, path: schemaPath, name: rule.schema, schema };
  });
}

function readJson(path: string, key: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(key, `cannot read ${path} as JSON: ${(err as Error).message}`);
  }
}
