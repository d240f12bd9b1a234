import { readFileSync } from 'node:fs';

/**
 * This process's peak RSS in MB. Linux's `VmHWM` (the high-water mark of this process's own memory,
 * which starts afresh at exec) where there is one: getrusage's maxRSS carries the parent's peak over
 * an exec, so a child of a bench that has just built a tile in-process would report the parent's peak.
 */
export function peakRssMB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m !== null) return Math.round(Number(m[1]) / 1024);
  } catch {
    // not Linux: fall back to getrusage
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
