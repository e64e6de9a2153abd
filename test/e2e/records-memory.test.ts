import { describeRecordFeatures } from './records-suite.ts';

describeRecordFeatures('memory records + memory positions', () => ({ RECORDS_STORE: 'memory', POSITIONS_STORE: 'memory' }));
