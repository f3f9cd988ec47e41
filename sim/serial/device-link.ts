import { renameSync, rmSync, symlinkSync } from 'node:fs';

/**
 * A stable name for a console whose PTY path changes at every start (/dev/pts/N is the
 * kernel's choice), as udev gives a USB serial adapter /dev/serial/by-id/…: the agent keeps
 * opening the same path across simulator restarts. Replaced atomically (new link, rename).
 */
export function linkDevice(linkPath: string, devicePath: string): void {
  const temp = `${linkPath}.tmp-${process.pid}`;
  rmSync(temp, { force: true });
  symlinkSync(devicePath, temp);
  renameSync(temp, linkPath);
}
