/**
 * What a sweep run is on the queue: one BullMQ job per run, its id a hash of what decides the
 * run's result, so that enqueueing the same run again (a rerun of the sweep, another sweep that
 * shares runs, two machines enqueueing one sweep) finds the job already there instead of running it
 * twice.
 *
 * Job id = `run-` + 40 hex of sha256 over:
 * - the scenario as the run resolves it (the scenario file's text with the sweep's `--set` list, the
 *   run's parameter set, the out-of-sample range and the seed applied; canonical JSON), which covers
 *   the parameters and the seed;
 * - the data fingerprint of the store partitions the run reads (their meta.json records: files,
 *   rows, time spans, recorded SHA-256 of each file; `prepareData(..., { hashContent: false })`), or
 *   the synthetic generator's config, so new data under the same scenario is a new job;
 * - the code version (package version): another `maker` may give other results;
 * - where the run's reports go (`--reports`), since a job run without them did not write them.
 *
 * The payload (`SweepJob`) is the `RunTask` itself plus the fingerprint expected, so a worker whose
 * store holds other data than the enqueuer's fails the job instead of returning another result.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, codeVersion, prepareData, resolvedScenario } from '../backtest/index.ts';
import { taskScenario, type RunTask } from '../sweep/index.ts';
import type { Scenario } from '../scenario/index.ts';

export const JOB_FORMAT = 'maker-sweep-job/1';
export const QUEUE_NAME = 'maker-sweep';
export const JOB_NAME = 'run';

export interface SweepJob {
  format: typeof JOB_FORMAT;
  task: RunTask;
  /** The data fingerprint (metadata) the enqueuer computed; the worker checks its store gives the same. */
  dataFingerprint: string;
}

/** The fingerprint of the data a scenario reads, from metadata only (no file is hashed or replayed). */
export async function metaFingerprint(s: Scenario): Promise<string> {
  const d = await prepareData(s, 65_536, { hashContent: false });
  return d.fingerprint;
}

/** Computes job ids, caching data fingerprints by data section (and seed: the synthetic market depends on it). */
export class JobIds {
  private readonly fingerprints = new Map<string, Promise<string>>();

  fingerprintOf(s: Scenario): Promise<string> {
    const key = canonicalJson({ data: s.data, seed: s.data.source === 'synthetic' ? s.seed : null });
    let fp = this.fingerprints.get(key);
    if (fp === undefined) {
      fp = metaFingerprint(s);
      this.fingerprints.set(key, fp);
    }
    return fp;
  }

  /** The job of a run: its id and payload. Throws the scenario loader's or the store's error as is. */
  async jobFor(task: RunTask): Promise<{ id: string; job: SweepJob }> {
    const s = taskScenario(task);
    const fingerprint = await this.fingerprintOf(s);
    const id = jobIdOf(s, fingerprint, task.reportsDir);
    return { id, job: { format: JOB_FORMAT, task: { ...task, storeRoot: null }, dataFingerprint: fingerprint } };
  }
}

export function jobIdOf(s: Scenario, dataFingerprint: string, reportsDir: string | null): string {
  const h = createHash('sha256')
    .update(JSON.stringify([JOB_FORMAT, canonicalJson(resolvedScenario(s)), dataFingerprint, codeVersion(), reportsDir]))
    .digest('hex');
  return `run-${h.slice(0, 40)}`;
}

/** Checks a job payload read from Redis (another version of maker may have written it). */
export function parseJob(data: unknown, jobId: string): SweepJob {
  const j = data as Partial<SweepJob> | null;
  if (j === null || typeof j !== 'object' || j.format !== JOB_FORMAT || typeof j.task !== 'object' || typeof j.dataFingerprint !== 'string') {
    const f = (j as { format?: unknown } | null)?.format;
    throw new Error(`job ${jobId} is not a ${JOB_FORMAT} job (format ${JSON.stringify(f)}): enqueued by another version of maker?`);
  }
  return j as SweepJob;
}
