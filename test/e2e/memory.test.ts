import { describeGateway } from './suite.ts';

describeGateway('memory records + memory positions', () => ({ RECORDS_STORE: 'memory', POSITIONS_STORE: 'memory' }));
