/**
 * The common part of the CSV readers: comma-separated cells without quoting (none of the supported
 * sources quote), a fixed column list taken from the header row or, for header-less files, from
 * the documented layout; each row must have exactly that many cells.
 */
import { InvariantError } from '../core/errors.ts';
import type { MarketEvent } from '../model/events.ts';
import { fieldError, type ParseContext } from '../wire/index.ts';
import type { FileImportStats, LineParser } from './types.ts';

export abstract class CsvParser implements LineParser {
  readonly skipFirstLine: boolean;
  protected rows = 0;
  private readonly index = new Map<string, number>();

  constructor(
    protected readonly columns: readonly string[],
    hasHeader: boolean,
  ) {
    this.skipFirstLine = hasHeader;
    columns.forEach((c, i) => this.index.set(c, i));
  }

  /** Index of a column the detector has already checked is present. */
  protected col(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new InvariantError(`CSV column "${name}" missing after format detection`);
    return i;
  }

  protected hasCol(name: string): boolean {
    return this.index.has(name);
  }

  parseLine(line: string, ctx: ParseContext, out: MarketEvent[]): void {
    this.rows++;
    const cells = line.split(',');
    if (cells.length !== this.columns.length) {
      throw fieldError(ctx, 'row', `expected ${this.columns.length} columns (${this.columns.slice(0, 4).join(',')},…), got ${cells.length}`, cells.length < this.columns.length ? 'E_INPUT_INCOMPLETE' : 'E_INPUT');
    }
    this.parseRow(cells, ctx, out);
  }

  protected abstract parseRow(cells: string[], ctx: ParseContext, out: MarketEvent[]): void;

  finish(_ctx: ParseContext, _out: MarketEvent[]): void {}

  receiveTimeUnit(): FileImportStats['receiveTimeUnit'] {
    return null;
  }

  dataLines(): number {
    return this.rows;
  }
}
