#!/usr/bin/env bash
# System packages the tests use, from Debian's archive when missing: chromium (the dashboard's
# browser tests drive it through playwright-core) and redis-server (the distributed sweep queue).
# Needs root for apt-get; without it, says what is missing and goes on (those tests then report
# themselves skipped, saying why).
set -uo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: not root: cannot install ${missing[*]} (the tests that need them will be skipped)" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/tmp/maker-system-deps.log 2>&1; then
  echo "system-deps: apt-get failed (see /tmp/maker-system-deps.log); the tests that need ${missing[*]} will be skipped" >&2
fi
exit 0
