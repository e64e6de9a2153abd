import { basename, dirname } from 'node:path';
import type { Observable } from 'rxjs';
import { fileReloads } from '../file-reloads.ts';
import { PublishValidator } from './publish-validator.ts';
import { readSchemaRules } from './schema-file.ts';

/** Loads the schemas file and compiles every schema it names; throws ConfigError. */
export function loadPublishValidator(path: string): PublishValidator {
  return new PublishValidator(readSchemaRules(path));
}

/**
 * A new validator each time the schemas file or a schema changes, or the
 * process gets SIGHUP. Directories are watched, not files, so a file replaced
 * by rename (editors, Kubernetes ConfigMaps) is seen. A reload that fails is
 * reported through `onError` and the running validator stays.
 */
export function schemaUpdates(path: string, onError: (err: unknown) => void): Observable<PublishValidator> {
  return fileReloads({
    directories: () => {
      const directories = [dirname(path)];
      try {
        for (const rule of readSchemaRules(path)) directories.push(dirname(rule.path));
      } catch {
        // The running validator was loaded from it; watching its own directory is enough until it is fixed.
      }
      return directories;
    },
    concerns: (name) => name === basename(path) || name.endsWith('.json'),
    load: () => loadPublishValidator(path),
    onError,
  });
}
