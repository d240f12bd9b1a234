/**
 * Compaction: a closed journal segment → `MarketEvent`s → the Parquet store, through `StoreWriter`
 * and its atomic partition commit; then the segment is removed. The same segment compacted twice
 * (a crash after the commit, before the removal) gives the same store: the writer drops rows it
 * already holds (same receive time and identity) and the notes merge as a set.
 *
 * Order: events are written in journal order (the order the recorder accepted them, receive times
 * never decreasing), so `seq` keeps that order among equal receive times. Messages that parse as
 * JSON but not as market data (an off-grid price, a field of the wrong type) are skipped, counted
 * and passed to `onBad` with their raw text.
 */
import { rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { MakerError, type ErrorCode } from '../core/errors.ts';
import { bundledWorkerModule, workerSource } from '../core/ts-worker.ts';
import { parseDepthSnapshot, parseStreamData, streamKind } from '../adapter/binance/index.ts';
import type { MarketEvent } from '../model/events.ts';
import { Instrument } from '../model/instrument.ts';
import { StoreWriter, utcDateOfUs, type GapRecord, type RecordingNotes, type SessionRecord } from '../store/index.ts';
import type { ParseContext } from '../wire/index.ts';
import { readSegment } from './journal.ts';
import { messageHead, StreamMarks, type StreamMark } from './streams.ts';

export interface CompactResult {
  events: number;
  gaps: number;
  sessions: number;
  tornTailBytes: number;
  badLines: number;
  skipped: number;
  endedCleanly: boolean;
  /** The last message of each stream in the segment (for the session break after a crash). */
  marks: StreamMarks;
}

export interface CompactOptions {
  root: string;
  venue: string;
  instruments: ReadonlyMap<string, Instrument>;
  onBad?: (tsReceiveUs: number, text: string, reason: string) => void;
  /** Keep the segment file after committing (tests). */
  keep?: boolean;
}

export async function compactSegment(file: string, o: CompactOptions): Promise<CompactResult> {
  const seg = readSegment(file);
  const res: CompactResult = { events: 0, gaps: 0, sessions: 0, tornTailBytes: seg.tornTail, badLines: seg.badLines.length, skipped: 0, endedCleanly: seg.endedCleanly, marks: new StreamMarks() };
  const writer = new StoreWriter({ root: o.root, venue: o.venue });
  for (const inst of o.instruments.values()) writer.addInstrument(inst);
  const ctx: ParseContext = {
    file,
    line: 0,
    field: '',
    index: 0,
    instrument: (symbol) => {
      const i = o.instruments.get(symbol);
      if (i === undefined) throw new Error(`symbol ${symbol} is not recorded`);
      return i;
    },
    skipStream: () => {},
    skipRow: () => {},
    warn: () => {},
    receiveTime: () => {},
  };
  const notes = new Map<string, RecordingNotes>();
  const noteFor = (symbol: string, date: string): RecordingNotes => {
    const k = `${symbol}/${date}`;
    let n = notes.get(k);
    if (n === undefined) notes.set(k, (n = { sessions: [], gaps: [] }));
    return n;
  };
  // A session note goes to each symbol's partition holding the session's first event of that symbol.
  let openSession: { session: SessionRecord; placed: Set<string> } | undefined;
  const events: MarketEvent[] = [];
  const flush = async () => {
    await writer.write(events);
    events.length = 0;
  };
  for (const r of seg.records) {
    ctx.line++;
    let ev: MarketEvent | null = null;
    try {
      if (r.tag === 'W') {
        const msg = JSON.parse(r.text) as Record<string, unknown>;
        const kind = typeof msg.stream === 'string' ? streamKind(msg.stream) : null;
        if (kind === null) continue;
        ev = parseStreamData(kind, msg.stream as string, msg.data as Record<string, unknown>, r.tsReceiveUs, ctx);
        const h = messageHead(msg);
        if (h !== null && typeof h !== 'string') res.marks.record(h, r.tsReceiveUs);
      } else if (r.tag === 'S') {
        ev = parseDepthSnapshot(JSON.parse(r.text) as Record<string, unknown>, r.symbol, r.tsReceiveUs, ctx, '');
      } else if (r.tag === 'G') {
        const g: GapRecord = r.gap;
        noteFor(g.symbol, utcDateOfUs(g.after.tsExchangeUs)).gaps.push(g);
        res.gaps++;
      } else if (r.tag === 'B') {
        openSession = { session: r.session, placed: new Set() };
        res.sessions++;
      }
    } catch (e) {
      res.skipped++;
      o.onBad?.(r.tsReceiveUs, r.tag === 'W' || r.tag === 'S' ? r.text : '', (e as Error).message);
      continue;
    }
    if (ev === null) continue;
    if (openSession !== undefined && !openSession.placed.has(ev.symbol)) {
      openSession.placed.add(ev.symbol);
      noteFor(ev.symbol, utcDateOfUs(ev.tsExchangeUs)).sessions.push(openSession.session);
    }
    events.push(ev);
    res.events++;
    if (events.length >= 8192) await flush();
  }
  await flush();
  if (res.events > 0) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    await writer.commit({ importer: 'maker-record', inputs: [{ path: name }] }, notes);
  } else writer.abort();
  if (o.keep !== true) rmSync(file, { force: true });
  return res;
}

/** A compaction failure reported by the worker (the store's or the file system's error, re-raised). */
export class CompactionError extends MakerError {
  constructor(code: ErrorCode, message: string) {
    super(code, message, { exitCode: 3 });
  }
}

/**
 * `compactSegment` in a worker thread, so the recorder's thread keeps stamping messages as they
 * arrive. The worker runs a cached bundle of compact-worker.ts (`bundledWorkerModule`, as `maker`
 * runs), else the TypeScript sources through tsx (as bin/maker.js does without its bundle). If the
 * worker cannot start at all, the compaction runs here instead (`inWorker: false` in the result).
 */
export async function compactInWorker(file: string, o: CompactOptions): Promise<CompactResult & { inWorker: boolean }> {
  const src = workerSource(await bundledWorkerModule('src/record/compact-worker.ts', 'compact-worker'), new URL('./compact-worker.ts', import.meta.url).href);
  const specs = [...o.instruments.values()].map((i) => i.spec);
  type Reply = { ok: boolean; result?: Omit<CompactResult, 'marks'> & { marks: [string, StreamMark][] }; bad: { tsReceiveUs: number; text: string; reason: string }[]; error?: { code?: ErrorCode; message: string } };
  let reply: Reply;
  try {
    reply = await new Promise<Reply>((resolve, reject) => {
      const w = new Worker(src.code, { eval: src.eval, workerData: { file, root: o.root, venue: o.venue, specs } });
      let got: Reply | undefined;
      w.once('message', (m: Reply) => {
        got = m;
        resolve(m);
        void w.terminate();
      });
      w.once('error', reject);
      w.once('exit', () => {
        if (got === undefined) reject(new Error('compaction worker exited without a reply'));
      });
    });
  } catch (e) {
    if (e instanceof MakerError) throw e;
    return { ...(await compactSegment(file, o)), inWorker: false };
  }
  for (const b of reply.bad) o.onBad?.(b.tsReceiveUs, b.text, b.reason);
  if (!reply.ok || reply.result === undefined) throw new CompactionError(reply.error?.code ?? 'E_IO', reply.error?.message ?? 'compaction failed');
  const marks = new StreamMarks();
  for (const [k, m] of reply.result.marks) marks.set(k, m);
  return { ...reply.result, marks, inWorker: true };
}
