#!/usr/bin/env bash
# Builds the kdump lab's images from Debian packages, without installing a kernel:
#   lab/.cache/images/vmlinuz        the Debian kernel (first and capture kernel alike)
#   lab/.cache/images/first.cpio.gz  first kernel's busybox initramfs: loads the capture
#                                    kernel with `kexec -p`, keeps devices busy, crashes
#                                    through /proc/sysrq-trigger
#   lab/.cache/images/capture.cpio.gz capture kernel's initramfs: probes the drivers one by
#                                    one, runs makedumpfile to the NVMe disk
# Everything lives under lab/.cache (gitignored). Re-running is a no-op unless
# LAB_REBUILD=1 or this script changed.
set -euo pipefail

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="$LAB_DIR/.cache"
IMAGES="$CACHE/images"
STAMP="$IMAGES/.stamp"
SELF_SUM="$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"

if [ "${LAB_REBUILD:-0}" != 1 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SELF_SUM" ]; then
  echo "lab images up to date in $IMAGES"
  exit 0
fi

need_pkgs=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || need_pkgs+=(qemu-system-x86)
command -v qemu-img >/dev/null 2>&1 || need_pkgs+=(qemu-utils)
command -v cpio >/dev/null 2>&1 || need_pkgs+=(cpio)
command -v strings >/dev/null 2>&1 || need_pkgs+=(binutils)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

KPKG="$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')"
if [ -z "$KPKG" ]; then
  echo "cannot find the Debian kernel package behind linux-image-amd64 (apt-get update?)" >&2
  exit 1
fi
PKGS=("$KPKG" kexec-tools makedumpfile busybox-static libdw1 libelf1 liblzo2-2
  libxenmisc4.17 libxentoollog1 libxencall1 libxenevtchn1 libxengnttab1
  libxenforeignmemory1 libxendevicemodel1 libxenstore4 libxentoolcore1 libyajl2)

mkdir -p "$CACHE/debs" "$IMAGES"
(
  cd "$CACHE/debs"
  missing=()
  for p in "${PKGS[@]}"; do
    ls "${p}"_*.deb >/dev/null 2>&1 || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "apt-get download ${missing[*]}"
    apt-get download "${missing[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
  fi
)

ROOT="$CACHE/root"
rm -rf "$ROOT"
mkdir -p "$ROOT"
for d in "$CACHE"/debs/*.deb; do
  dpkg -x "$d" "$ROOT"
done
KVER="$(ls "$ROOT/lib/modules" | head -n1)"
MODDIR="$ROOT/lib/modules/$KVER"
cp "$ROOT/boot/vmlinuz-$KVER" "$IMAGES/vmlinuz"
echo "$KVER" >"$IMAGES/kernel-version"

# --- modules: the drivers of the lab's devices, with their dependencies in load order
declare -A SEEN=()
ORDER=()
resolve() {
  local m="$1" f deps dep
  [ -n "${SEEN[$m]:-}" ] && return 0
  SEEN[$m]=1
  f="$(find "$MODDIR" -name "$m.ko" -print -quit)"
  if [ -z "$f" ]; then
    f="$(find "$MODDIR" -name "${m//_/-}.ko" -print -quit)"
  fi
  if [ -z "$f" ]; then
    echo "module $m not found in $MODDIR" >&2
    exit 1
  fi
  deps="$(strings -a "$f" | sed -n 's/^depends=//p' | head -n1)"
  for dep in ${deps//,/ }; do
    resolve "$dep"
  done
  ORDER+=("$(basename "$f" .ko)")
}

# One line per driver the capture kernel probes: <name>:<module list in load order>.
DRIVERS=(nvme megaraid_sas e1000e virtio_net xhci_pci)
declare -A DRIVER_MODULES=()
for drv in "${DRIVERS[@]}"; do
  ORDER=()
  SEEN=()
  case "$drv" in
    nvme) resolve nvme ;;
    megaraid_sas) resolve megaraid_sas && resolve sd_mod ;;
    e1000e) resolve e1000e ;;
    virtio_net) resolve virtio_pci && resolve virtio_net ;;
    xhci_pci) resolve xhci-pci ;;
  esac
  DRIVER_MODULES[$drv]="${ORDER[*]}"
done

# --- shared libraries of kexec and makedumpfile
copy_libs() {
  local bin="$1" dest="$2" line lib
  while read -r line; do
    case "$line" in
      *"not found"*)
        echo "library missing for $bin: $line" >&2
        exit 1
        ;;
    esac
    lib="$(echo "$line" | awk '{ if ($2 == "=>") print $3; else if ($1 ~ /^\//) print $1 }')"
    if [ -n "$lib" ] && [ -f "$lib" ]; then
      mkdir -p "$dest/lib/x86_64-linux-gnu"
      cp -L "$lib" "$dest/lib/x86_64-linux-gnu/"
    fi
  done < <(LD_LIBRARY_PATH="$ROOT/lib/x86_64-linux-gnu:$ROOT/usr/lib/x86_64-linux-gnu" ldd "$bin")
  mkdir -p "$dest/lib64"
  cp -L /lib64/ld-linux-x86-64.so.2 "$dest/lib64/"
}

skeleton() {
  local dir="$1"
  rm -rf "$dir"
  mkdir -p "$dir"/{bin,sbin,etc,proc,sys,dev,tmp,lib/modules,boot}
  cp "$ROOT/bin/busybox" "$dir/bin/busybox"
  for applet in sh mount echo cat sleep dd insmod ls reboot poweroff seq grep sed tr wc \
    head tail cut cp nc ip devmem sort printf od ifconfig ping date sync mkdir true false test '['; do
    ln -sf busybox "$dir/bin/$applet"
  done
  for m in $(for drv in "${DRIVERS[@]}"; do echo "${DRIVER_MODULES[$drv]}"; done); do
    cp "$(find "$MODDIR" -name "$m.ko" -print -quit)" "$dir/lib/modules/"
  done
  : >"$dir/etc/drivers"
  for drv in "${DRIVERS[@]}"; do
    echo "$drv:${DRIVER_MODULES[$drv]// /,}" >>"$dir/etc/drivers"
  done
}

# Helpers both inits share: marks on the kernel log (so they carry kernel
# timestamps) and loading a driver by its lab name.
COMMON='
mark() { echo "<2>LAB: $*" > /dev/kmsg; }
memfree() { sed -n "s/^MemFree: *\([0-9]*\).*/\1/p" /proc/meminfo; }
load_driver() {
  mods=$(grep "^$1:" /etc/drivers | cut -d: -f2 | tr , " ")
  for m in $mods; do
    [ -d "/sys/module/$(echo $m | tr - _)" ] && continue
    insmod "/lib/modules/$m.ko" || return 1
  done
}
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
[ -f /etc/lab.conf ] && . /etc/lab.conf
'

# --- capture kernel initramfs
CAP="$CACHE/capture-root"
skeleton "$CAP"
cp "$ROOT/usr/bin/makedumpfile" "$CAP/bin/"
copy_libs "$ROOT/usr/bin/makedumpfile" "$CAP"
cat >"$CAP/init" <<EOF
#!/bin/sh
$COMMON
mark capture-kernel-up mem_total_kb=\$(grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2)
for drv in \${LAB_DRIVERS:-nvme}; do
  mark probe-start \$drv memfree_kb=\$(memfree)
  if load_driver \$drv; then rc=0; else rc=1; fi
  sleep 0.2
  mark probe-end \$drv rc=\$rc memfree_kb=\$(memfree)
done
for _ in \$(seq 1 100); do [ -b /dev/nvme0n1 ] && break; sleep 0.1; done
if [ ! -b /dev/nvme0n1 ]; then
  mark FAIL dump-target-missing
  reboot -f
fi
mark dump-start level=\${LAB_DUMP_LEVEL:-31}
set -o pipefail
if makedumpfile -F -d \${LAB_DUMP_LEVEL:-31} /proc/vmcore 2>/tmp/mdf.err | dd of=/dev/nvme0n1 bs=1M 2>/tmp/dd.err; then
  mark dump-end rc=0
  while read -r l; do mark dd: \$l; done < /tmp/dd.err
else
  mark dump-end rc=1
  while read -r l; do mark makedumpfile: \$l; done < /tmp/mdf.err
fi
sync
reboot -f
EOF
chmod +x "$CAP/init"
(cd "$CAP" && find . | cpio -o -H newc --quiet | gzip -1) >"$IMAGES/capture.cpio.gz"

# --- first kernel initramfs
FIRST="$CACHE/first-root"
skeleton "$FIRST"
cp "$ROOT/sbin/kexec" "$FIRST/sbin/"
copy_libs "$ROOT/sbin/kexec" "$FIRST"
cp "$IMAGES/vmlinuz" "$FIRST/boot/vmlinuz"
cat >"$FIRST/init" <<EOF
#!/bin/sh
$COMMON
mark first-kernel-up
for drv in \${LAB_DRIVERS:-nvme}; do load_driver \$drv || mark first-kernel load \$drv failed; done
# NIC links come up while kexec loads (e1000e negotiates for a few seconds).
for nic in \$(ls /sys/class/net | grep -v '^lo\$'); do
  ip link set \$nic up
  ip addr add 10.0.2.15/24 dev \$nic 2>/dev/null
done
# The runner adds /boot/capture.img: the capture initramfs plus this cycle's /etc/lab.conf.
mark kexec-load-start
# -d: the segment table (where kexec put the capture kernel) goes to stderr too.
if kexec -d -p /boot/vmlinuz --initrd=/boot/capture.img --append="\$LAB_CAPTURE_APPEND" >/dev/null 2>/tmp/kexec.dbg; then
  mark kexec-load-end rc=0 crash_size=\$(cat /sys/kernel/kexec_crash_size)
else
  mark kexec-load-end rc=1 crash_size=\$(cat /sys/kernel/kexec_crash_size)
  grep -i 'could not\|not reserved\|error\|failed\|cannot\|please' /tmp/kexec.dbg | while read -r l; do mark kexec: \$l; done
  mark FAIL kexec-load
  poweroff -f
fi
if [ "\${LAB_BUSY:-0}" = 1 ]; then
  # Keep disks and NICs busy so the crash hits I/O and DMA in flight.
  for dev in /dev/nvme0n1 /dev/sda; do
    [ -b \$dev ] || continue
    ( while :; do dd if=\$dev of=/dev/null bs=256k count=4096 iflag=direct 2>/dev/null; done ) &
  done
  # Writes only to the SCSI disk: the NVMe disk is the dump target, read from only.
  if [ -b /dev/sda ]; then
    ( while :; do dd if=/dev/zero of=/dev/sda bs=64k count=256 oflag=direct 2>/dev/null; done ) &
  fi
  # Adaptive pings (-A: the next as soon as the reply is in) keep TX and RX DMA going.
  for nic in \$(ls /sys/class/net | grep -v '^lo\$'); do
    for _ in 1 2 3 4; do ping -A -q -s 1400 -I \$nic 10.0.2.2 >/dev/null 2>&1 & done
  done
  sleep \${LAB_BUSY_SECONDS:-3}
  mark busy load=\$(cut -d' ' -f1 /proc/loadavg)
  for nic in \$(ls /sys/class/net | grep -v '^lo\$'); do
    mark busy-nic \$nic tx_packets=\$(cat /sys/class/net/\$nic/statistics/tx_packets) rx_packets=\$(cat /sys/class/net/\$nic/statistics/rx_packets)
  done
  for b in nvme0n1 sda; do
    [ -f /sys/block/\$b/inflight ] && mark busy-disk \$b inflight=\$(cat /sys/block/\$b/inflight | tr -s ' ' | sed 's/^ //; s/ /,/')
  done
fi
if [ "\${LAB_STRAY_DMA:-0}" = 1 ]; then
  # QEMU's edu device (1234:11e8), no driver: enable memory decoding and bus
  # mastering in its PCI command register (sysfs config, device 00:09.0), raise
  # its interrupt (INTx, never acknowledged) and start a 2 KiB DMA from the device
  # into the middle of the largest segment kexec loaded (its bytes, which purgatory
  # checks) in the reservation. The
  # DMA lands 100 ms later, before the crash: nothing of the first kernel lives
  # in the reservation, so only a device can change the loaded capture kernel.
  printf '\006\000' | dd of=/sys/bus/pci/devices/0000:00:09.0/config bs=1 seek=4 count=2 conv=notrunc 2>/dev/null
  bar=\$(head -n1 /sys/bus/pci/devices/0000:00:09.0/resource | cut -d' ' -f1)
  seg=0
  best=0
  for i in \$(sed -n 's/^segment\[\([0-9]*\)\]\.bufsz.*/\1/p' /tmp/kexec.dbg); do
    sz=\$(sed -n "s/^segment\[\$i\]\.bufsz *= *\(0x[0-9a-f]*\).*/\1/p" /tmp/kexec.dbg)
    if [ \$((sz)) -gt \$best ]; then best=\$((sz)); seg=\$i; fi
  done
  mem=\$(sed -n "s/^segment\[\$seg\]\.mem *= *\(0x[0-9a-f]*\).*/\1/p" /tmp/kexec.dbg)
  size=\$(sed -n "s/^segment\[\$seg\]\.bufsz *= *\(0x[0-9a-f]*\).*/\1/p" /tmp/kexec.dbg)
  dst=\$(printf '0x%x' \$(( (mem + size / 2) & ~4095 )))
  mark stray-dma edu_bar=\$bar segment=\$seg mem=\$mem bufsz=\$size dst=\$dst
  devmem \$(printf '0x%x' \$((bar + 0x60))) 32 1
  devmem \$(printf '0x%x' \$((bar + 0x80))) 64 0x40000
  devmem \$(printf '0x%x' \$((bar + 0x88))) 64 \$dst
  devmem \$(printf '0x%x' \$((bar + 0x90))) 64 2048
  devmem \$(printf '0x%x' \$((bar + 0x98))) 64 3
  sleep 0.3
  mark stray-dma-done pci_command=0x\$(dd if=/sys/bus/pci/devices/0000:00:09.0/config bs=1 skip=4 count=1 2>/dev/null | od -An -tx1 | tr -d ' ') dma_cmd=\$(devmem \$(printf '0x%x' \$((bar + 0x98))) 32) irq_status=\$(devmem \$(printf '0x%x' \$((bar + 0x24))) 32)
fi
mark crash
echo c > /proc/sysrq-trigger
EOF
chmod +x "$FIRST/init"
(cd "$FIRST" && find . | cpio -o -H newc --quiet | gzip -1) >"$IMAGES/first.cpio.gz"

ls -la "$IMAGES"
echo "$SELF_SUM" >"$STAMP"
