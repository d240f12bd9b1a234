// The image's HEALTHCHECK (deploy/Dockerfile): GET $MAKER_HEALTHCHECK_URL (e.g. the live
// dashboard's http://127.0.0.1:8091/healthz), healthy on a 2xx answer within 4 s. Without the
// variable there is nothing to ask (maker record, maker worker): healthy while the process runs.
const url = process.env.MAKER_HEALTHCHECK_URL;
if (url === undefined || url === '') process.exit(0);
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  if (!res.ok) {
    process.stderr.write(`healthcheck: ${url} answered ${res.status}\n`);
    process.exit(1);
  }
  process.exit(0);
} catch (e) {
  process.stderr.write(`healthcheck: ${url}: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
