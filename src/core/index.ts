export * from './errors.ts';
export * from './clock.ts';
export * from './bus.ts';
export * from './random.ts';
export * from './ids.ts';
