// Rewrites a store as maker-store/3 wrote it: book_ticker, trades and agg_trades files without the
// ts_transact_us column (the match time came with maker-store/4), meta.json saying format 3.
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TableFileReader, TableFileWriter } from '../../src/store/parquet-io.ts';
import { TABLE_COLUMNS, type TableName } from '../../src/store/schema.ts';

const WITHOUT_T: TableName[] = ['book_ticker', 'trades', 'agg_trades'];

export async function downgradeToFormat3(root: string): Promise<void> {
  for (const venue of readdirSync(root).filter((n) => !n.startsWith('.'))) {
    for (const symbol of readdirSync(join(root, venue))) {
      for (const date of readdirSync(join(root, venue, symbol))) {
        const dir = join(root, venue, symbol, date);
        const metaFile = join(dir, 'meta.json');
        const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
        meta.format = 'maker-store/3';
        for (const table of WITHOUT_T) {
          const m = meta.tables[table];
          if (!m) continue;
          const r = new TableFileReader(join(dir, m.file), table);
          const w = new TableFileWriter(dir, `old-${table}`, table, r.kv, 'SNAPPY', TABLE_COLUMNS[table].filter((d) => d.name !== 'ts_transact_us'));
          for (let g = 0; g < r.rowGroupCount; g++) w.append(await r.readRowGroup(g));
          r.close();
          const file = w.commit((sha) => `${table}.${sha.slice(0, 16)}.parquet`);
          rmSync(join(dir, m.file));
          m.file = file.path.slice(dir.length + 1);
          m.sha256 = file.sha256;
          m.bytes = file.bytes;
        }
        writeFileSync(metaFile, JSON.stringify(meta, null, 2));
      }
    }
  }
}
