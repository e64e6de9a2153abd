import pino from 'pino';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { logUnhandledRxjsErrors } from '../../src/rxjs-errors.ts';

describe('errors thrown inside rxjs callbacks', () => {
  it('are logged, not rethrown from a timer (which would kill the process)', async () => {
    const logged = new Promise<string>((resolve) => {
      const logger = pino({ level: 'error' }, { write: (line: string) => resolve(line) });
      logUnhandledRxjsErrors(logger);
    });
    const subject = new Subject<number>();
    subject.subscribe({
      error: () => {
        throw new ReferenceError('bug in an error path');
      },
    });
    subject.error(new Error('store failed'));
    expect(await logged).toContain('bug in an error path');
  });
});
