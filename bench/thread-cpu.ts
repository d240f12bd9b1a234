import { readFileSync } from 'node:fs';

/**
 * CPU seconds the process's main thread has run so far (Linux: `/proc/self/task/<pid>/schedstat`,
 * nanoseconds on the CPU; else that thread's `stat` utime + stime in USER_HZ ticks of 10 ms). NaN
 * where neither exists. `process.cpuUsage` counts every thread (the decode worker, the GC's helpers);
 * this is the run's own thread, the one that bounds a backtest's wall time, and it does not count
 * the time the thread waited for a core, so it moves less than wall time with the machine's load.
 */
export function mainThreadCpuSeconds(): number {
  const task = `/proc/self/task/${process.pid}`;
  try {
    const ns = Number(readFileSync(`${task}/schedstat`, 'utf8').split(' ')[0]);
    if (Number.isFinite(ns)) return ns / 1e9;
  } catch {
    // no schedstat (kernel without CONFIG_SCHED_INFO): try stat
  }
  try {
    const fields = readFileSync(`${task}/stat`, 'utf8').split(') ')[1].split(' ');
    // After "pid (comm) ": state is field 3, utime 14, stime 15 (proc(5)).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}
