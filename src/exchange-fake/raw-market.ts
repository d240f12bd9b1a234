/**
 * Raw recorded files replayed by the local exchange without a store (`maker exchange --raw`): the
 * files `maker import` reads (Binance WebSocket recordings, hftbacktest collector files, cryptofeed,
 * Tardis.dev CSV, data.binance.vision CSV, Binance's order-book CSV), parsed by the same importers
 * with the same instrument specs (`--spec` exchangeInfo files, or `--infer-spec`).
 *
 * Lanes. The files (directories expanded in name order) are grouped into lanes: files of one format
 * that name the same symbol (`btcusdt_20240808.gz`, `btcusdt_20240809.gz`) are one lane, read in
 * the given order as one import session, as `maker import` reads the daily parts of a recording;
 * every other file is a lane of its own. Lanes are ordered by their first file.
 *
 * Order. The lanes are merged as the store replay merges its symbols (`mergeSources`): by receive
 * time (`tsReceiveUs`; for formats without one it is the exchange time), ties to the lane listed
 * first, each lane in its line order. Within a symbol this is the store's own order (receive time,
 * then the order the import wrote), so a file of one symbol replays exactly as its import into a
 * store would. A lane whose receive time goes backwards cannot be merged: the replay stops with an
 * `InputError` naming the file and both times (`maker import` sorts such data; replay the store).
 *
 * Memory. Every lane holds one importer batch (8,192 events) and its file's read buffers; nothing
 * is read ahead beyond that, so a day of data is streamed, never loaded.
 *
 * Symbols. The served symbols are `symbols` when given, else the symbols of the first batch of every
 * lane, in lane order. Events of any other symbol are skipped, with one warning per symbol. Each
 * symbol's instrument: the given specs, else one inferred by its lane (with `inferSpecs`), else the
 * registry's `MissingSpecError` naming the symbol.
 */
import { InputError } from '../core/errors.ts';
import { detectFormat, importSources, listInputFiles, type FormatId, type ImportSession, type ImportWarning } from '../importers/index.ts';
import type { MarketEvent } from '../model/events.ts';
import { Instrument, type SpecRegistry } from '../model/instrument.ts';
import { mergeSources } from '../store/index.ts';

export interface RawMarketOptions {
  /** Instrument specs (from `--spec` exchangeInfo files). */
  readonly specs: SpecRegistry;
  /** Infer tick and step of symbols without a spec from the data (`--infer-spec`). */
  readonly inferSpecs?: boolean;
  /** Force the input format instead of detecting it. */
  readonly format?: FormatId;
  /** Serve these symbols only (default: those the files start with). */
  readonly symbols?: readonly string[];
  /** The importers' warnings, and one per skipped symbol. */
  readonly onWarning?: (w: ImportWarning) => void;
}

interface Lane {
  readonly files: string[];
  readonly session: ImportSession;
  readonly iterator: AsyncIterator<MarketEvent[]>;
  /** The first batch, read to learn the lane's symbols (empty when the lane holds no events). */
  first: MarketEvent[];
  done: boolean;
}

/** The lanes of the inputs, each a group of files read as one import session (see the header). */
async function laneFiles(inputs: string[], format: FormatId | undefined): Promise<string[][]> {
  const { files } = listInputFiles(inputs);
  const lanes: string[][] = [];
  const byKey = new Map<string, string[]>();
  for (const file of files) {
    // Detect now: an unreadable or unknown file fails here, by name, before anything is served.
    const det = await detectFormat(file).catch((e: unknown) => {
      if (format !== undefined) return undefined; // a forced format is checked by the importer
      throw e;
    });
    const key = det?.symbolFromName === undefined ? undefined : `${format ?? det.format}|${det.symbolFromName}`;
    const lane = key === undefined ? undefined : byKey.get(key);
    if (lane !== undefined) lane.push(file);
    else {
      const fresh = [file];
      lanes.push(fresh);
      if (key !== undefined) byKey.set(key, fresh);
    }
  }
  return lanes;
}

/**
 * Opens the raw files as a market for `LocalExchange`: the served instruments and the merged,
 * receive-time-ordered stream of their events. Detection errors, a missing spec and an empty input
 * fail here, before the exchange starts; a bad line later stops the replay there (`sourceError`).
 */
export async function rawMarket(inputs: string[], o: RawMarketOptions): Promise<{ instruments: Instrument[]; source: AsyncIterable<MarketEvent[]>; files: string[] }> {
  const groups = await laneFiles(inputs, o.format);
  const lanes: Lane[] = [];
  try {
    for (const files of groups) {
      const session = importSources(files, { specs: o.specs, inferSpecs: o.inferSpecs, format: o.format, onWarning: o.onWarning });
      const iterator = session.events[Symbol.asyncIterator]();
      const lane: Lane = { files, session, iterator, first: [], done: false };
      lanes.push(lane);
      for (;;) {
        const r = await iterator.next();
        if (r.done === true) {
          lane.done = true;
          break;
        }
        if (r.value.length > 0) {
          lane.first = r.value;
          break;
        }
      }
    }
  } catch (e) {
    // A file that fails at its start fails the market; the files already open are closed.
    await closeLanes(lanes);
    throw e;
  }
  const symbols: string[] = [];
  if (o.symbols !== undefined) symbols.push(...o.symbols);
  else for (const l of lanes) for (const e of l.first) if (!symbols.includes(e.symbol)) symbols.push(e.symbol);
  const all = groups.flat();
  let instruments: Instrument[];
  try {
    if (symbols.length === 0) throw new InputError('the raw files hold no market events', { file: all.join(', ') }, 'E_INPUT_EMPTY');
    instruments = symbols.map((symbol) => instrumentOf(symbol, o.specs, lanes));
  } catch (e) {
    await closeLanes(lanes);
    throw e;
  }
  const served = new Set(symbols);
  const warned = new Set<string>();
  const skip = (e: MarketEvent, lane: Lane): void => {
    if (warned.has(e.symbol)) return;
    warned.add(e.symbol);
    const why = o.symbols !== undefined ? 'not among --symbols' : 'not among the symbols the files start with; name it in --symbols to serve it';
    o.onWarning?.({ code: 'W_SYMBOL_SKIPPED', symbol: e.symbol, file: currentFile(lane), message: `events of ${e.symbol} are skipped: ${why}` });
  };
  const sources = lanes.map((lane) => laneEvents(lane, served, skip));
  async function* events(): AsyncGenerator<MarketEvent[]> {
    for await (const batch of mergeSources(sources, 8192)) {
      const out = new Array<MarketEvent>(batch.length);
      for (let k = 0; k < batch.length; k++) out[k] = batch.eventAt(k);
      yield out;
    }
  }
  return { instruments, source: events(), files: all };
}

async function closeLanes(lanes: readonly Lane[]): Promise<void> {
  for (const l of lanes) if (!l.done) await l.iterator.return?.().catch(() => undefined);
}

function instrumentOf(symbol: string, specs: SpecRegistry, lanes: readonly Lane[]): Instrument {
  if (specs.has(symbol)) return specs.get(symbol);
  for (const l of lanes) {
    const spec = l.session.stats().inferredSpecs.find((s) => s.symbol === symbol);
    if (spec !== undefined) return new Instrument(spec);
  }
  return specs.get(symbol); // the MissingSpecError naming the symbol, with the --spec / --infer-spec hint
}

/** The file of the lane being read: the importer counts the files it has finished. */
function currentFile(lane: Lane): string {
  return lane.files[Math.min(lane.files.length - 1, lane.session.stats().files.length)];
}

/** One lane's events of the served symbols, checked to be in receive-time order (the merge needs it). */
async function* laneEvents(lane: Lane, served: ReadonlySet<string>, skip: (e: MarketEvent, lane: Lane) => void): AsyncGenerator<MarketEvent[]> {
  let lastUs = -Infinity;
  let batch = lane.first;
  lane.first = [];
  try {
    while (batch.length > 0 || !lane.done) {
      let out = batch;
      for (let k = 0; k < batch.length; k++) {
        const e = batch[k];
        if (e.tsReceiveUs < lastUs) {
          throw new InputError(
            `receive time goes backwards (${e.tsReceiveUs} µs after ${lastUs} µs, ${e.symbol} ${e.type}): raw files are replayed in their own order, merged by receive time; import them with maker import (which sorts) and replay the store with --store`,
            { file: currentFile(lane) },
          );
        }
        lastUs = e.tsReceiveUs;
        if (!served.has(e.symbol)) {
          skip(e, lane);
          if (out === batch) out = batch.slice(0, k);
        } else if (out !== batch) out.push(e);
      }
      if (out.length > 0) yield out;
      if (lane.done) break;
      const r = await lane.iterator.next();
      if (r.done === true) {
        lane.done = true;
        batch = [];
      } else batch = r.value;
    }
  } finally {
    if (!lane.done) await lane.iterator.return?.();
  }
}
