export { compileRecordFilter, filterBatch, type FilteredBatch, type RecordFilterSpec, type RecordPredicate } from './record-filter.ts';
export { compileFilter, compileRowFilter, filterRun, type CompiledFilter, type RowPredicate } from './block-filter.ts';
