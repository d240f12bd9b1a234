/**
 * The event log of a run and its determinism hash.
 *
 * The log is what crosses the venue contract, in the engine's processing order: every command the
 * trader sends (submit / cancel / modify / query), every venue event delivered back to it (reports,
 * funding settlements, query answers, unknown outcomes, account snapshots, stream states), and one
 * `end` record with the run's totals. Market events are not logged:
 * they are the input (the data fingerprint covers them) and every effect they have on our orders
 * shows up in the records above.
 *
 * The determinism hash is `sha256:` + SHA-256 over a canonical binary encoding of the records:
 *
 *   record = kind:u8, then the kind's fields in the fixed order listed in `RECORD_FIELDS`
 *   field  = tag:u8 [value]
 *     0x01 number   float64 little-endian (integers are exact below 2^53; -0 is written as 0 and
 *                   every NaN as 0x7ff8000000000000)
 *     0x02 string   u32 little-endian byte length, then the UTF-8 bytes
 *     0x03 true     (no value)
 *     0x04 false    (no value)
 *     0x05 absent   null or undefined (no value)
 *   kinds: 1 submit, 2 cancel, 3 modify, 4 report, 5 funding, 6 end, 7 query, 8 requestUnknown,
 *          9 queryAnswer, 10 accountSync, 11 streamState (a run against the simulated exchange
 *          has only kinds 1-6 and 9 when something queries; kinds 7-11 came with the venue
 *          contract and left every earlier hash as it was)
 *   A `report` of execution type CALCULATED (a liquidation fill) has one more field after
 *   `reduceOnly`: `insuranceClearance` (string); every other report encodes as before.
 *
 * Records are encoded into one reused 64 KiB buffer, which is fed to the hash whenever it fills:
 * the SHA-256 of a byte stream does not depend on where it is cut, so the hash depends only on the
 * sequence of records, never on batch sizes. (Until this encoding, the hash was over tab-separated
 * text built per record; the binary form costs a few stores per field instead of string building,
 * and changed every pinned hash once.)
 *
 * With a text sink, `EventLog` also renders the same records, same fields, one line each (`kind\tfield\t…`, as
 * report/hasher.ts `EventLogHasher` writes them) for the optional `events.log` of a run; it is for
 * reading, the hash is over the binary form.
 */
import { createHash, type Hash } from 'node:crypto';
import { InvariantError } from '../core/errors.ts';
import type { ExecutionReport, FundingSettlement, VenueCommand, VenueEvent } from '../model/venue.ts';
import { canonicalJson, EventLogHasher } from './report/index.ts';

/** Run totals in the `end` record. */
export interface EndRecord {
  marketEvents: number;
  commandsSent: number;
  reportsDelivered: number;
  fundingDelivered: number;
  lastUs: number;
}

/** What the engine writes to the log. */
export interface EventLogSink {
  /** A command sent at trader time `tUs`, arriving at the venue at `arrivalUs`. */
  command(tUs: number, arrivalUs: number, cmd: VenueCommand): void;
  /** A venue event delivered to the trader at `tUs`. */
  venueEvent(tUs: number, e: VenueEvent): void;
}

/** The field list of each record kind, in encoding order (documentation; the writers follow it). */
export const RECORD_FIELDS = {
  submit: ['tUs', 'arrivalUs', 'symbol', 'clientOrderId', 'side', 'type', 'timeInForce', 'priceTicks', 'qtyLots', 'reduceOnly'],
  cancel: ['tUs', 'arrivalUs', 'symbol', 'clientOrderId'],
  modify: ['tUs', 'arrivalUs', 'symbol', 'clientOrderId', 'side', 'priceTicks', 'qtyLots'],
  report: ['tUs', 'tsExchangeUs', 'symbol', 'clientOrderId', 'orderId', 'execType', 'status', 'side', 'priceTicks', 'origQtyLots', 'cumFilledLots', 'lastFillLots', 'lastFillPriceTicks', 'tradeId', 'liquidity', 'commission', 'errorCode', 'reduceOnly'],
  funding: ['tUs', 'tsUs', 'symbol', 'markPrice', 'rate', 'positionLots', 'payment'],
  end: ['marketEvents', 'commandsSent', 'reportsDelivered', 'fundingDelivered', 'lastUs'],
  query: ['tUs', 'arrivalUs', 'symbol', 'clientOrderId', 'orderId'],
  requestUnknown: ['tUs', 'symbol', 'clientOrderId', 'request', 'cause'],
  queryAnswer: ['tUs', 'symbol', 'clientOrderId', 'found', 'orderId', 'status', 'priceTicks', 'origQtyLots', 'cumFilledLots', 'avgFillPriceTicks'],
  accountSync: ['tUs', 'tsUs', 'sync (canonical JSON of symbols, positions, balances, openOrders)'],
  streamState: ['tUs', 'tsUs', 'stream', 'up', 'symbols (comma-separated; absent = all)', 'reason'],
} as const;

const KIND = { submit: 1, cancel: 2, modify: 3, report: 4, funding: 5, end: 6, query: 7, requestUnknown: 8, queryAnswer: 9, accountSync: 10, streamState: 11, throttled: 12 } as const;
type Kind = keyof typeof KIND;

/** Receives the fields of one record at a time. */
interface FieldWriter {
  begin(kind: Kind): void;
  num(v: number): void;
  str(v: string | null | undefined): void;
  bool(v: boolean): void;
  end(): void;
}

function writeCommand(w: FieldWriter, t: number, at: number, cmd: VenueCommand): void {
  if (cmd.kind === 'submit') {
    const o = cmd.order;
    w.begin('submit');
    w.num(t);
    w.num(at);
    w.str(o.symbol);
    w.str(o.clientOrderId);
    w.str(o.side);
    w.str(o.type);
    w.str(o.timeInForce);
    w.num(o.priceTicks);
    w.num(o.qtyLots);
    w.bool(o.reduceOnly);
  } else if (cmd.kind === 'cancel') {
    w.begin('cancel');
    w.num(t);
    w.num(at);
    w.str(cmd.symbol);
    w.str(cmd.clientOrderId);
  } else if (cmd.kind === 'modify') {
    w.begin('modify');
    w.num(t);
    w.num(at);
    w.str(cmd.symbol);
    w.str(cmd.clientOrderId);
    w.str(cmd.side);
    w.num(cmd.priceTicks);
    w.num(cmd.qtyLots);
  } else {
    w.begin('query');
    w.num(t);
    w.num(at);
    w.str(cmd.symbol);
    w.str(cmd.clientOrderId);
    w.num(cmd.orderId);
  }
  w.end();
}

function writeVenueEvent(w: FieldWriter, t: number, e: VenueEvent): void {
  switch (e.kind) {
    case 'report':
      return writeReport(w, t, e.report);
    case 'funding':
      return writeFunding(w, t, e.settlement);
    case 'requestUnknown':
      w.begin('requestUnknown');
      w.num(t);
      w.str(e.symbol);
      w.str(e.clientOrderId);
      w.str(e.request);
      w.str(e.cause);
      break;
    case 'queryAnswer': {
      const r = e.result;
      w.begin('queryAnswer');
      w.num(t);
      w.str(e.symbol);
      w.str(r.clientOrderId);
      w.bool(r.found);
      if (r.found) {
        w.num(r.orderId);
        w.str(r.status);
        w.num(r.priceTicks);
        w.num(r.origQtyLots);
        w.num(r.cumFilledLots);
        w.num(r.avgFillPriceTicks ?? NaN);
      }
      break;
    }
    case 'accountSync':
      w.begin('accountSync');
      w.num(t);
      w.num(e.sync.tsUs);
      w.str(canonicalJson({ symbols: e.sync.symbols, positions: e.sync.positions, balances: e.sync.balances, openOrders: e.sync.openOrders }));
      break;
    case 'streamState':
      w.begin('streamState');
      w.num(t);
      w.num(e.tsUs);
      w.str(e.stream);
      w.bool(e.up);
      w.str(e.symbols?.join(','));
      w.str(e.reason);
      break;
    case 'throttled':
      w.begin('throttled');
      w.num(t);
      w.num(e.tsUs);
      w.num(e.untilUs);
      w.num(e.httpStatus);
      w.str(e.reason);
      break;
  }
  w.end();
}

function writeReport(w: FieldWriter, t: number, r: ExecutionReport): void {
  w.begin('report');
  w.num(t);
  w.num(r.tsExchangeUs);
  w.str(r.symbol);
  w.str(r.clientOrderId);
  w.num(r.orderId);
  w.str(r.execType);
  w.str(r.status);
  w.str(r.side);
  w.num(r.priceTicks);
  w.num(r.origQtyLots);
  w.num(r.cumFilledLots);
  w.num(r.lastFillLots);
  w.num(r.lastFillPriceTicks);
  w.num(r.tradeId);
  w.str(r.liquidity);
  w.str(r.commission);
  w.num(r.errorCode);
  w.bool(r.reduceOnly);
  // Only liquidation fills carry it: every other report encodes as before.
  if (r.execType === 'CALCULATED') w.str(r.insuranceClearance ?? '0');
  w.end();
}

function writeFunding(w: FieldWriter, t: number, f: FundingSettlement): void {
  w.begin('funding');
  w.num(t);
  w.num(f.tsUs);
  w.str(f.symbol);
  w.str(f.markPrice);
  w.str(f.rate);
  w.num(f.positionLots);
  w.str(f.payment);
  w.end();
}

function writeEnd(w: FieldWriter, e: EndRecord): void {
  w.begin('end');
  w.num(e.marketEvents);
  w.num(e.commandsSent);
  w.num(e.reportsDelivered);
  w.num(e.fundingDelivered);
  w.num(e.lastUs);
  w.end();
}

const BUFFER_BYTES = 1 << 16;
const TAG_NUMBER = 1;
const TAG_STRING = 2;
const TAG_TRUE = 3;
const TAG_FALSE = 4;
const TAG_ABSENT = 5;

/** Encodes records into a reused buffer and hashes it in 64 KiB chunks. */
class BinaryWriter implements FieldWriter {
  private buf = Buffer.allocUnsafe(BUFFER_BYTES);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private pos = 0;
  private readonly hash: Hash = createHash('sha256');

  /** Makes room for `n` more bytes. */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = Buffer.allocUnsafe(n);
      this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    }
  }

  begin(kind: Kind): void {
    this.room(1);
    this.buf[this.pos++] = KIND[kind];
  }

  num(v: number): void {
    this.room(9);
    this.buf[this.pos] = TAG_NUMBER;
    // -0 → 0 and one NaN, so equal values always encode equally.
    this.view.setFloat64(this.pos + 1, v === 0 ? 0 : v === v ? v : NaN, true);
    this.pos += 9;
  }

  str(v: string | null | undefined): void {
    if (v === null || v === undefined) {
      this.room(1);
      this.buf[this.pos++] = TAG_ABSENT;
      return;
    }
    this.room(5 + 3 * v.length);
    const at = this.pos;
    const buf = this.buf;
    buf[at] = TAG_STRING;
    // ASCII (every id, symbol and enum the venue sends) is its own UTF-8: copied here, since
    // Buffer.write costs a native call per string (~1 % of a run, several strings per record).
    // The first other character hands the whole string to Buffer.write: the same bytes either way.
    const len = v.length;
    let n = 0;
    while (n < len) {
      const c = v.charCodeAt(n);
      if (c >= 0x80) break;
      buf[at + 5 + n] = c;
      n++;
    }
    if (n < len) n = buf.write(v, at + 5, 'utf8');
    this.view.setUint32(at + 1, n, true);
    this.pos = at + 5 + n;
  }

  bool(v: boolean): void {
    this.room(1);
    this.buf[this.pos++] = v ? TAG_TRUE : TAG_FALSE;
  }

  end(): void {}

  flush(): void {
    if (this.pos === 0) return;
    this.hash.update(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  digest(): string {
    this.flush();
    return this.hash.digest('hex');
  }
}

/** Tab-separated text of the records, through `EventLogHasher`'s canonical field text. */
class TextWriter implements FieldWriter {
  private kind: Kind = 'end';
  private fields: (string | number | boolean | null | undefined)[] = [];
  constructor(private readonly text: EventLogHasher) {}
  begin(kind: Kind): void {
    this.kind = kind;
    this.fields = [];
  }
  num(v: number): void {
    this.fields.push(v);
  }
  str(v: string | null | undefined): void {
    this.fields.push(v);
  }
  bool(v: boolean): void {
    this.fields.push(v);
  }
  end(): void {
    this.text.addFields(this.kind, this.fields);
  }
}

/**
 * The run's event log: hashes every record (binary, above) and, when a text sink is given, also
 * renders it as text lines (the `events.log` of a run).
 */
export class EventLog implements EventLogSink {
  /** Records written so far. */
  records = 0;
  private readonly bin = new BinaryWriter();
  private readonly text: TextWriter | null;
  private readonly textLog: EventLogHasher | null;
  private digestHex: string | null = null;

  constructor(textSink?: (chunk: string) => void) {
    this.textLog = textSink ? new EventLogHasher(textSink) : null;
    this.text = this.textLog ? new TextWriter(this.textLog) : null;
  }

  command(tUs: number, arrivalUs: number, cmd: VenueCommand): void {
    this.check();
    writeCommand(this.bin, tUs, arrivalUs, cmd);
    if (this.text) writeCommand(this.text, tUs, arrivalUs, cmd);
  }

  venueEvent(tUs: number, e: VenueEvent): void {
    this.check();
    writeVenueEvent(this.bin, tUs, e);
    if (this.text) writeVenueEvent(this.text, tUs, e);
  }

  /** The last record; then `digest()`. */
  end(e: EndRecord): void {
    this.check();
    writeEnd(this.bin, e);
    if (this.text) writeEnd(this.text, e);
  }

  /** `sha256:<hex>`; no records may be added afterwards. */
  digest(): string {
    if (this.digestHex === null) {
      this.digestHex = this.bin.digest();
      this.textLog?.digest(); // flushes the text
    }
    return `sha256:${this.digestHex}`;
  }

  private check(): void {
    if (this.digestHex !== null) throw new InvariantError('EventLog: record added after digest()');
    this.records++;
  }
}
