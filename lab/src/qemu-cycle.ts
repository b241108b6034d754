/**
 * One lab cycle under QEMU (TCG): firmware → first kernel (loads the capture
 * kernel with kexec -p, keeps devices busy) → sysrq crash → capture kernel →
 * makedumpfile to the NVMe disk. The serial console is read line by line and each
 * line stamped with the host time it arrived, so stages that span both kernels
 * (crash → capture kernel) can be timed; the kernels' own timestamps time the rest.
 */
import { spawn, execFileSync } from 'node:child_process';
import {
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  createWriteStream,
} from 'node:fs';
import { join } from 'node:path';
import {
  captureDrivers,
  captureKernelAppend,
  cycleId,
  LAB_DEVICES,
  type CycleConfig,
} from './cycle-config';

export const LAB_DIR = join(__dirname, '..');
export const CACHE_DIR = join(LAB_DIR, '.cache');
export const IMAGES_DIR = join(CACHE_DIR, 'images');

/** No serial output for this long ends a cycle as a timeout. */
export const IDLE_TIMEOUT_MS = 60_000;

export interface CycleRun {
  id: string;
  /** Stamped serial log: `h+<host ms> | <console line>` per line. */
  log: string;
  /** Bytes the dump disk holds afterwards (allocated blocks of the sparse image). */
  dumpDiskBytes: number;
  timedOut: boolean;
  wallMs: number;
}

/** Writes a newc cpio archive of `entries` (paths relative to `root`), with the cpio tool. */
function cpioArchive(root: string, entries: string[]): Buffer {
  return execFileSync('cpio', ['-o', '-H', 'newc', '--quiet'], {
    cwd: root,
    input: entries.join('\n') + '\n',
    maxBuffer: 256 * 1024 * 1024,
  });
}

function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/**
 * Builds this cycle's initramfs images: the cached base images with a small
 * uncompressed archive in front that holds /etc/lab.conf (and, for the first
 * kernel, the capture kernel's initramfs).
 */
function cycleImages(c: CycleConfig, work: string): string {
  const conf = [
    `LAB_DRIVERS=${shellQuote(captureDrivers(c).join(' '))}`,
    `LAB_DUMP_LEVEL=${c.dumpLevel}`,
    `LAB_BUSY=${c.busyAtCrash ? 1 : 0}`,
    `LAB_STRAY_DMA=${c.strayDma ? 1 : 0}`,
    `LAB_CAPTURE_APPEND=${shellQuote(captureKernelAppend(c))}`,
    '',
  ].join('\n');
  const root = join(work, 'conf');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'boot'), { recursive: true });
  writeFileSync(join(root, 'etc', 'lab.conf'), conf);
  const captureImg = Buffer.concat([
    cpioArchive(root, ['etc', 'etc/lab.conf']),
    readFileSync(join(IMAGES_DIR, 'capture.cpio.gz')),
  ]);
  writeFileSync(join(root, 'boot', 'capture.img'), captureImg);
  const firstImg = Buffer.concat([
    cpioArchive(root, ['etc', 'etc/lab.conf', 'boot', 'boot/capture.img']),
    readFileSync(join(IMAGES_DIR, 'first.cpio.gz')),
  ]);
  const path = join(work, 'first.img');
  writeFileSync(path, firstImg);
  return path;
}

/** QEMU's command line for one cycle. */
export function qemuArgs(c: CycleConfig, work: string, initrd: string): string[] {
  const args = [
    '-machine',
    'q35',
    '-accel',
    'tcg',
    '-m',
    `${c.ramGiB}G`,
    '-smp',
    '1',
    '-nodefaults',
    '-display',
    'none',
    '-no-reboot',
    '-serial',
    'stdio',
    '-kernel',
    join(IMAGES_DIR, 'vmlinuz'),
    '-initrd',
    initrd,
    '-append',
    `console=ttyS0 crashkernel=${c.crashkernelMiB}M${c.strayDma ? '@128M nokaslr' : ''} quiet panic=1`,
    '-drive',
    `if=none,id=dump,file=${join(work, 'dump.raw')},format=raw`,
    '-device',
    `nvme,drive=dump,serial=labdump,addr=0x${LAB_DEVICES.nvme.pciAddr}`,
  ];
  if (c.devices.includes('megasas')) {
    args.push(
      '-device',
      `megasas-gen2,id=scsi0,addr=0x${LAB_DEVICES.megasas.pciAddr}`,
      '-drive',
      `if=none,id=sd0,file=${join(work, 'sd.raw')},format=raw`,
      '-device',
      'scsi-hd,drive=sd0,bus=scsi0.0',
    );
  }
  if (c.devices.includes('e1000e')) {
    args.push(
      '-netdev',
      'user,id=n0',
      '-device',
      `e1000e,netdev=n0,addr=0x${LAB_DEVICES.e1000e.pciAddr}`,
    );
  }
  if (c.devices.includes('virtio-net')) {
    args.push(
      '-netdev',
      'user,id=n1',
      '-device',
      `virtio-net-pci,netdev=n1,addr=0x${LAB_DEVICES['virtio-net'].pciAddr}`,
    );
  }
  if (c.strayDma) {
    args.push('-device', 'edu,addr=0x09');
  }
  if (c.devices.includes('xhci')) {
    args.push('-device', `qemu-xhci,addr=0x${LAB_DEVICES.xhci.pciAddr}`);
  }
  return args;
}

/**
 * Runs one cycle and resolves when QEMU exits (the capture kernel reboots after
 * the dump, or a kernel panics with panic=1; -no-reboot turns both into an exit)
 * or the hard timeout kills it.
 */
export async function runCycle(
  c: CycleConfig,
  opts: { timeoutMs: number; logPath: string },
): Promise<CycleRun> {
  const id = cycleId(c);
  const work = join(CACHE_DIR, 'run', id);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  // Sparse disks: the dump disk holds a 2 GiB level-1 dump with room to spare.
  writeFileSync(join(work, 'dump.raw'), '');
  execFileSync('truncate', ['-s', `${c.ramGiB + 2}G`, join(work, 'dump.raw')]);
  execFileSync('truncate', ['-s', '256M', join(work, 'sd.raw')]);
  const initrd = cycleImages(c, work);

  const started = process.hrtime.bigint();
  const hostMs = () => Number(process.hrtime.bigint() - started) / 1e6;
  const out = createWriteStream(opts.logPath);
  const lines: string[] = [];
  let pending = '';
  const child = spawn('qemu-system-x86_64', qemuArgs(c, work, initrd), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const onData = (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = `h+${hostMs().toFixed(1)} | ${pending.slice(0, nl).replace(/\r$/, '')}`;
      lines.push(line);
      out.write(line + '\n');
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
    }
  };
  child.stdout.on('data', onData);
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs);
  // A hang after the panic prints nothing more: stop waiting after a silent
  // minute rather than the whole timeout (no healthy stage is that quiet).
  let lastOutput = hostMs();
  child.stdout.on('data', () => (lastOutput = hostMs()));
  const idle = setInterval(() => {
    if (hostMs() - lastOutput > IDLE_TIMEOUT_MS) {
      timedOut = true;
      child.kill('SIGKILL');
    }
  }, 1000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (exitCode) => resolve(exitCode));
  });
  clearTimeout(timer);
  clearInterval(idle);
  if (pending) {
    lines.push(`h+${hostMs().toFixed(1)} | ${pending}`);
  }
  if (timedOut) {
    const line = `h+${hostMs().toFixed(1)} | LAB: host-timeout (limit ${opts.timeoutMs} ms, or ${IDLE_TIMEOUT_MS} ms without output): QEMU killed`;
    lines.push(line);
    out.write(line + '\n');
  } else if (code !== 0) {
    // QEMU itself gave up (a triple fault, say): an outcome of the cycle, kept in the log.
    const why = stderr.trim().split('\n')[0] ?? '';
    const line = `h+${hostMs().toFixed(1)} | LAB: qemu-exit code=${code} ${why}`;
    lines.push(line);
    out.write(line + '\n');
  }
  await new Promise<void>((resolve) => out.end(resolve));
  const dumpDiskBytes = statSync(join(work, 'dump.raw')).blocks * 512;
  rmSync(work, { recursive: true, force: true });
  return { id, log: lines.join('\n') + '\n', dumpDiskBytes, timedOut, wallMs: hostMs() };
}
