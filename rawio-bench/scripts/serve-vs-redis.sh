#!/usr/bin/env bash
# Side by side: `rawio serve` and redis-server from the OS packages on the same machine, measured with
# redis-benchmark in alternating rounds; prints requests per second and p99 per round and the median
# ratio per test. Everything listens on loopback and stops by itself.
#
#   rawio-bench/scripts/serve-vs-redis.sh [--rounds=N] [--warmup=N] [--serve='--cache=1g ...'] \
#       [--redis='--appendonly yes ...'] [--format='--size=4g --max-value=1m'] [--dir=DIR] -- REDIS_BENCHMARK_ARGS...
#
# --dir=DIR (default /tmp): where the store (and redis-server's files) go; --dir=/dev/shm with
# --serve='... --direct=0' takes the device out of the measurement.
# --warmup=N (default 1): untimed rounds against each server first, as JMH warms up; the JVM's JIT
# compiles the server's paths during its first seconds of load, and a server is measured as it runs.
#
# RAWIO, when set, is the command that runs rawio (default: bin/rawio).
# e.g. rawio-bench/scripts/serve-vs-redis.sh --rounds=3 --serve=--cache=1g -- -t set,get -n 200000 -c 50 -P 16 -d 4096
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
rawio=${RAWIO:-$root/bin/rawio}   # RAWIO="java ... -jar rawio.jar" runs a build set aside
rounds=3
warmup=1
serve_opts="--cache=1g"
redis_opts="--save '' --appendonly no"
format_opts="--size=4g --max-value=1m"
dir=/tmp
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds=*) rounds=${1#*=} ;;
    --warmup=*) warmup=${1#*=} ;;
    --serve=*) serve_opts=${1#*=} ;;
    --redis=*) redis_opts=${1#*=} ;;
    --format=*) format_opts=${1#*=} ;;
    --dir=*) dir=${1#*=} ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "serve-vs-redis: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "serve-vs-redis: --rounds must be a whole number of at least 1: $rounds" >&2; exit 2; }
[[ $warmup =~ ^[0-9]+$ ]] || { echo "serve-vs-redis: --warmup must be a whole number (0 for none): $warmup" >&2; exit 2; }
[ -d "$dir" ] && [ -w "$dir" ] || { echo "serve-vs-redis: --dir=$dir is not a writable directory" >&2; exit 2; }
dir=$(cd "$dir" && pwd) # absolute: redis-server changes into its --dir before it opens its log file
[ $# -gt 0 ] || { echo "serve-vs-redis: give redis-benchmark arguments after --" >&2; exit 2; }
for t in redis-server redis-benchmark redis-cli; do
  command -v $t >/dev/null || { echo "serve-vs-redis: $t is not installed (apt-get install redis-server redis-tools)" >&2; exit 2; }
done
work=$(mktemp -d "$dir/serve-vs-redis.XXXXXX")
rport=$((20000 + RANDOM % 10000)); sport=$((rport + 1))
cleanup() {
  redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  redis-cli -p "$sport" shutdown >/dev/null 2>&1 || true
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT
$rawio store format "$work/serve.store" $format_opts >/dev/null
$rawio serve "$work/serve.store" --port="$sport" $serve_opts >"$work/serve.log" 2>&1 &
eval "redis-server --port $rport --bind 127.0.0.1 --dir $(printf %q "$work") --daemonize yes --logfile $(printf %q "$work/redis.log") $redis_opts"
for _ in $(seq 600); do
  redis-cli -p "$sport" ping >/dev/null 2>&1 && redis-cli -p "$rport" ping >/dev/null 2>&1 && break
  sleep 0.2
done
grep -m1 "ready on" "$work/serve.log" || { cat "$work/serve.log"; exit 1; }
echo "redis-benchmark $*"
hz=$(getconf CLK_TCK)
srvstat() { # a server's loop CPU ms and heap bytes (rawio's INFO; 0 for redis), commands run, process CPU ticks
  redis-cli -p "$1" info everything | tr -d '\r' \
    | awk -F: '/^loop_cpu_ms:/{c=$2} /^loop_allocated_bytes:/{a=$2} /^total_commands_processed:/{n=$2}
               /^process_id:/{p=$2} END {print c+0, a+0, n+0, p}' \
    | { read -r c a n p; t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0); echo "$c $a $n $t"; }
}
for _ in $(seq "$warmup"); do # untimed
  # INFO too, as each timed round has it: the first INFO a server answers recompiles the loop's paths
  # (code the JIT had never seen run), and that should be over before the first timed round
  for port in "$sport" "$rport"; do
    redis-benchmark -p "$port" "$@" >/dev/null 2>&1 || true
    srvstat "$port" >/dev/null
  done
done
: >"$work/results"
: >"$work/loop"
for r in $(seq "$rounds"); do
  for who in rawio redis; do
    port=$([ $who = rawio ] && echo $sport || echo $rport)
    before=$(srvstat "$port")
    redis-benchmark -p "$port" --csv "$@" 2>/dev/null | sed 1d | tr -d '"' \
      | awk -F, -v who=$who -v r=$r '{print r, who, $1, $2, $7}' >>"$work/results"
    echo "$r $who $before $(srvstat "$port")" >>"$work/loop"
  done
done
echo "| round | test | rawio req/s | redis req/s | ratio | rawio p99 ms | redis p99 ms |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
awk '{k=$1" "$3; if ($2=="rawio") {a[k]=$4; ap[k]=$5} else {b[k]=$4; bp[k]=$5}; if (!(k in seen)) {seen[k]=1; order[n++]=k}}
     END {for (i=0;i<n;i++) {k=order[i]; split(k,p," "); printf "| %s | %s | %.0f | %.0f | %.2f | %s | %s |\n", p[1], p[2], a[k], b[k], a[k]/b[k], ap[k], bp[k]}}' "$work/results"
echo
echo "per request (all tests of the round): CPU of the whole process (every thread, user + system), and"
echo "rawio's loop thread's CPU and the heap bytes it allocated"
awk -v hz="$hz" '{n=$9-$5; if (n <= 0) next; cpu=($10-$6)*1e6/hz/n;
     if ($2=="rawio") printf "round %s: rawio %.2f us process CPU (loop thread %.2f us, %.0f heap bytes)", $1, cpu, ($7-$3)*1000/n, ($8-$4)/n;
     else printf "; redis-server %.2f us process CPU\n", cpu}' "$work/loop"
echo
awk '{k=$1" "$3; if ($2=="rawio") a[k]=$4; else b[k]=$4} END {for (k in a) {split(k,p," "); print p[2], a[k]/b[k]}}' \
  "$work/results" | sort -k1,1 -k2,2n \
  | awk '{v[$1]=v[$1]" "$2; c[$1]++} END {for (t in v) {m=split(substr(v[t],2),r," ");
          med=(m%2)?r[(m+1)/2]:(r[m/2]+r[m/2+1])/2; printf "median ratio %s: %.2fx (%d rounds)\n", t, med, m}}'
