/**
 * One lab cycle's settings: what the first kernel reserves, what the capture
 * kernel is told, which emulated devices the machine has and what they are
 * doing when the crash hits.
 */

/** Emulated PCI devices of the lab machine, each probed by one Linux driver. */
export const LAB_DEVICES = {
  nvme: { driver: 'nvme', pciAddr: '04', qemu: 'nvme' },
  megasas: { driver: 'megaraid_sas', pciAddr: '05', qemu: 'megasas-gen2' },
  e1000e: { driver: 'e1000e', pciAddr: '06', qemu: 'e1000e' },
  'virtio-net': { driver: 'virtio_net', pciAddr: '07', qemu: 'virtio-net-pci' },
  xhci: { driver: 'xhci_pci', pciAddr: '08', qemu: 'qemu-xhci' },
} as const;

export type LabDevice = keyof typeof LAB_DEVICES;

/** Every device, in the order the capture kernel probes them (the dump target first). */
export const ALL_LAB_DEVICES: LabDevice[] = ['nvme', 'megasas', 'e1000e', 'virtio-net', 'xhci'];

export interface CycleConfig {
  /** crashkernel= reservation of the first kernel. */
  crashkernelMiB: number;
  /** reset_devices on the capture kernel command line. */
  resetDevices: boolean;
  /** irqpoll on the capture kernel command line. */
  irqpoll: boolean;
  /** Emulated devices; the NVMe disk (the dump target) is always there. */
  devices: LabDevice[];
  /** Disk reads and writes and NIC traffic running when the crash hits. */
  busyAtCrash: boolean;
  /** makedumpfile -d level (1: zero pages out, 31: everything but kernel data out). */
  dumpLevel: number;
  /** Guest memory. */
  ramGiB: number;
  /**
   * QEMU's edu device, left without a driver, raises an interrupt nobody
   * acknowledges and DMAs 4 KiB into the loaded capture kernel just as the crash
   * hits (the reservation is placed at 128M so edu's 28-bit DMA reaches it).
   */
  strayDma?: boolean;
}

export const DEFAULT_CYCLE: CycleConfig = {
  crashkernelMiB: 128,
  resetDevices: true,
  irqpoll: true,
  devices: ALL_LAB_DEVICES,
  busyAtCrash: true,
  dumpLevel: 31,
  ramGiB: 2,
};

/** A stable file name for a configuration, e.g. `ck128-rd1-irq1-busy1-d31-ram2-5dev`. */
export function cycleId(c: CycleConfig): string {
  return [
    `ck${c.crashkernelMiB}`,
    `rd${c.resetDevices ? 1 : 0}`,
    `irq${c.irqpoll ? 1 : 0}`,
    `busy${c.busyAtCrash ? 1 : 0}`,
    `d${c.dumpLevel}`,
    `ram${c.ramGiB}`,
    c.devices.length === ALL_LAB_DEVICES.length ? 'alldev' : c.devices.join('+'),
    ...(c.strayDma ? ['straydma'] : []),
  ].join('-');
}

/** The capture kernel's command line (kdump-tools/kdump-utils style, plus initcall_debug). */
export function captureKernelAppend(c: CycleConfig): string {
  return [
    'console=ttyS0',
    'nr_cpus=1',
    'panic=1',
    'ignore_loglevel',
    'initcall_debug',
    ...(c.resetDevices ? ['reset_devices'] : []),
    ...(c.irqpoll ? ['irqpoll'] : []),
  ].join(' ');
}

/** Drivers the capture kernel loads, in probe order. */
export function captureDrivers(c: CycleConfig): string[] {
  return ALL_LAB_DEVICES.filter((d) => d === 'nvme' || c.devices.includes(d)).map(
    (d) => LAB_DEVICES[d].driver,
  );
}
