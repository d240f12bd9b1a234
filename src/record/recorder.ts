/**
 * `maker record`'s engine: Binance USDⓈ-M market streams and book snapshots → journal → store.
 *
 * Per route (`/public`: depth, bookTicker; `/market`: trade, aggTrade, markPrice, forceOrder) one primary
 * connection. Every message is checked (malformed ones go to a side file), de-duplicated by its
 * stream id (streams.ts) and appended to the journal with its receive time; receive times never
 * decrease in the journal. Depth books: a REST snapshot is taken when a symbol's depth stream
 * starts (its first diff after a start, a reconnect or a broken `pu` chain), and journalled, so a
 * replay re-syncs exactly where the recorder did.
 *
 * Connections (per route, `RouteStream` of the Binance adapter, shared with `maker live`):
 *  - planned rotation (`rotateAfterMs` after a connection opened, before Binance's 24 h cut): a
 *    replacement connects and buffers; `overlapMs` after it opened, it becomes primary: the old one
 *    is closed and the buffer replayed through the de-duplication, so nothing is lost or doubled;
 *  - the primary drops (close it did not ask for, socket cut, stall): a buffering replacement is
 *    promoted at once (nothing lost); else the route reconnects with backoff (250 ms doubling to
 *    `maxBackoffMs`), every stream of the route gets a gap record at its first message after the
 *    reconnect (both edges' ids and times) and every depth book is snapshotted again;
 *  - a depth diff whose `pu` is not the last recorded `u` (a diff the exchange never sent us):
 *    gap record `chain-break` and a new snapshot.
 *
 * Journal segments are closed every `segmentMs` and compacted into the store one at a time. An
 * error writing the journal or the store stops the recorder (`stop(err)`): what was written stays.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MakerError } from '../core/errors.ts';
import { Instrument } from '../model/instrument.ts';
import { openStore, partitionDir, readMeta, type GapEdge, type GapRecord, type SessionRecord } from '../store/index.ts';
import { compactInWorker, compactSegment, type CompactResult } from './compact.ts';
import { RouteStream } from '../adapter/binance/index.ts';
import { ReceiveClock, wallTimers } from './clock.ts';
import { JournalWriter, listSegments } from './journal.ts';
import { RestClient, RestError } from './rest.ts';
import { ROUTE_OF, SPARSE_STREAMS, messageHead, routeStreams, selectedStreams, StreamMarks, type MessageHead, type Route, type StreamMark, type StreamName, type StreamSelection } from './streams.ts';

/** Stall timeout of a route carrying only sparse streams (pings count there): over 3 Binance ping intervals. */
const SPARSE_STALL_MS = 600_000;

/** Whether every selected stream of the route is sparse (forceOrder). */
function sparseRoute(route: Route, sel: StreamSelection): boolean {
  return selectedStreams(sel).every((st) => ROUTE_OF[st] !== route || SPARSE_STREAMS.has(st));
}

export interface RecorderOptions {
  symbols: string[];
  /** REST base, e.g. https://fapi.binance.com. */
  rest: string;
  /** Stream base without route, e.g. wss://fstream.binance.com. */
  ws: string;
  /** Store root. */
  out: string;
  /** Venue directory of the store (default binance-usdm). */
  venue?: string;
  /** Journal directory (default `<out>/.journal/<venue>`). */
  journalDir?: string;
  streams: StreamSelection;
  flushMs?: number;
  segmentMs?: number;
  rotateAfterMs?: number;
  overlapMs?: number;
  stallMs?: number;
  maxBackoffMs?: number;
  weightBudget?: number;
  /**
   * Each REST step of `start()` (exchangeInfo, then the clock offset) must be answered within this,
   * ms (default 60 s), retries included; else `start()` fails with a `RestError` naming the URL.
   */
  startTimeoutMs?: number;
  /** The option the REST URL came from, for that error (default `--rest`). */
  restOption?: string;
  /** Log lines (connections, gaps, back-offs, compactions). */
  log?: (line: string) => void;
}

export interface StreamStats {
  messages: number;
  duplicates: number;
  gaps: number;
  /** Last receive time minus exchange time (corrected by the clock offset), µs. */
  lagUs: number;
}

export interface RecorderStatus {
  tsUs: number;
  streams: Record<string, StreamStats>;
  gaps: number;
  resyncs: number;
  snapshots: number;
  /** Snapshots older than the first diff recorded (not bridgeable), discarded and asked again. */
  staleSnapshots: number;
  malformed: number;
  bytesWritten: number;
  connections: number;
  reconnects: number;
  rotations: number;
  compactions: number;
  eventsCompacted: number;
  /** CPU time of the process (all threads, compaction workers included), µs. */
  cpuUs: number;
}

export class Recorder {
  readonly venue: string;
  readonly journalDir: string;
  private readonly clock: ReceiveClock;
  private readonly rest: RestClient;
  private readonly journal: JournalWriter;
  private readonly marks = new StreamMarks();
  private readonly routes = new Map<Route, RouteStream>();
  private readonly instruments = new Map<string, Instrument>();
  private readonly symbols: Set<string>;
  private readonly pendingGaps = new Map<string, { reason: GapRecord['reason']; before: StreamMark | undefined }>();
  /**
   * Depth sync per symbol: absent = synced (a snapshot was journalled, the chain is followed);
   * `need` = a snapshot is due at the next diff; `inFlight` = requested; `retry` = the last one was too
   * old to bridge (asked again after the backoff) or failed (due at the first diff after the backoff);
   * the backoff is 250 ms doubling to `maxBackoffMs`, per symbol, reset by a journalled snapshot. `generation` changes at every drop or break, so a reply to
   * an older request is discarded.
   */
  private readonly snapshotState = new Map<string, 'need' | 'inFlight' | 'retry'>();
  private readonly generation = new Map<string, number>();
  /** `U` of the first diff of each symbol since its depth stream (re)started: a snapshot older than it cannot be bridged. */
  private readonly firstU = new Map<string, number>();
  /** The wait before a symbol's next snapshot after a stale or failed one, ms: 250 doubling to `maxBackoffMs`, reset by a journalled snapshot. */
  private readonly snapshotBackoffMs = new Map<string, number>();
  private readonly stats = new Map<string, StreamStats>();
  private readonly timers: NodeJS.Timeout[] = [];
  private compacting: Promise<void> = Promise.resolve();
  private lastJournalUs = 0;
  private offsetUs = 0;
  private stopping = false;
  /** The last REST back-off's reason (for the start deadline's error). */
  private lastRestProblem: string | undefined;
  private fatal: unknown;
  private stopResolve: (() => void) | undefined;
  readonly done: Promise<void>;
  private readonly counters = { gaps: 0, resyncs: 0, snapshots: 0, staleSnapshots: 0, malformed: 0, compactions: 0, eventsCompacted: 0 };
  session: SessionRecord | undefined;
  /** What the start-up compaction of a previous session's journal found. */
  recovered: CompactResult[] = [];

  constructor(private readonly o: RecorderOptions) {
    this.venue = o.venue ?? 'binance-usdm';
    this.journalDir = o.journalDir ?? join(o.out, '.journal', this.venue);
    this.symbols = new Set(o.symbols);
    this.clock = new ReceiveClock();
    this.rest = new RestClient({
      base: o.rest,
      budget: o.weightBudget,
      nowUs: () => this.clock.nowUs(),
      maxBackoffMs: o.maxBackoffMs,
      stopped: () => this.stopping,
      onBackoff: (what, ms) => {
        this.lastRestProblem = what;
        this.log(`REST back-off ${ms} ms: ${what}`);
      },
    });
    this.journal = new JournalWriter(this.journalDir, process.pid);
    this.done = new Promise((res) => (this.stopResolve = res));
  }

  private log(line: string): void {
    this.o.log?.(line);
  }

  /** The error that stopped the recorder, if any. */
  get error(): unknown {
    return this.fatal;
  }

  /**
   * A REST step of `start()` under the start deadline: past `startTimeoutMs` the REST client is
   * closed (its retries end) and the step fails with a `RestError` naming the URL, the option and the
   * last problem. Without it a venue that cannot be reached was retried for ever.
   */
  private async restAtStart<T>(what: string, f: () => Promise<T>): Promise<T> {
    const ms = this.o.startTimeoutMs ?? 60_000;
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      this.rest.close();
    }, ms);
    try {
      return await f();
    } catch (e) {
      if (!timedOut) throw e;
      const last = this.lastRestProblem === undefined ? '' : `; last: ${this.lastRestProblem}`;
      throw new RestError(`${this.o.restOption ?? '--rest'} ${this.o.rest}: ${what} not answered within ${ms / 1000} s at start${last}`);
    } finally {
      clearTimeout(t);
    }
  }

  async start(): Promise<void> {
    const specs = await this.restAtStart('GET /fapi/v1/exchangeInfo', () => this.rest.instruments(this.o.symbols));
    for (const s of specs) this.instruments.set(s.symbol, new Instrument(s));
    // Whatever a previous run left in the journal (a crash) goes into the store first.
    const leftovers = listSegments(this.journalDir);
    for (const seg of leftovers) {
      const r = await this.compact(seg);
      this.recovered.push(r);
      for (const [, m] of r.marks.entries()) this.clock.atLeast(m.tsReceiveUs);
    }
    const lastMarks = new Map<string, StreamMark>();
    for (const r of this.recovered) for (const [k, m] of r.marks.entries()) lastMarks.set(k, m);
    const store = await openStore(this.o.out).catch(() => undefined);
    const sel = this.o.streams;
    for (const sym of this.o.symbols) {
      const dates = store?.dates(this.venue, sym) ?? [];
      const had = dates.length > 0;
      // Receive times continue after what the store holds, even if the wall clock was set back.
      if (had) {
        const meta = readMeta(partitionDir(this.o.out, this.venue, sym, dates[dates.length - 1]));
        for (const t of Object.values(meta?.tables ?? {})) if (t !== undefined) this.clock.atLeast(t.maxTsReceiveUs);
      }
      for (const st of selectedStreams(sel)) {
        const before = lastMarks.get(StreamMarks.key(sym, st));
        if (before !== undefined || had) this.pendingGaps.set(StreamMarks.key(sym, st), { reason: 'session-break', before });
      }
      this.snapshotState.set(sym, 'need');
    }
    const { offsetUs, rttUs } = await this.restAtStart('GET /fapi/v1/time', () => this.rest.clockOffset());
    this.offsetUs = offsetUs;
    const startUs = this.clock.nowUs();
    this.lastJournalUs = startUs;
    this.session = { id: `${startUs}-${process.pid}`, startUs, clockOffsetUs: offsetUs, clockRttUs: rttUs, rest: this.o.rest, ws: this.o.ws, streams: [...routeStreams(this.o.symbols, sel).values()].flat() };
    this.journal.rotate(startUs);
    this.append({ tag: 'B', tsReceiveUs: startUs, session: this.session });
    this.journal.flush();
    this.log(`session ${this.session.id}: clock offset ${(offsetUs / 1000).toFixed(1)} ms (rtt ${(rttUs / 1000).toFixed(1)} ms), journal ${this.journalDir}`);
    const every = (ms: number, f: () => void) => {
      const t = setInterval(() => this.guard(f), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.o.flushMs ?? 200, () => this.journal.flush());
    every(this.o.segmentMs ?? 3_600_000, () => this.rotateSegment());
    for (const [route, streams] of routeStreams(this.o.symbols, sel)) {
      const rs = new RouteStream({
        route,
        url: `${this.o.ws}/${route}/stream?streams=${streams.join('/')}`,
        nowUs: () => this.clock.nowUs(),
        timers: wallTimers,
        // A route carrying only sparse streams (forceOrder alone on /market) may be silent for hours
        // in a calm market: a stall only when not even the server's pings (every 3 min) come for 10 min.
        ...(sparseRoute(route, sel) ? { stallMs: Math.max(this.o.stallMs ?? 15_000, SPARSE_STALL_MS), pingIsActivity: true } : { stallMs: this.o.stallMs }),
        maxBackoffMs: this.o.maxBackoffMs,
        rotateAfterMs: this.o.rotateAfterMs,
        overlapMs: this.o.overlapMs,
        log: (line) => this.log(line),
        onMessage: (text, ts) => this.guard(() => this.accept(text, ts)),
        onDrop: (why) => this.guard(() => this.routeDropped(route, why)),
      });
      this.routes.set(route, rs);
      rs.start();
    }
  }

  /** Runs f; an error stops the recorder (journal or store unwritable). */
  private guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      void this.stop(e);
    }
  }

  private append(r: Parameters<JournalWriter['append']>[0]): void {
    this.journal.append(r);
  }

  // ---- connections ------------------------------------------------------------------------------

  /** The primary of a route dropped with no replacement to take over: every stream of the route gets a gap at its next message, every depth book a new snapshot. */
  private routeDropped(route: Route, why: 'disconnect' | 'stall'): void {
    if (this.stopping) return;
    const reason: GapRecord['reason'] = why === 'stall' ? 'stall' : 'disconnect';
    for (const sym of this.o.symbols) {
      for (const st of selectedStreams(this.o.streams)) {
        if (ROUTE_OF[st] !== route) continue;
        const k = StreamMarks.key(sym, st);
        if (!this.pendingGaps.has(k)) this.pendingGaps.set(k, { reason, before: this.marks.get(sym, st) });
        if (st === 'depth') this.resync(sym);
      }
    }
  }

  // ---- messages ---------------------------------------------------------------------------------

  private accept(text: string, recvUs: number): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      this.malformed(recvUs, text, `invalid JSON: ${(e as Error).message}`);
      return;
    }
    const h = messageHead(msg);
    if (h === null) return;
    if (typeof h === 'string') return this.malformed(recvUs, text, h);
    if (!this.symbols.has(h.symbol)) return this.malformed(recvUs, text, `symbol ${h.symbol} is not recorded`);
    const st = this.statsOf(h.symbol, h.stream);
    st.messages++;
    if (!this.marks.isNew(h)) {
      st.duplicates++;
      return;
    }
    const ts = Math.max(recvUs, this.lastJournalUs);
    this.lastJournalUs = ts;
    st.lagUs = ts + this.offsetUs - h.eMs * 1000;
    const key = StreamMarks.key(h.symbol, h.stream);
    const pending = this.pendingGaps.get(key);
    if (pending !== undefined) {
      this.pendingGaps.delete(key);
      this.markGap(h, ts, pending.reason, pending.before);
    } else if (h.stream === 'depth' && !this.snapshotState.has(h.symbol)) {
      const last = this.marks.get(h.symbol, 'depth');
      if (last !== undefined && h.prev !== last.id) {
        this.markGap(h, ts, 'chain-break', last);
        this.resync(h.symbol);
      }
    }
    this.append({ tag: 'W', tsReceiveUs: ts, text });
    this.marks.record(h, ts);
    if (h.stream === 'depth') {
      if (this.snapshotState.get(h.symbol) === 'need') {
        if (!this.firstU.has(h.symbol)) this.firstU.set(h.symbol, h.first);
        this.requestSnapshot(h.symbol);
      }
    }
  }

  private markGap(h: MessageHead, ts: number, reason: GapRecord['reason'], before: StreamMark | undefined): void {
    const edge = (id: number, eMs: number, rUs: number): GapEdge => ({ id, tsExchangeUs: eMs * 1000, tsReceiveUs: rUs });
    const gap: GapRecord = { symbol: h.symbol, stream: h.stream, reason, before: before === undefined ? null : edge(before.id, before.eMs, before.tsReceiveUs), after: edge(h.id, h.eMs, ts) };
    this.append({ tag: 'G', tsReceiveUs: ts, gap });
    this.counters.gaps++;
    this.statsOf(h.symbol, h.stream).gaps++;
    this.log(`gap ${reason} ${h.symbol} ${h.stream}: ${gap.before === null ? 'start' : `id ${gap.before.id}`} → id ${h.id}`);
  }

  /** The symbol's book must be re-synced: a snapshot at its next diff. */
  private resync(symbol: string): void {
    this.snapshotState.set(symbol, 'need');
    this.generation.set(symbol, (this.generation.get(symbol) ?? 0) + 1);
    this.firstU.delete(symbol);
  }

  private requestSnapshot(symbol: string): void {
    this.snapshotState.set(symbol, 'inFlight');
    const gen = this.generation.get(symbol) ?? 0;
    const current = () => !this.stopping && (this.generation.get(symbol) ?? 0) === gen;
    this.rest.snapshot(symbol).then(
      (snap) =>
        this.guard(() => {
          if (!current()) return;
          if (snap.lastUpdateId < (this.firstU.get(symbol) ?? -Infinity) - 1) {
            // Older than the first diff we have: no recorded diff can bridge it. Ask again after the backoff.
            this.counters.staleSnapshots++;
            this.snapshotState.set(symbol, 'retry');
            const wait = this.nextSnapshotBackoff(symbol);
            this.log(`snapshot ${symbol} lastUpdateId ${snap.lastUpdateId} is older than the first diff (U ${this.firstU.get(symbol)}): asked again in ${wait} ms`);
            this.after(wait, () => {
              if (current() && this.snapshotState.get(symbol) === 'retry') this.requestSnapshot(symbol);
            });
            return;
          }
          this.snapshotBackoffMs.delete(symbol);
          const ts = Math.max(snap.tsReceiveUs, this.lastJournalUs);
          this.lastJournalUs = ts;
          this.append({ tag: 'S', tsReceiveUs: ts, symbol, text: snap.text });
          if (this.counters.snapshots >= this.o.symbols.length) this.counters.resyncs++;
          this.counters.snapshots++;
          // Diffs from here on chain onto the last recorded one (or bridge this snapshot in a replay).
          this.snapshotState.delete(symbol);
          this.firstU.delete(symbol);
        }),
      (e) => {
        if (!current()) return;
        // Not at the next diff (10 a second): after the backoff, at the first diff then.
        const wait = this.nextSnapshotBackoff(symbol);
        this.log(`snapshot ${symbol} failed: ${(e as Error).message}; retrying in ${wait} ms`);
        this.snapshotState.set(symbol, 'retry');
        this.after(wait, () => {
          if (current() && this.snapshotState.get(symbol) === 'retry') this.snapshotState.set(symbol, 'need');
        });
      },
    );
  }

  /** Runs `f` (guarded) once after `ms`; cleared by `stop()`. */
  private after(ms: number, f: () => void): void {
    const t = setTimeout(() => {
      const i = this.timers.indexOf(t);
      if (i >= 0) this.timers.splice(i, 1);
      this.guard(f);
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  /** The wait before the symbol's next snapshot request, and doubles the one after (bounded by `maxBackoffMs`). */
  private nextSnapshotBackoff(symbol: string): number {
    const wait = this.snapshotBackoffMs.get(symbol) ?? 250;
    this.snapshotBackoffMs.set(symbol, Math.min(wait * 2, this.o.maxBackoffMs ?? 30_000));
    return wait;
  }

  private malformed(ts: number, text: string, reason: string): void {
    this.counters.malformed++;
    try {
      mkdirSync(this.journalDir, { recursive: true });
      appendFileSync(join(this.journalDir, 'malformed.log'), `${ts} ${reason.replace(/\n/g, ' ')}\t${text.replace(/[\r\n]/g, ' ')}\n`);
    } catch {
      // the side file is diagnostics; the journal's own errors stop the recorder
    }
  }

  private statsOf(symbol: string, stream: StreamName): StreamStats {
    const k = StreamMarks.key(symbol, stream);
    let s = this.stats.get(k);
    if (s === undefined) this.stats.set(k, (s = { messages: 0, duplicates: 0, gaps: 0, lagUs: 0 }));
    return s;
  }

  // ---- journal and store ------------------------------------------------------------------------

  private rotateSegment(): void {
    const closed = this.journal.rotate(this.clock.nowUs());
    if (closed !== undefined) this.queueCompaction(closed);
  }

  private queueCompaction(file: string, attempt = 0): void {
    this.compacting = this.compacting.then(async () => {
      if (this.fatal !== undefined) return;
      try {
        await this.compact(file, true);
      } catch (e) {
        // Another process (an import) holding a partition's lock: try again later, not fatal.
        if (!this.stopping && attempt < 20 && e instanceof Error && /being written by process/.test(e.message)) {
          this.log(`compaction of ${file} waits: ${e.message}`);
          const t = setTimeout(() => this.queueCompaction(file, attempt + 1), 30_000);
          t.unref();
          this.timers.push(t);
          return;
        }
        if (this.fatal === undefined) this.fatal = e;
        if (!this.stopping) void this.stop(e);
      }
    });
  }

  private async compact(file: string, inWorker = false): Promise<CompactResult> {
    const r = await (inWorker ? compactInWorker : compactSegment)(file, {
      root: this.o.out,
      venue: this.venue,
      instruments: this.instruments,
      onBad: (ts, text, reason) => this.malformed(ts, text, `compaction: ${reason}`),
    });
    this.counters.compactions++;
    this.counters.eventsCompacted += r.events;
    this.log(`compacted ${file}: ${r.events} events, ${r.gaps} gaps${r.tornTailBytes > 0 ? `, ${r.tornTailBytes} bytes of a cut last line dropped` : ''}${r.endedCleanly ? '' : ' (session did not end cleanly)'}${inWorker && (r as { inWorker?: boolean }).inWorker === false ? ' (the worker could not start: compacted on the main thread)' : ''}`);
    return r;
  }

  status(): RecorderStatus {
    const streams: Record<string, StreamStats> = {};
    for (const k of [...this.stats.keys()].sort()) streams[k] = { ...this.stats.get(k)! };
    let connections = 0;
    let reconnects = 0;
    let rotations = 0;
    for (const rs of this.routes.values()) {
      connections += rs.openConnections();
      reconnects += rs.counters.reconnects;
      rotations += rs.counters.rotations;
    }
    const cpu = process.cpuUsage();
    return { tsUs: this.clock.nowUs(), streams, ...this.counters, bytesWritten: this.journal.bytesWritten, connections, reconnects, rotations, cpuUs: cpu.user + cpu.system };
  }

  /**
   * Stops: closes the connections, flushes and closes the journal, compacts it. With an error (the
   * journal or store failed) the journal is left as it is for the next start, and `done` resolves.
   */
  async stop(err?: unknown): Promise<void> {
    if (this.stopping) {
      if (err !== undefined && this.fatal === undefined) this.fatal = err;
      return this.done;
    }
    this.stopping = true;
    if (err !== undefined) this.fatal = err;
    for (const t of this.timers) clearTimeout(t);
    const closing = [...this.routes.values()].map((rs) => rs.close('stopping'));
    this.rest.close();
    try {
      if (this.fatal === undefined && this.session !== undefined) {
        this.append({ tag: 'E', tsReceiveUs: Math.max(this.clock.nowUs(), this.lastJournalUs) });
        const closed = this.journal.close();
        if (closed !== undefined) this.queueCompaction(closed);
        await this.compacting;
      } else {
        try {
          this.journal.close();
        } catch {
          // the journal is what failed: keep what was flushed
        }
        await this.compacting;
      }
    } catch (e) {
      if (this.fatal === undefined) this.fatal = e;
    }
    await Promise.all(closing);
    this.stopResolve?.();
  }
}

export function describeError(e: unknown): string {
  return e instanceof MakerError ? `[${e.code}] ${e.describe()}` : e instanceof Error ? e.message : String(e);
}
