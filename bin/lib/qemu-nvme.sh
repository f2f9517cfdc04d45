#!/usr/bin/env bash
# Runs one command in a QEMU guest that has an emulated NVMe controller, and returns its output and
# exit status. The guest is the distribution kernel (linux-image-amd64) with a busybox initramfs built
# here; it sees the host's root read-only over 9p (so the host's JDK, fio and the project's classes
# are where they are on the host), a writable results folder, and the namespace as /dev/nvme0n1 and
# /dev/ng0n1. Used by the uring-cmd engine's tests (rawio-store's QemuNvmeTest); runnable by hand:
#
#   bin/lib/qemu-nvme.sh [--lba=512|4096] [--mdts=N] [--disk-mb=N] [--results=DIR] -- COMMAND [ARG...]
#
# COMMAND runs as root, chrooted into the host's root (read-only, /tmp included: a clone of the project
# there is seen as it is), with /dev, /proc, /sys, a tmpfs /run of the guest's own (HOME, TMPDIR and
# java.io.tmpdir are /run/tmp; under TCG JAVA_TOOL_OPTIONS also turns the JDK's CDS archive off, which
# costs a JVM ~10 s there), and RAWIO_RESULTS naming the results folder (the host's DIR). Exit status: COMMAND's;
# 77 when this machine cannot run the guest (the reason on stderr); 124 on timeout
# (RAWIO_QEMU_TIMEOUT seconds, default 600).
#
# KVM when a real KVM module is loaded (kvm_intel or kvm_amd): a paravirtual /dev/kvm without one does
# not boot a stock kernel. Software emulation (TCG) otherwise. The kernel is booted as the
# uncompressed vmlinux through its PVH entry, which halves the boot under TCG (no decompression in
# emulated code); what is extracted and built is kept under RAWIO_QEMU_CACHE
# (default /tmp/rawio-qemu-<kernel version>).
set -euo pipefail

lba=512
mdts=5
disk_mb=256
results=""
while [ $# -gt 0 ]; do
  case "$1" in
    --lba=*) lba="${1#*=}" ;;
    --mdts=*) mdts="${1#*=}" ;;
    --disk-mb=*) disk_mb="${1#*=}" ;;
    --results=*) results="${1#*=}" ;;
    --) shift; break ;;
    *) echo "qemu-nvme: unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
[ $# -gt 0 ] || { echo "qemu-nvme: no command (usage: qemu-nvme.sh [options] -- COMMAND [ARG...])" >&2; exit 2; }
command=("$@")

skip() { echo "qemu-nvme: cannot run the guest: $*" >&2; exit 77; }

qemu=$(command -v qemu-system-x86_64 || true)
[ -n "$qemu" ] || skip "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"
[ "$(uname -m)" = x86_64 ] || skip "the guest is x86-64; this machine is $(uname -m)"
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || skip "busybox not installed (apt-get install busybox-static)"
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked' && ldd "$busybox" >/dev/null 2>&1; then
  skip "$busybox is dynamically linked (apt-get install busybox-static)"
fi
kver=""
for k in $(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V -r); do
  v="${k#/boot/vmlinuz-}"
  if [ -d "/usr/lib/modules/$v/kernel/drivers/nvme" ] || [ -d "/lib/modules/$v/kernel/drivers/nvme" ]; then
    kver="$v"
    break
  fi
done
[ -n "$kver" ] || skip "no kernel with its modules in /boot and /usr/lib/modules (apt-get install linux-image-amd64)"
moddir="/lib/modules/$kver"
[ -d "$moddir" ] || moddir="/usr/lib/modules/$kver"

cache="${RAWIO_QEMU_CACHE:-/tmp/rawio-qemu-$kver}"
mkdir -p "$cache"

# --- the uncompressed kernel (PVH entry), extracted once -------------------------------------------
vmlinux="$cache/vmlinux"
if [ ! -s "$vmlinux" ]; then
  # bzImage holds the kernel compressed (xz, zstd or gzip): find the stream that decompresses to an ELF.
  image="/boot/vmlinuz-$kver"
  tmp="$cache/vmlinux.tmp"
  # (what the kernel's scripts/extract-vmlinux does)
  for fmt in '\xfd\x37\x7a\x58\x5a\x00 xz -dc' '\x28\xb5\x2f\xfd zstd -dcq' '\x1f\x8b\x08 gzip -dc'; do
    read -r magic tool <<< "$fmt"
    for off in $(LC_ALL=C grep -obUaP "$magic" "$image" | cut -d: -f1 | head -n 5); do
      tail -c +"$((off + 1))" "$image" | $tool > "$tmp" 2>/dev/null || true
      if [ "$(head -c 4 "$tmp" | od -A n -t x1 | tr -d ' \n')" = 7f454c46 ]; then
        mv "$tmp" "$vmlinux"
        break 2
      fi
    done
  done
  rm -f "$tmp"
fi
kernel="$vmlinux"
[ -s "$kernel" ] || kernel="/boot/vmlinuz-$kver" # no ELF found: boot the compressed image (slower)

# --- the initramfs: busybox, the nvme and 9p modules, an init that runs the command -----------------
initrd="$cache/initrd-$(sha1sum "$0" | cut -c1-12).cpio" # a new script builds a new one
if [ ! -s "$initrd" ]; then
  root="$cache/initramfs"
  rm -rf "$root"
  mkdir -p "$root/bin" "$root/mod" "$root/dev" "$root/proc" "$root/sys" "$root/host" "$root/results"
  cp "$busybox" "$root/bin/busybox"
  : > "$root/mod/order"
  # One --show-depends per module: its dependencies first, in the order to load them.
  for m in virtio_pci 9pnet_virtio 9p nvme; do
    modprobe --show-depends -S "$kver" "$m" | awk '$1 == "insmod" {print $2}'
  done | awk '!seen[$0]++' | while read -r ko; do
    [ -f "$ko" ] || ko="${ko/#\/lib\//\/usr\/lib\/}"
    base=$(basename "$ko")
    case "$base" in
      *.ko.xz) xz -dc "$ko" > "$root/mod/${base%.xz}"; base="${base%.xz}" ;;
      *.ko.zst) zstd -dcq "$ko" > "$root/mod/${base%.zst}"; base="${base%.zst}" ;;
      *) cp "$ko" "$root/mod/$base" ;;
    esac
    echo "$base" >> "$root/mod/order"
  done
  cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
# Debian's kernel does not mount devtmpfs itself (CONFIG_DEVTMPFS_MOUNT is off).
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
for m in $(cat /mod/order); do
  insmod "/mod/$m" 2>/dev/null # a module for a CPU feature TCG lacks (crct10dif-pclmul) may refuse: fine
done
# The host's root does not change while the guest runs: cache it (the JVM's jars are read by each JVM).
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /host
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results /results
# The namespace appears once the controller is probed (asynchronously).
i=0
while [ ! -e /dev/ng0n1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mount --bind /dev /host/dev
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
# The guest's writable space is a tmpfs over the host's /run (nothing there matters in the guest); the
# host's /tmp stays visible, as the project may be there.
mount -t tmpfs -o size=256m run /host/run
mkdir -p /host/run/tmp /host/run/rawio-results
mount --bind /results /host/run/rawio-results
chroot /host /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/run/tmp \
  TMPDIR=/run/tmp JAVA_TOOL_OPTIONS=-Djava.io.tmpdir=/run/tmp RAWIO_RESULTS=/run/rawio-results \
  /bin/sh /run/rawio-results/command.sh
echo $? > /results/exit-status
sync
poweroff -f
INIT
  chmod +x "$root/init"
  (cd "$root" && find . | cpio -o -H newc --quiet) > "$initrd.tmp"
  mv "$initrd.tmp" "$initrd"
  rm -rf "$root"
fi

# --- the run ----------------------------------------------------------------------------------------
own_results=""
if [ -z "$results" ]; then
  results=$(mktemp -d /tmp/rawio-qemu-results.XXXXXX)
  own_results=1
fi
mkdir -p "$results"
rm -f "$results/exit-status"
accel=(-accel tcg,thread=multi -cpu max)
accel_name=tcg
if grep -qE '^(kvm_intel|kvm_amd) ' /proc/modules 2>/dev/null && [ -w /dev/kvm ]; then
  accel=(-enable-kvm -cpu host)
  accel_name=kvm
fi
{
  echo "cd /"
  if [ "$accel_name" = tcg ]; then
    # Under TCG a JVM with the JDK's CDS archive spends ~10 s mapping it ("Genesis" in
    # -Xlog:startuptime), from 9p or tmpfs alike; without it java -version takes ~3 s.
    echo 'export JAVA_TOOL_OPTIONS="$JAVA_TOOL_OPTIONS -Xshare:off"'
  fi
  printf '%q ' "${command[@]}"
  echo
} > "$results/command.sh"
disk="$cache/nvme-$$.img"
truncate -s "${disk_mb}M" "$disk"
trap 'rm -f "$disk"; [ -z "$own_results" ] || rm -rf "$results"' EXIT

start=$(date +%s.%N)
status=0
timeout "${RAWIO_QEMU_TIMEOUT:-600}" "$qemu" -nodefaults -no-user-config -nographic -no-reboot \
  -machine q35 "${accel[@]}" -smp "${RAWIO_QEMU_CPUS:-2}" -m "${RAWIO_QEMU_MEM_MB:-1536}" \
  -kernel "$kernel" -initrd "$initrd" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init" \
  -serial stdio \
  -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
  -fsdev local,id=results,path="$results",security_model=none \
  -device virtio-9p-pci,fsdev=results,mount_tag=results \
  -drive file="$disk",if=none,id=nvm,format=raw,cache=unsafe \
  -device nvme,id=nvme0,serial=rawio0,mdts="$mdts" \
  -device nvme-ns,drive=nvm,bus=nvme0,nsid=1,logical_block_size="$lba",physical_block_size="$lba" \
  </dev/null || status=$?
end=$(date +%s.%N)
echo "qemu-nvme: guest ran $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}') s ($accel_name, lba=$lba, mdts=$mdts)" >&2
if [ "$status" = 124 ]; then
  echo "qemu-nvme: timed out after ${RAWIO_QEMU_TIMEOUT:-600} s" >&2
  exit 124
fi
if [ ! -s "$results/exit-status" ]; then
  echo "qemu-nvme: the guest stopped before the command finished (qemu exit $status)" >&2
  exit 125
fi
exit "$(cat "$results/exit-status")"
