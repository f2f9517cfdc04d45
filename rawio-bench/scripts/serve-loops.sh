#!/usr/bin/env bash
# The three event loops of `rawio serve` side by side (epoll, uring, threads): one server per loop, each
# on its own store, the same redis-benchmark against each in alternating rounds; requests per second
# and p99 per round. Everything listens on loopback and stops by itself.
#
#   rawio-bench/scripts/serve-loops.sh [--rounds=N] [--warmup=N] [--serve='--cache=1g ...'] -- REDIS_BENCHMARK_ARGS...
# --warmup=N (default 1): untimed rounds against each first, while the JIT compiles the servers' paths.
#
# e.g. rawio-bench/scripts/serve-loops.sh --rounds=3 -- -t set,get -n 200000 -c 50 -P 16 -d 4096
# RAWIO, when set, is the command that runs rawio (default: bin/rawio).
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
rawio=${RAWIO:-$root/bin/rawio}
rounds=3
warmup=1
serve_opts="--cache=1g"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds=*) rounds=${1#*=} ;;
    --warmup=*) warmup=${1#*=} ;;
    --serve=*) serve_opts=${1#*=} ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "serve-loops: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "serve-loops: --rounds must be a whole number of at least 1: $rounds" >&2; exit 2; }
[[ $warmup =~ ^[0-9]+$ ]] || { echo "serve-loops: --warmup must be a whole number (0 for none): $warmup" >&2; exit 2; }
[ $# -gt 0 ] || { echo "serve-loops: give redis-benchmark arguments after --" >&2; exit 2; }
work=$(mktemp -d /tmp/serve-loops.XXXXXX)
base=$((20000 + RANDOM % 10000))
loops="epoll uring threads"
cleanup() {
  for i in 0 1 2; do redis-cli -p $((base + i)) shutdown >/dev/null 2>&1 || true; done
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true
i=0
for l in $loops; do
  $rawio store format "$work/$l.store" --size=2g --max-value=1m >/dev/null 2>&1
  $rawio serve "$work/$l.store" --port=$((base + i)) --loop=$l $serve_opts >"$work/$l.log" 2>&1 &
  i=$((i + 1))
done
for _ in $(seq 600); do
  ok=1
  for i in 0 1 2; do redis-cli -p $((base + i)) ping >/dev/null 2>&1 || ok=0; done
  [ $ok = 1 ] && break
  sleep 0.2
done
for l in $loops; do grep -m1 "ready on" "$work/$l.log" || { cat "$work/$l.log"; exit 1; }; done
echo "redis-benchmark $*"
for _ in $(seq "$warmup"); do # untimed
  for i in 0 1 2; do redis-benchmark -p $((base + i)) "$@" >/dev/null 2>&1 || true; done
done
echo "| round | loop | test | req/s | p99 ms |"
echo "| --- | --- | --- | ---: | ---: |"
for r in $(seq "$rounds"); do
  i=0
  for l in $loops; do
    redis-benchmark -p $((base + i)) --csv "$@" 2>/dev/null | sed 1d | tr -d '"' \
      | awk -F, -v l=$l -v r=$r '{printf "| %s | %s | %s | %.0f | %s |\n", r, l, $1, $2, $7}'
    i=$((i + 1))
  done
done
