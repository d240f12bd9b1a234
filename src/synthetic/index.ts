export * from './generator.ts';
export * from './recording.ts';
export * from './instrument.ts';
