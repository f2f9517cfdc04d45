#!/usr/bin/env bash
# Cold GETs: `rawio serve` without a DRAM tier, every GET a 4 KiB O_DIRECT read of the device, against
# fio's 4 KiB random reads of the same file at the store's depth, in alternating rounds.
#
#   rawio-bench/scripts/serve-cold-get.sh [--rounds=N] [--keys=N] [--depth=64]
#
# Keys are key:000000000000 ... (redis-benchmark's -r names), written once through the server with
# redis-py (python3-redis). RAWIO, when set, is the command that runs rawio (default: bin/rawio).
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
rawio=${RAWIO:-$root/bin/rawio}
rounds=3 keys=100000 depth=64
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds=*) rounds=${1#*=} ;;
    --keys=*) keys=${1#*=} ;;
    --depth=*) depth=${1#*=} ;;
    -h|--help) sed -n 2,8p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "serve-cold-get: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
for t in redis-benchmark redis-cli fio; do
  command -v $t >/dev/null || { echo "serve-cold-get: $t is not installed" >&2; exit 2; }
done
py=/usr/bin/python3
$py -c 'import redis' 2>/dev/null || { echo "serve-cold-get: python3-redis is not installed" >&2; exit 2; }
work=$(mktemp -d /tmp/serve-cold-get.XXXXXX)
port=$((20000 + RANDOM % 10000))
trap 'redis-cli -p $port shutdown >/dev/null 2>&1 || true; sleep 1; rm -rf "$work"' EXIT
$rawio store format "$work/cold.store" --size=2g --classes=8k,1m --class-share=3,1 >/dev/null 2>&1
$rawio serve "$work/cold.store" --port=$port --batch=$depth >"$work/serve.log" 2>&1 &
for _ in $(seq 600); do redis-cli -p $port ping >/dev/null 2>&1 && break; sleep 0.2; done
grep -m1 "ready on" "$work/serve.log"
$py - "$port" "$keys" <<'PY'
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
echo "$keys keys of 4 KiB; GETs: redis-benchmark -t get -r $keys -c 50 -P 16; fio: randread bs=4k iodepth=$depth"
echo "| round | rawio GET/s | fio IOPS | ratio |"
echo "| --- | ---: | ---: | ---: |"
: >"$work/ratios"
for r in $(seq "$rounds"); do
  g=$(redis-benchmark -p $port -t get -r "$keys" -n 200000 -c 50 -P 16 --csv 2>/dev/null | sed 1d | tr -d '"' | cut -d, -f2)
  f=$(fio --name=r --filename="$work/cold.store" --readonly --rw=randread --bs=4k --iodepth="$depth" \
        --ioengine=io_uring --direct=1 --runtime=5s --time_based --output-format=terse 2>/dev/null | cut -d';' -f8)
  echo "| $r | ${g%.*} | $f | $(awk -v a="$g" -v b="$f" 'BEGIN {printf "%.2f", a/b}') |"
  awk -v a="$g" -v b="$f" 'BEGIN {print a/b}' >>"$work/ratios"
done
sort -n "$work/ratios" | awk '{r[NR]=$1} END {m=(NR%2)?r[(NR+1)/2]:(r[NR/2]+r[NR/2+1])/2; printf "median ratio: %.2fx (%d rounds)\n", m, NR}'
redis-cli -p $port info everything | tr -d '\r' | grep -E "^(dram_hits|get_batches|loop_rounds|keyspace_misses):"
