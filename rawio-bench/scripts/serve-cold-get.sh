#!/usr/bin/env bash
# Cold GETs: `rawio serve` without a DRAM tier, every GET a 4 KiB O_DIRECT read of the device, against
# fio's 4 KiB random reads of the same file at the store's depth, in alternating rounds.
#
#   rawio-bench/scripts/serve-cold-get.sh [--rounds=N] [--keys=N] [--depth=64] [--loops=uring,epoll]
#
# One server per loop named (each on its own store), the same GETs against each in turn, then fio, each
# round, with each one's p99 (a GET's, in ms, and a read's at fio's depth). Keys are key:000000000000 ... (redis-benchmark's -r names), written once through each server
# with redis-py (python3-redis). RAWIO, when set, is the command that runs rawio (default: bin/rawio).
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
rawio=${RAWIO:-$root/bin/rawio}
rounds=3 keys=100000 depth=64 loops=uring
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds=*) rounds=${1#*=} ;;
    --keys=*) keys=${1#*=} ;;
    --depth=*) depth=${1#*=} ;;
    --loops=*) loops=${1#*=} ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "serve-cold-get: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "serve-cold-get: --rounds must be a whole number of at least 1: $rounds" >&2; exit 2; }
[[ $keys =~ ^[1-9][0-9]*$ ]] || { echo "serve-cold-get: --keys must be a whole number of at least 1: $keys" >&2; exit 2; }
[[ $depth =~ ^[1-9][0-9]*$ ]] || { echo "serve-cold-get: --depth must be a whole number of at least 1: $depth" >&2; exit 2; }
for t in redis-benchmark redis-cli fio; do
  command -v $t >/dev/null || { echo "serve-cold-get: $t is not installed" >&2; exit 2; }
done
py=/usr/bin/python3
$py -c 'import redis' 2>/dev/null || { echo "serve-cold-get: python3-redis is not installed" >&2; exit 2; }
work=$(mktemp -d /tmp/serve-cold-get.XXXXXX)
IFS=, read -r -a loop_list <<<"$loops"
declare -A port
for l in "${loop_list[@]}"; do
  case "$l" in epoll|uring|threads) ;; *) echo "serve-cold-get: unknown loop $l (epoll, uring, threads)" >&2; exit 2 ;; esac
  port[$l]=$((20000 + RANDOM % 10000))
done
cleanup() {
  for l in "${loop_list[@]}"; do redis-cli -p "${port[$l]}" shutdown >/dev/null 2>&1 || true; done
  sleep 1; rm -rf "$work"
}
trap cleanup EXIT
for l in "${loop_list[@]}"; do
  $rawio store format "$work/$l.store" --size=2g --classes=8k,1m --class-share=3,1 >/dev/null 2>&1
  $rawio serve "$work/$l.store" --port="${port[$l]}" --loop="$l" --batch=$depth >"$work/$l.log" 2>&1 &
  for _ in $(seq 600); do redis-cli -p "${port[$l]}" ping >/dev/null 2>&1 && break; sleep 0.2; done
  grep -m1 "ready on" "$work/$l.log"
  $py - "${port[$l]}" "$keys" <<'PY'
import os, sys, redis
r = redis.Redis(port=int(sys.argv[1]))
n = int(sys.argv[2])
v = os.urandom(4096)
for start in range(0, n, 1000):
    p = r.pipeline(transaction=False)
    for i in range(start, min(n, start + 1000)):
        p.set("key:%012d" % i, v)
    p.execute()
assert r.dbsize() == n, r.dbsize()
PY
done
echo "$keys keys of 4 KiB; GETs: redis-benchmark -t get -r $keys -c 50 -P 16; fio: randread bs=4k iodepth=$depth"
header="| round |"; rule="| --- |"
for l in "${loop_list[@]}"; do header="$header rawio $l GET/s (ratio, p99 ms) |"; rule="$rule ---: |"; done
echo "$header fio IOPS (p99 ms) |"; echo "$rule ---: |"
for r in $(seq "$rounds"); do
  declare -A got=()
  for l in "${loop_list[@]}"; do
    got[$l]=$(redis-benchmark -p "${port[$l]}" -t get -r "$keys" -n 200000 -c 50 -P 16 --csv 2>/dev/null | sed 1d | tr -d '"' | cut -d, -f2,7)
  done
  read -r f fp99 < <(fio --name=r --filename="$work/${loop_list[0]}.store" --readonly --rw=randread --bs=4k --iodepth="$depth" \
        --ioengine=io_uring --direct=1 --runtime=5s --time_based --output-format=json 2>/dev/null \
      | $py -c 'import json, sys; r = json.load(sys.stdin)["jobs"][0]["read"]; print(round(r["iops"]), "%.3f" % (r["clat_ns"]["percentile"]["99.000000"] / 1e6))')
  line="| $r |"
  for l in "${loop_list[@]}"; do
    g=${got[$l]%,*}; p99=${got[$l]#*,}
    line="$line ${g%.*} ($(awk -v a="$g" -v b="$f" 'BEGIN {printf "%.2f", a/b}'), $p99) |"
    awk -v a="$g" -v b="$f" 'BEGIN {print a/b}' >>"$work/ratios.$l"
  done
  echo "$line $f ($fp99) |"
done
for l in "${loop_list[@]}"; do
  printf "%s: " "$l"
  sort -n "$work/ratios.$l" | awk '{r[NR]=$1} END {m=(NR%2)?r[(NR+1)/2]:(r[NR/2]+r[NR/2+1])/2; printf "median ratio %.2fx (%d rounds); ", m, NR}'
  redis-cli -p "${port[$l]}" info everything | tr -d '\r' | grep -E "^(dram_hits|get_batches|ring_reads|loop_rounds):" | tr '\n' ' '
  echo
done
