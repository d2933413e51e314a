#!/usr/bin/env bash
# StackExchange.Redis A/B in one sitting (ADR 011, "Measurement 2"): for each version given (default 2.13.23 then
# 3.4.35), set it in Directory.Packages.props, delete every obj/ and the services' build, restart the services with
# ./platform up (same servers), and run the Redis-facing runners into /tmp/ab-<version>. Restores the props file.
# Usage: bench/ab/redis-client-ab.sh [VERSION...]   (needs ./platform servers up; ~6 minutes per version here)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
state="${PLATFORM_HOME:-$PWD/.platform}"
versions=("$@"); [[ ${#versions[@]} -gt 0 ]] || versions=(2.13.23 3.4.35)
trap 'git checkout -q Directory.Packages.props' EXIT
for v in "${versions[@]}"; do
  sed -i "s|<PackageVersion Include=\"StackExchange.Redis\" Version=\"[^\"]*\" />|<PackageVersion Include=\"StackExchange.Redis\" Version=\"$v\" />|" Directory.Packages.props
  for f in "$state"/run/*.pid; do [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null; done
  sleep 3
  rm -rf "$state/build"
  find services shared tests -maxdepth 3 -type d -name obj -prune -exec rm -rf {} +
  echo "== $v: up $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  ./platform up >"/tmp/ab-up-$v.log" 2>&1 || { echo "== $v: ./platform up failed (/tmp/ab-up-$v.log)"; continue; }
  grep -o "\"StackExchange.Redis/[0-9.]*\"" services/catalog-api/obj/project.assets.json | sort -u
  echo "== $v: bench $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  ./platform bench --only l1-hit,cache-latency,invalidation --out "/tmp/ab-$v" >"/tmp/ab-bench-$v.log" 2>&1
  echo "== $v: done rc=$? $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg); results in /tmp/ab-$v"
done
