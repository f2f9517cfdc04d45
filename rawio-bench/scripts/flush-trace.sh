#!/usr/bin/env bash
# What a disk's cache flushes cost while something runs: records the block layer's request tracepoints
# (/sys/kernel/tracing/events/block, no blktrace) for one device for a while, then prints how long the
# disk had a write or a flush in flight, and a least-squares fit of each flush's duration against the
# bytes written since the flush before it (a disk whose flush persists what its cache took takes longer
# the more was written). Needs root and tracefs; records in a tracing instance of its own (the device's
# requests only, 16 MiB of buffer a CPU, 256 MiB at most), leaving other tracing alone, and says so on
# stderr when the buffer overflowed. Stops by itself.
#
#   rawio-bench/scripts/flush-trace.sh [--seconds=S] [--keep=FILE] DEVICE
#   rawio-bench/scripts/flush-trace.sh --from=FILE MAJOR:MINOR
#
# DEVICE: a block device (/dev/vda) or its name (vda). --seconds (default 0.3): how long to record, at
# most 10. --keep=FILE: keep the raw trace there. --from=FILE: read a trace kept before (the device then
# by its numbers, e.g. 254:0) instead of recording one; needs no root.
# e.g. (while a durable redis-benchmark runs) rawio-bench/scripts/flush-trace.sh --seconds=0.3 vda
set -euo pipefail
seconds=0.3 keep="" from=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds=*) seconds=${1#*=} ;;
    --keep=*) keep=${1#*=}; [ -n "$keep" ] || { echo "flush-trace: --keep needs a file" >&2; exit 2; } ;;
    --from=*) from=${1#*=}; [ -n "$from" ] || { echo "flush-trace: --from needs a file" >&2; exit 2; } ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "flush-trace: unknown option $1 (try --help)" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
[[ $seconds =~ ^[0-9]*\.?[0-9]+$ ]] && awk -v s="$seconds" 'BEGIN { exit !(s > 0 && s <= 10) }' \
  || { echo "flush-trace: --seconds must be more than 0 and at most 10: $seconds" >&2; exit 2; }
[ $# -eq 1 ] || { echo "flush-trace: give one block device (try --help)" >&2; exit 2; }
analyze() { # TRACE MAJOR:MINOR
  awk -v dev="${2/:/,}" "$awk_program" "$1"
}
if [ -n "$from" ] && [ -n "$keep" ]; then
  echo "flush-trace: --keep goes with a recording, not with --from" >&2; exit 2
fi
if [ -n "$from" ]; then
  [[ $1 =~ ^[0-9]+:[0-9]+$ ]] || { echo "flush-trace: with --from, give the device as MAJOR:MINOR (e.g. 254:0): $1" >&2; exit 2; }
  [ -r "$from" ] || { echo "flush-trace: cannot read $from" >&2; exit 2; }
  majmin=$1
else
  name=${1#/dev/}
  [ -r "/sys/block/$name/dev" ] || { echo "flush-trace: $1 is not a whole block device (no /sys/block/$name)" >&2; exit 2; }
  majmin=$(cat "/sys/block/$name/dev")
  # Checked now, not after the recording: a typo must not lose a trace.
  if [ -n "$keep" ]; then
    { : > "$keep"; } 2>/dev/null || { echo "flush-trace: cannot write --keep=$keep" >&2; exit 2; }
  fi
fi
# A line: "... [cpu] flags SECONDS: block_rq_issue: MAJ,MIN RWBS BYTES () SECTOR + N ..." (issue) or
# "... block_rq_complete: MAJ,MIN RWBS () SECTOR + N ..." (complete). Flushes are RWBS "F..." (FF, FWS).
awk_program='
  {
    ts = ""; kind = ""
    for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { ts = substr($i, 1, length($i) - 1); kind = $(i + 1); at = i + 2; break }
    if (ts == "" || $at != dev) next
    rwbs = $(at + 1); t = ts * 1000
    if (first == "") first = t
    last = t
    flush = rwbs ~ /^F/
    if (kind == "block_rq_issue:") {
      bytes = $(at + 2)
      if (flush) { inflush++; started[++nf] = t; before[nf] = written; written = 0; open[nf] = 1 }
      else if (bytes > 0 && rwbs ~ /W/) { inwrite++; written += bytes; total += bytes; writes++ }
    } else if (kind == "block_rq_complete:") {
      n = $(at + 5)
      if (flush) {
        for (k = 1; k <= nf; k++) if (open[k]) { open[k] = 0; dur[k] = t - started[k]; done[k] = 1; break }
        if (inflush > 0) inflush--
      } else if (rwbs ~ /W/ && n > 0 && inwrite > 0) inwrite--
    }
    if (prev != "") { dt = t - prev; if (wasw || wasf) busy += dt; if (wasf) fbusy += dt }
    prev = t; wasw = inwrite > 0; wasf = inflush > 0
  }
  END {
    span = last - first
    if (span <= 0) { print "flush-trace: no requests of the device in the trace" > "/dev/stderr"; exit 1 }
    printf "%.1f ms from the first request to the last: %d writes, %.1f MB; the disk had a write or a flush in flight %.0f%% of the time, a flush %.0f%%\n", span, writes, total / 1e6, 100 * busy / span, 100 * fbusy / span
    m = 0; e = 0; edur = 0
    for (k = 1; k <= nf; k++) {
      if (!done[k]) continue
      if (before[k] == 0) { e++; edur += dur[k]; continue }
      m++; x = before[k] / 1e6; y = dur[k]; sx += x; sy += y; sxx += x * x; sxy += x * y
    }
    if (e > 0) printf "%d flushes after no write: %.3f ms each on average\n", e, edur / e
    if (m >= 2 && m * sxx - sx * sx > 0) {
      slope = (m * sxy - sx * sy) / (m * sxx - sx * sx); icpt = (sy - slope * sx) / m
      printf "%d flushes after writes (%.0f KB on average): %.3f ms + %.3f ms per MB written since the flush before\n", m, 1000 * sx / m, icpt, slope
    } else if (m > 0) printf "%d flushes after writes: %.3f ms each on average\n", m, sy / m
    else print "no flush after a write in the trace"
  }'
if [ -n "$from" ]; then
  analyze "$from" "$majmin"
  exit
fi
t=/sys/kernel/tracing
[ -d $t/instances ] || t=/sys/kernel/debug/tracing
[ -d $t/instances ] && [ -d $t/events/block/block_rq_issue ] && [ -w $t/instances ] \
  || { echo "flush-trace: no writable tracefs with block events (root, and tracefs mounted at /sys/kernel/tracing)" >&2; exit 2; }
# A tracing instance of its own: the global buffer and whatever else traces are left alone.
inst=$t/instances/rawio-flush-trace.$$
mkdir "$inst" || { echo "flush-trace: cannot make a tracing instance in $t/instances" >&2; exit 2; }
out=$(mktemp)
cleanup() {
  echo 0 > "$inst/tracing_on" 2>/dev/null || true
  for e in block_rq_issue block_rq_complete; do echo 0 > "$inst/events/block/$e/enable" 2>/dev/null || true; done
  rmdir "$inst" 2>/dev/null || true
  if [ -n "$keep" ]; then cp "$out" "$keep" || echo "flush-trace: could not keep the trace in $keep" >&2; fi
  rm -f "$out"
}
trap cleanup EXIT
echo 0 > "$inst/tracing_on"
# Per CPU: 16 MiB (a busy disk's 10 s fit), but 256 MiB in all on a host of many CPUs.
cpus=$(ls -d "$inst"/per_cpu/cpu* 2>/dev/null | wc -l)
per_cpu_kb=$(( 262144 / (cpus > 0 ? cpus : 1) ))
echo $(( per_cpu_kb < 16384 ? per_cpu_kb : 16384 )) > "$inst/buffer_size_kb"
maj=${majmin%:*} min=${majmin#*:}
for e in block_rq_issue block_rq_complete; do
  echo "dev == $(( (maj << 20) | min ))" > "$inst/events/block/$e/filter" # this device only (the kernel's dev_t)
  echo 1 > "$inst/events/block/$e/enable"
done
echo 1 > "$inst/tracing_on"
sleep "$seconds"
echo 0 > "$inst/tracing_on"
lost=0
for f in "$inst"/per_cpu/cpu*/stats; do
  n=$(awk '/^overrun:/ { print $2 }' "$f")
  lost=$(( lost + ${n:-0} ))
done
cat "$inst/trace" > "$out"
if [ "$lost" -gt 0 ]; then
  echo "flush-trace: the trace buffer overflowed ($lost events lost): the figures below are incomplete; record for less time" >&2
fi
analyze "$out" "$majmin"
