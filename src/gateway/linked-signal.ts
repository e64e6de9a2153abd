/** A signal that aborts when any of its sources does, until disposed. */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Removes the listeners on the sources; call when the stream ends. */
  dispose(): void;
}

/**
 * Like AbortSignal.any, with plain listeners that dispose() removes.
 * AbortSignal.any tied to a long-lived signal (the gateway's shutdown) keeps
 * every composite signal alive for as long as that signal lives
 * (nodejs/node#55351, still in Node 20.20): about 6 MB per 100,000 Receive
 * calls, never reclaimed (issue 9, defect 5).
 */
export function linkSignals(sources: readonly AbortSignal[]): LinkedSignal {
  const controller = new AbortController();
  const aborted = sources.find((source) => source.aborted);
  if (aborted !== undefined) {
    controller.abort(aborted.reason);
    return { signal: controller.signal, dispose: () => undefined };
  }
  const listeners = sources.map((source) => {
    const onAbort = () => {
      dispose();
      controller.abort(source.reason);
    };
    source.addEventListener('abort', onAbort, { once: true });
    return { source, onAbort };
  });
  const dispose = () => {
    for (const { source, onAbort } of listeners) source.removeEventListener('abort', onAbort);
  };
  return { signal: controller.signal, dispose };
}
