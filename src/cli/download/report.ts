/** Text for `maker download`: the plan (which archives, monthly or daily) and the summary. */
import { type PlanItem, type VisionType } from './layout.ts';
import type { DownloadResult } from './run.ts';

export function humanBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}

/** Consecutive periods as ranges: `2024-01-01..2024-01-03, 2024-01-05`. */
function ranges(periods: string[]): string {
  const out: string[] = [];
  let start = periods[0];
  let prev = periods[0];
  const next = (p: string): string => {
    const d = new Date(`${p}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  };
  for (let i = 1; i <= periods.length; i++) {
    const p = periods[i];
    if (p !== undefined && p.length === 10 && prev.length === 10 && p === next(prev)) {
      prev = p;
      continue;
    }
    out.push(start === prev ? start : `${start}..${prev}`);
    start = prev = p;
  }
  return out.join(', ');
}

export interface PlanLine {
  symbol: string;
  type: VisionType;
  monthly: string[];
  daily: string[];
}

export function summarisePlan(items: readonly PlanItem[]): PlanLine[] {
  const lines: PlanLine[] = [];
  for (const it of items) {
    const a = it.archive;
    let line = lines.find((l) => l.symbol === a.symbol && l.type === a.type);
    if (!line) lines.push((line = { symbol: a.symbol, type: a.type, monthly: [], daily: [] }));
    (a.granularity === 'monthly' ? line.monthly : line.daily).push(a.period);
  }
  return lines;
}

export function formatPlan(items: readonly PlanItem[], interval: string): string {
  const out: string[] = [];
  for (const l of summarisePlan(items)) {
    const parts: string[] = [];
    if (l.monthly.length > 0) parts.push(`monthly ${l.monthly.join(', ')}`);
    if (l.daily.length > 0) parts.push(`daily ${ranges(l.daily)}`);
    const kline = l.type.endsWith('lines') ? ` ${interval}` : '';
    out.push(`  ${l.symbol} ${l.type}${kline}: ${parts.join('; ')}`);
  }
  return out.join('\n');
}

export function formatSummary(r: DownloadResult, outDir: string): string {
  const n = (s: string) => r.outcomes.filter((o) => o.status === s);
  const downloaded = n('downloaded');
  const present = n('present');
  const missing = n('missing');
  const failed = n('failed');
  const resumed = downloaded.filter((o) => o.resumedFromBytes > 0).length;
  const lines: string[] = [];
  lines.push(
    `downloaded ${downloaded.length} archive(s) (${humanBytes(r.bytesDownloaded)}${resumed > 0 ? `, ${resumed} resumed` : ''}), ` +
      `${present.length} already there and verified, into ${outDir}`,
  );
  for (const a of r.fellBack) lines.push(`  monthly archive not on the server, its days used instead: ${a.path}`);
  if (missing.length > 0) {
    lines.push(`  MISSING ${missing.length} archive(s) (not on the server):`);
    // Grouped per symbol, type and kind, consecutive days as ranges, with the server folder.
    const groups = new Map<string, { periods: string[]; dir: string }>();
    for (const o of missing) {
      const a = o.archive;
      const key = `${a.symbol} ${a.type} ${a.granularity}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { periods: [], dir: a.path.slice(0, a.path.lastIndexOf('/') + 1) }));
      g.periods.push(a.period);
    }
    for (const [key, g] of groups) lines.push(`    ${key} ${ranges(g.periods)}  (${g.dir})`);
  }
  if (failed.length > 0) {
    lines.push(`  FAILED ${failed.length} archive(s):`);
    const notTried = failed.filter((o) => o.message?.includes('not tried, the server could not be reached'));
    // "<archive>: <reason>" lines that share their reason (the archives in flight when the host
    // turned out not to resolve, say) are one line: the reason once, then the archives.
    // Groups in the order of their first archive; a message not of that form is its own group.
    const groups = new Map<string, { reason: string; names: string[] }>();
    for (const o of failed) {
      if (notTried.includes(o)) continue;
      const text = o.message ?? o.archive.path;
      const cut = text.indexOf(': ');
      const name = cut > 0 ? text.slice(0, cut) : '';
      if (cut > 0 && !name.includes(' ')) {
        const reason = text.slice(cut + 2);
        const g = groups.get(`r:${reason}`);
        if (g === undefined) groups.set(`r:${reason}`, { reason, names: [name] });
        else g.names.push(name);
      } else groups.set(`t:${groups.size}`, { reason: text, names: [] });
    }
    for (const { reason, names } of groups.values()) {
      if (names.length === 0) lines.push(`    ${reason}`);
      else if (names.length === 1) lines.push(`    ${names[0]}: ${reason}`);
      else lines.push(`    ${names.length} archives: ${reason}:`, `      ${names.join(', ')}`);
    }
    if (notTried.length > 0) lines.push(`    ${notTried.length} more not tried: the server could not be reached`);
  }
  return `${lines.join('\n')}\n`;
}
