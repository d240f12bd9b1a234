export * from './decimal.ts';
export * from './money.ts';
export * from './instrument.ts';
export * from './events.ts';
export * from './trading.ts';
export * from './venue.ts';
