#!/usr/bin/env bash
# Two `rawio serve` servers that differ only in JVM options (a feature on and off), each on its own
# store, the same redis-benchmark against each in alternating rounds: requests per second and p99 per
# round, and the median ratio A / B per test.
#
#   rawio-bench/scripts/serve-ab.sh --a='-Dx=1' --b='-Dx=0' [--serve='--loop=uring --cache=1g'] \
#       [--rounds=N] [--warmup=N] [--format='--size=4g --max-value=1m'] [--format-b='...'] [--dir=DIR] \
#       -- REDIS_BENCHMARK_ARGS...
# --dir=DIR (default /tmp): where the two stores go; --dir=/dev/shm with --serve='... --direct=0' takes
# the device out of the measurement.
# --format-b: B's store formatted otherwise (default: as A's, --format); the servers may then share JVM options.
# --warmup=N (default 1): untimed rounds against each first, while the JIT compiles the servers' paths.
#
# e.g. rawio-bench/scripts/serve-ab.sh --b=-Drawio.uring.storeWrites=false --serve=--loop=uring \
#        --rounds=5 -- -t set -n 20000 -c 8 -P 2 -d 1048576
# RAWIO, when set, is the command that runs rawio (default: bin/rawio); it must pass RAWIO_JAVA_OPTS to
# the JVM, as bin/rawio does.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
rawio=${RAWIO:-$root/bin/rawio}
rounds=3 warmup=1 a="" b="" serve="" dir=/tmp format_opts="--size=4g --max-value=1m" format_b=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds=*) rounds=${1#*=} ;;
    --warmup=*) warmup=${1#*=} ;;
    --a=*) a=${1#*=} ;;
    --b=*) b=${1#*=} ;;
    --serve=*) serve=${1#*=} ;;
    --format=*) format_opts=${1#*=} ;;
    --format-b=*) format_b=${1#*=} ;;
    --dir=*) dir=${1#*=} ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "serve-ab: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "serve-ab: --rounds must be a whole number of at least 1: $rounds" >&2; exit 2; }
[[ $warmup =~ ^[0-9]+$ ]] || { echo "serve-ab: --warmup must be a whole number (0 for none): $warmup" >&2; exit 2; }
[ -d "$dir" ] && [ -w "$dir" ] || { echo "serve-ab: --dir=$dir is not a writable directory" >&2; exit 2; }
[ $# -gt 0 ] || { echo "serve-ab: give redis-benchmark's arguments after -- (try --help)" >&2; exit 2; }
command -v redis-benchmark >/dev/null || { echo "serve-ab: redis-benchmark is not installed" >&2; exit 2; }
work=$(mktemp -d "$dir/serve-ab.XXXXXX")
pa=$((20000 + RANDOM % 5000)) pb=$((25000 + RANDOM % 5000))
trap 'redis-cli -p $pa shutdown >/dev/null 2>&1 || true; redis-cli -p $pb shutdown >/dev/null 2>&1 || true; sleep 1; rm -rf "$work"' EXIT
for s in a b; do
  port=$pa opts=$a fmt=$format_opts; [ $s = b ] && port=$pb opts=$b fmt=${format_b:-$format_opts}
  # shellcheck disable=SC2086
  if ! $rawio store format "$work/$s.store" $fmt >"$work/$s.format" 2>&1; then
    echo "serve-ab: store format $fmt failed:" >&2; cat "$work/$s.format" >&2; exit 2
  fi
  # shellcheck disable=SC2086
  RAWIO_JAVA_OPTS="$opts" $rawio serve "$work/$s.store" --port=$port $serve >"$work/$s.log" 2>&1 &
  for _ in $(seq 600); do redis-cli -p $port ping >/dev/null 2>&1 && break; sleep 0.2; done
  echo "$s ($opts; format $fmt): $(grep -m1 'ready on' "$work/$s.log")"
done
echo "redis-benchmark $*"
for _ in $(seq "$warmup"); do # untimed
  redis-benchmark -p $pa "$@" >/dev/null 2>&1 || true
  redis-benchmark -p $pb "$@" >/dev/null 2>&1 || true
done
echo "| round | test | A req/s (p99 ms) | B req/s (p99 ms) | A / B |"
echo "| --- | --- | ---: | ---: | ---: |"
for r in $(seq "$rounds"); do
  redis-benchmark -p $pa "$@" --csv 2>/dev/null | sed 1d | tr -d '"' >"$work/a.csv"
  redis-benchmark -p $pb "$@" --csv 2>/dev/null | sed 1d | tr -d '"' >"$work/b.csv"
  paste -d, "$work/a.csv" "$work/b.csv" | while IFS=, read -r t ra _ _ _ _ pa99 _ _ rb _ _ _ _ pb99 _; do
    echo "| $r | $t | ${ra%.*} ($pa99) | ${rb%.*} ($pb99) | $(awk -v x="$ra" -v y="$rb" 'BEGIN {printf "%.2f", x/y}') |"
    awk -v x="$ra" -v y="$rb" 'BEGIN {print x/y}' >>"$work/ratio.$t"
  done
done
for f in "$work"/ratio.*; do
  sort -n "$f" | awk -v t="${f##*ratio.}" '{r[NR]=$1} END {m=(NR%2)?r[(NR+1)/2]:(r[NR/2]+r[NR/2+1])/2; printf "%s: median A / B %.2fx (%d rounds)\n", t, m, NR}'
done
