import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { debounceTime, filter, fromEvent, map, merge, Observable, share } from 'rxjs';
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
  const changes = new Observable<void>((subscriber) => {
    const directories = new Set([dirname(path)]);
    try {
      for (const rule of readSchemaRules(path)) directories.add(dirname(rule.path));
    } catch {
      // The running validator was loaded from it; watching its own directory is enough until it is fixed.
    }
    const watchers = [...directories].map((directory) => {
      const watcher = watch(directory, (_event, name) => {
        if (name === null || name === basename(path) || name.endsWith('.json') || name.startsWith('..')) subscriber.next();
      });
      watcher.on('error', (err) => onError(err));
      return watcher;
    });
    return () => watchers.forEach((watcher) => watcher.close());
  });
  return merge(fromEvent(process, 'SIGHUP'), changes).pipe(
    debounceTime(100),
    map(() => {
      try {
        return loadPublishValidator(path);
      } catch (err) {
        onError(err);
        return undefined;
      }
    }),
    filter((validator): validator is PublishValidator => validator !== undefined),
    share(),
  );
}
