#!/usr/bin/env bash
# The served-libraries round (issue #11) against the commit before it, in one sitting (ADR 003, "Measured against 8.4"):
# builds tests/benchmarks of BASE (default 25481a1: StackExchange.Redis 1.2.6, MassTransit 8.4) in a worktree, then runs
# relay and analytics alternately for BASE and this checkout against the same servers, into /tmp/pre-round-ab.
# Usage: bench/ab/pre-round-ab.sh [BASE]   (needs ./platform servers up and tests/benchmarks built in Release; ~8 min)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
here=$PWD base=${1:-25481a1} old=/tmp/pre-round-ab-worktree out=/tmp/pre-round-ab
set -a; . "${PLATFORM_HOME:-$here/.platform}/env"; set +a
[[ -d $old ]] || git worktree add -f "$old" "$base" -q
(cd "$old" && dotnet build tests/benchmarks -c Release --nologo -v q -clp:ErrorsOnly) || exit 1
mkdir -p "$out"
run() { # label dir runner args...
  local label=$1 dir=$2; shift 2
  echo "== $label $1 $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd "$dir" && dotnet run -c Release --no-build --project tests/benchmarks -- "$@" >"$out/$label-$1-$(date +%s).md" 2>&1) || echo "== $label $1 failed"
}
for _ in 1 2; do
  run old "$old" relay --events 20000 --rounds 3 --samples 200
  run new "$here" relay --events 20000 --rounds 3 --samples 200
done
for _ in 1 2; do
  run new "$here" analytics --events 200000 --bus-events 50000 --queries 200 --history-days 30
  run old "$old" analytics --events 200000 --bus-events 50000 --queries 200 --history-days 30
done
echo "== done $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg); figures in $out"
