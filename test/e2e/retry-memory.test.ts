import { describeRetry } from './retry-suite.ts';

describeRetry('memory records + memory positions', () => ({ RECORDS_STORE: 'memory', POSITIONS_STORE: 'memory' }));
