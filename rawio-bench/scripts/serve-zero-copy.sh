#!/usr/bin/env bash
# Zero-copy sends of device replies: two `rawio serve --loop=uring` servers without a DRAM tier, one
# sending GET replies from the read buffers with SENDMSG_ZC, the other with SENDMSG (copied), the same
# cold GETs against each in alternating rounds, per value size.
#
#   rawio-bench/scripts/serve-zero-copy.sh [--rounds=N] [--sizes=65536,262144,1048576] [--keys=N]
#
# RAWIO, when set, is the command that runs rawio (default: bin/rawio); it must pass RAWIO_JAVA_OPTS to
# the JVM, as bin/rawio does.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
rawio=${RAWIO:-$root/bin/rawio}
rounds=3 sizes=16384,65536,262144,1048576 keys=300
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds=*) rounds=${1#*=} ;;
    --sizes=*) sizes=${1#*=} ;;
    --keys=*) keys=${1#*=} ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "serve-zero-copy: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "serve-zero-copy: --rounds must be a whole number of at least 1: $rounds" >&2; exit 2; }
[[ $keys =~ ^[1-9][0-9]*$ ]] || { echo "serve-zero-copy: --keys must be a whole number of at least 1: $keys" >&2; exit 2; }
[[ $sizes =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "serve-zero-copy: --sizes must be byte counts separated by commas: $sizes" >&2; exit 2; }
for t in redis-benchmark redis-cli; do
  command -v $t >/dev/null || { echo "serve-zero-copy: $t is not installed" >&2; exit 2; }
done
work=$(mktemp -d /tmp/serve-zero-copy.XXXXXX)
zc=$((20000 + RANDOM % 5000)) copy=$((25000 + RANDOM % 5000))
trap 'redis-cli -p $zc shutdown >/dev/null 2>&1 || true; redis-cli -p $copy shutdown >/dev/null 2>&1 || true; sleep 1; rm -rf "$work"' EXIT
start() { # name port java-options
  $rawio store format "$work/$1.store" --size=2g --max-value=1m >/dev/null 2>&1
  RAWIO_JAVA_OPTS="$3" $rawio serve "$work/$1.store" --port="$2" --loop=uring >"$work/$1.log" 2>&1 &
  for _ in $(seq 600); do redis-cli -p "$2" ping >/dev/null 2>&1 && break; sleep 0.2; done
  grep -m1 "ready on" "$work/$1.log"
}
start zc $zc "-Drawio.uring.sendZcThreshold=1"
start copy $copy "-Drawio.uring.sendZc=false"
IFS=, read -r -a size_list <<<"$sizes"
echo "| value | round | SENDMSG_ZC GET/s | SENDMSG GET/s | ratio |"
echo "| ---: | ---: | ---: | ---: | ---: |"
for d in "${size_list[@]}"; do
  for p in $zc $copy; do
    redis-cli -p $p flushall >/dev/null
    redis-benchmark -p $p -t set -r "$keys" -n $((keys * 3)) -c 8 -P 2 -d "$d" -q >/dev/null 2>&1
  done
  n=$(( 2000000000 / d )); [ $n -gt 200000 ] && n=200000; [ $n -lt 2000 ] && n=2000
  : >"$work/ratios"
  for r in $(seq "$rounds"); do
    a=$(redis-benchmark -p $zc -t get -r "$keys" -n $n -c 8 -P 2 -d "$d" --csv 2>/dev/null | sed 1d | tr -d '"' | cut -d, -f2)
    b=$(redis-benchmark -p $copy -t get -r "$keys" -n $n -c 8 -P 2 -d "$d" --csv 2>/dev/null | sed 1d | tr -d '"' | cut -d, -f2)
    echo "| $d | $r | ${a%.*} | ${b%.*} | $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a/b}') |"
    awk -v a="$a" -v b="$b" 'BEGIN {print a/b}' >>"$work/ratios"
  done
  sort -n "$work/ratios" | awk -v d="$d" '{r[NR]=$1} END {m=(NR%2)?r[(NR+1)/2]:(r[NR/2]+r[NR/2+1])/2; printf "value %s: median ratio zero-copy / copy %.2fx (%d rounds)\n", d, m, NR}'
done
for p in $zc $copy; do
  redis-cli -p $p info everything | tr -d '\r' | grep -E "^(ring_reads|loop_cpu_ms|total_commands_processed):" | tr '\n' ' '; echo
done
