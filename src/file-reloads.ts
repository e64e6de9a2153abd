import { watch } from 'node:fs';
import { debounceTime, filter, fromEvent, map, merge, Observable, share } from 'rxjs';

export interface FileReloadOptions<T> {
  /** Directories to watch; directories, not files, so a file replaced by rename (editors, Kubernetes ConfigMaps) is seen. */
  directories: () => Iterable<string>;
  /** Whether a change to this directory entry calls for a reload (`..data` style swaps always do). */
  concerns: (name: string) => boolean;
  load: () => T;
  onError: (err: unknown) => void;
}

/**
 * A freshly loaded value each time a watched file changes or the process gets
 * SIGHUP (bursts debounced). A load that fails is reported through `onError`
 * and nothing is emitted, so the running value stays in force. Shared by the
 * security file and the schemas file.
 */
export function fileReloads<T>(options: FileReloadOptions<T>): Observable<T> {
  const changes = new Observable<void>((subscriber) => {
    const watchers = [...new Set(options.directories())].map((directory) => {
      const watcher = watch(directory, (_event, name) => {
        if (name === null || name.startsWith('..') || options.concerns(name)) subscriber.next();
      });
      watcher.on('error', (err) => options.onError(err));
      return watcher;
    });
    return () => watchers.forEach((watcher) => watcher.close());
  });
  return merge(fromEvent(process, 'SIGHUP'), changes).pipe(
    debounceTime(100),
    map((): { value: T } | undefined => {
      try {
        return { value: options.load() };
      } catch (err) {
        options.onError(err);
        return undefined;
      }
    }),
    filter((loaded): loaded is { value: T } => loaded !== undefined),
    map((loaded) => loaded.value),
    share(),
  );
}
