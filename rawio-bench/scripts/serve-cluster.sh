#!/usr/bin/env bash
# Aggregate requests per second of a static cluster of 1, 2 and 3 `rawio serve --cluster` nodes on this
# machine, measured with `redis-benchmark --cluster` in alternating rounds (1, 2, 3, 1, 2, 3, ...); prints
# each round and the median per size (one node is benchmarked without --cluster, which redis-benchmark
# refuses for a single node). All nodes share this machine's cores, so the numbers show what
# routing costs (MOVED-free, slot-aware clients), not how a cluster of machines scales.
#
#   rawio-bench/scripts/serve-cluster.sh [--rounds=N] [--nodes=3] [--serve='--cache=256m ...'] \
#       [--format='--size=1g --max-value=64k --prealloc=fallocate'] -- REDIS_BENCHMARK_ARGS...
#
# RAWIO, when set, is the command that runs rawio (default: bin/rawio).
# e.g. rawio-bench/scripts/serve-cluster.sh --rounds=3 -- -t set,get -n 200000 -c 50 -P 16 -d 4096 -r 100000
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
rawio=${RAWIO:-$root/bin/rawio}
rounds=3
nodes=3
serve_opts="--cache=256m"
format_opts="--size=1g --max-value=64k --prealloc=fallocate"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds=*) rounds=${1#*=} ;;
    --nodes=*) nodes=${1#*=} ;;
    --serve=*) serve_opts=${1#*=} ;;
    --format=*) format_opts=${1#*=} ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "serve-cluster: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "serve-cluster: --rounds must be a whole number of at least 1: $rounds" >&2; exit 2; }
[[ $nodes =~ ^[1-9][0-9]*$ ]] || { echo "serve-cluster: --nodes must be a whole number of at least 1: $nodes" >&2; exit 2; }
[ $# -gt 0 ] || { echo "serve-cluster: give redis-benchmark arguments after --" >&2; exit 2; }
for t in redis-benchmark redis-cli; do
  command -v $t >/dev/null || { echo "serve-cluster: $t is not installed (apt-get install redis-tools)" >&2; exit 2; }
done
work=$(mktemp -d /tmp/serve-cluster.XXXXXX)
base=$((20000 + RANDOM % 10000))
ports=() # every node of every size
cleanup() {
  for p in "${ports[@]}"; do redis-cli -p "$p" shutdown >/dev/null 2>&1 || true; done
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT
# One cluster per size k: k nodes, the slots split evenly, its own file (whole before a node reads it)
# and stores.
for k in $(seq "$nodes"); do
  conf="$work/cluster$k.conf"
  for i in $(seq 0 $((k - 1))); do
    echo "n$i 127.0.0.1:$((base + 10 * k + i)) $((i * 16384 / k))-$(((i + 1) * 16384 / k - 1))"
  done >"$conf"
  for i in $(seq 0 $((k - 1))); do
    port=$((base + 10 * k + i))
    $rawio store format "$work/c$k-n$i.store" $format_opts >/dev/null 2>&1
    $rawio serve "$work/c$k-n$i.store" --cluster="$conf" --port="$port" $serve_opts >"$work/c$k-n$i.log" 2>&1 &
    ports+=("$port")
  done
done
for p in "${ports[@]}"; do
  for _ in $(seq 600); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.2; done
done
for k in $(seq "$nodes"); do
  $rawio cluster check "$work/cluster$k.conf" >"$work/check$k" || { cat "$work/check$k" "$work"/c$k-n*.log; exit 1; }
  tail -1 "$work/check$k"
done
echo "redis-benchmark --cluster $*"
: >"$work/results"
for r in $(seq "$rounds"); do
  for k in $(seq "$nodes"); do
    # redis-benchmark refuses --cluster with one node ("Invalid cluster: 1 node(s)"): that one is asked
    # directly (it owns every slot, so nothing is routed either way).
    cluster=$([ "$k" -gt 1 ] && echo --cluster || true)
    out=$(redis-benchmark $cluster -h 127.0.0.1 -p $((base + 10 * k)) --csv "$@" 2>"$work/bench.err" | grep '^"[A-Z]') \
      || { echo "serve-cluster: redis-benchmark failed on $k node(s):" >&2; cat "$work/bench.err" >&2; exit 1; }
    while IFS=, read -r test rps _; do
      test=${test//\"/}; rps=${rps//\"/}
      echo "round $r: $k node(s) $test $rps"
      echo "$k $test $rps" >>"$work/results"
    done <<<"$out"
  done
done
echo "median requests/s per cluster size (all nodes on this machine's shared cores):"
for test in $(awk '{print $2}' "$work/results" | sort -u); do
  line="$test:"
  for k in $(seq "$nodes"); do
    m=$(awk -v k="$k" -v t="$test" '$1 == k && $2 == t {print $3}' "$work/results" | sort -n \
      | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
    line="$line  $k node(s) $m"
  done
  echo "$line"
done
