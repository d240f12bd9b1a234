/**
 * Worker-thread entry of compaction (compact.ts `compactInWorker`): parsing a segment and merging
 * it into the store takes seconds for an hour of a busy symbol, and on the recorder's own thread it
 * would delay the receive time of every message arriving meanwhile. Input (workerData): the segment
 * path and the options with plain instrument specs; output: one message, the result or the error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MakerError } from '../core/errors.ts';
import { Instrument, type InstrumentSpec } from '../model/instrument.ts';
import { compactSegment } from './compact.ts';

interface Input {
  file: string;
  root: string;
  venue: string;
  specs: InstrumentSpec[];
}

const input = workerData as Input;
const bad: { tsReceiveUs: number; text: string; reason: string }[] = [];
compactSegment(input.file, {
  root: input.root,
  venue: input.venue,
  instruments: new Map(input.specs.map((s) => [s.symbol, new Instrument(s)])),
  onBad: (tsReceiveUs, text, reason) => bad.push({ tsReceiveUs, text, reason }),
}).then(
  (r) => parentPort!.postMessage({ ok: true, result: { ...r, marks: [...r.marks.entries()] }, bad }),
  (e: unknown) => parentPort!.postMessage({ ok: false, bad, error: { code: e instanceof MakerError ? e.code : undefined, message: e instanceof MakerError ? e.describe() : e instanceof Error ? e.message : String(e) } }),
);
