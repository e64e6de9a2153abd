export { compileRecordFilter, filterBatch, type FilteredBatch, type RecordFilterSpec, type RecordPredicate } from './record-filter.ts';
