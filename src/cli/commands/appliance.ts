import { withDriver } from '../connect.js';
import { printJson } from '../output.js';

export async function info(opts: { to: string; json?: boolean }): Promise<void> {
  const i = await withDriver(opts, (d) => d.info());
  if (opts.json) return printJson(i);
  process.stdout.write(
    [
      `model          ${i.model}`,
      `serial number  ${i.serialNumber}`,
      `firmware       ${i.firmware}`,
      `config id      ${i.configId}`,
      `uptime         ${i.uptimeSeconds}s`,
      `pending        ${i.pendingConfirm === null ? 'nothing to confirm' : `commit reverts in ${i.pendingConfirm}s unless confirmed`}`,
    ].join('\n') + '\n',
  );
}
