export { PublishValidator } from './publish-validator.ts';
export { readSchemaRules, type SchemaRule } from './schema-file.ts';
export { loadPublishValidator, schemaUpdates } from './reload.ts';
