import pino from 'pino';
import { plugin } from '../../plugins/memory-records/index.ts';
import { describeRecordsStore } from './records.ts';

describeRecordsStore('memory', () => plugin.create({ config: { MEMORY_PARTITIONS: '4' }, logger: pino({ level: 'silent' }) }));
