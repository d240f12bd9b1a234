// The module groups `npm run mutate` covers: what Stryker mutates and which test folders run
// against the mutants. Shared by stryker.config.mjs, vitest.mutate.config.ts and scripts/mutate.ts.
export const GROUPS = {
  oms: { mutate: ['src/oms/**/*.ts'], tests: ['tests/oms/**/*.test.ts'], goal: 97 },
  risk: { mutate: ['src/risk/**/*.ts'], tests: ['tests/risk/**/*.test.ts'], goal: 95 },
  'book-sync': { mutate: ['src/book/sync.ts'], tests: ['tests/book/**/*.test.ts'], goal: 95 },
  portfolio: { mutate: ['src/portfolio/**/*.ts'], tests: ['tests/portfolio/**/*.test.ts'], goal: 92 },
  'sim-exchange': { mutate: ['src/sim-exchange/**/*.ts'], tests: ['tests/sim-exchange/**/*.test.ts'], goal: 90 },
  // The live adapter's order state: what a command sends and what its outcome becomes
  // (accepted / rejected / unknown), on REST and on the ws-fapi transport.
  'live-orders': {
    mutate: ['src/adapter/binance/order-entry.ts', 'src/adapter/binance/rest.ts', 'src/adapter/binance/ws-api-client.ts'],
    tests: ['tests/adapter/binance/**/*.test.ts'],
    goal: 95,
  },
};

/** The groups named in a comma list (all when empty); throws on an unknown name. */
export function selectedGroups(list) {
  if (list === undefined || list.trim() === '') return Object.keys(GROUPS);
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) if (!(n in GROUPS)) throw new Error(`unknown mutation group "${n}" (known: ${Object.keys(GROUPS).join(', ')})`);
  return names;
}
