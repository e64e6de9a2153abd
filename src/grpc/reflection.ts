import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { LOADER_OPTIONS, PROTO_PATH } from './proto.ts';

const require = createRequire(import.meta.url);
const HEALTH_PROTO = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');

interface FileDescriptor {
  name: string;
  package: string;
  dependency: string[];
  messageType?: MessageDescriptor[];
  service?: Array<{ method?: Array<{ inputType?: string; outputType?: string }> }>;
}
interface MessageDescriptor {
  name: string;
  field?: Array<{ name: string; typeName?: string; jsonName?: string }>;
  nestedType?: MessageDescriptor[];
  options?: { mapEntry?: boolean };
}

/**
 * Server reflection for LiiklusService and the health service, so grpcurl and
 * similar tools can list and call them.
 *
 * @grpc/proto-loader emits one synthetic file per package with an empty
 * dependency list (grpc/grpc-node#2595), so a reflection client cannot resolve
 * google.protobuf.Timestamp from LiiklusService's file (fullstorydev/grpcurl#459).
 * We fill the dependency lists in from the types each file references. It also
 * names map entry types after their field without the "Entry" suffix and
 * refers to them by a relative name, which strict descriptor checkers (Go's
 * protobuf, hence grpcurl) reject: we give them their canonical names.
 *
 * The proto is described as written: field names as in the .proto (the
 * handlers' camelCase is a JavaScript convenience, keepCase: false), and each
 * field's json_name as protoc sets it, so `grpcurl -d '{"group_version":2}'`
 * and `{"groupVersion":2}` both work, as with `-proto`.
 */
export function addReflection(server: grpc.Server): void {
  const definition = protoLoader.loadSync([PROTO_PATH, HEALTH_PROTO], { ...LOADER_OPTIONS, keepCase: true });
  new ReflectionService(linkDependencies(definition)).addToServer(server);
}

function linkDependencies(definition: protoLoader.PackageDefinition): protoLoader.PackageDefinition {
  const files = new Map<string, FileDescriptor>();
  for (const entry of Object.values(definition)) {
    const protos = (entry as { fileDescriptorProtos?: unknown }).fileDescriptorProtos;
    if (!Array.isArray(protos)) continue;
    for (const bytes of protos as Buffer[]) {
      const file = descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(bytes), { arrays: true }) as FileDescriptor;
      if (!files.has(file.name)) files.set(file.name, file);
    }
  }
  const owners = [...files.values()];
  const encoded: Buffer[] = [];
  for (const file of owners) {
    const dependencies = new Set<string>();
    for (const typeName of referencedTypes(file)) {
      const owner = owners.find((other) => other !== file && other.package !== '' && typeName.startsWith(`.${other.package}.`));
      if (owner) dependencies.add(owner.name);
    }
    file.dependency = [...dependencies];
    for (const message of file.messageType ?? []) {
      canonicalMapEntries(message, `.${file.package}.${message.name}`);
      setJsonNames(message);
    }
    const message = descriptor.FileDescriptorProto.fromObject(file);
    encoded.push(Buffer.from(descriptor.FileDescriptorProto.encode(message).finish()));
  }
  const linked: protoLoader.PackageDefinition = {};
  for (const [name, entry] of Object.entries(definition)) linked[name] = { ...entry, fileDescriptorProtos: encoded } as typeof entry;
  return linked;
}

/** protoc's json_name: underscores dropped, the letter after each one upper-cased (`group_version` → `groupVersion`). */
function setJsonNames(message: MessageDescriptor): void {
  for (const field of message.field ?? []) field.jsonName = field.name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  (message.nestedType ?? []).forEach(setJsonNames);
}

/** A map field `foo_bar` has the entry type `FooBarEntry`, referred to by its full name. */
function canonicalMapEntries(message: MessageDescriptor, fullName: string): void {
  for (const nested of message.nestedType ?? []) {
    if (nested.options?.mapEntry) {
      const field = (message.field ?? []).find((f) => f.typeName === nested.name || f.typeName === `${fullName}.${nested.name}`);
      if (field) {
        nested.name = `${field.name.replace(/(?:^|_)([a-z])/g, (_, c: string) => c.toUpperCase())}Entry`;
        field.typeName = `${fullName}.${nested.name}`;
      }
    } else {
      canonicalMapEntries(nested, `${fullName}.${nested.name}`);
    }
  }
}

function referencedTypes(file: FileDescriptor): string[] {
  const names: string[] = [];
  const visit = (message: MessageDescriptor) => {
    for (const field of message.field ?? []) if (field.typeName) names.push(field.typeName);
    (message.nestedType ?? []).forEach(visit);
  };
  (file.messageType ?? []).forEach(visit);
  for (const service of file.service ?? []) {
    for (const method of service.method ?? []) names.push(method.inputType ?? '', method.outputType ?? '');
  }
  return names.filter((name) => name.startsWith('.'));
}
