// The shared real data for tests: paths, presence flags, specs and `loadRealEvents` (through the
// production importers). One implementation, in scripts/shared-data.ts, so benches and scripts
// use the same paths without importing from tests/.
export * from '../../scripts/shared-data.ts';
