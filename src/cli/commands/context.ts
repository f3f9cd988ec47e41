/** `fulcrum context add | use | list | remove`: the remote agents the CLI can work against (src/cli/contexts.ts). */
import { checkContext, contextsFile, readContexts, writeContexts } from '../contexts.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, table } from '../output.js';

export function add(name: string, opts: { server: string; tokenFile: string; fingerprint?: string; ca?: string; insecureHttp?: boolean; use?: boolean }): void {
  if (!/^[A-Za-z0-9][\w.-]{0,62}$/.test(name)) throw new CliError(`context name "${name}": letters, digits, . _ - (up to 63)`, EXIT.usage);
  const context = checkContext(opts, opts.insecureHttp === true);
  const file = readContexts();
  file.contexts[name] = context;
  if (opts.use) file.current = name;
  writeContexts(file);
  console.log(
    `context ${name}: ${context.server}${context.fingerprint ? ` (certificate pinned)` : context.ca ? ' (CA file)' : ''}${opts.use ? ', now current' : ''}`,
  );
}

export function use(name: string | undefined, opts: { local?: boolean }): void {
  const file = readContexts();
  if (opts.local || name === undefined) {
    if (!opts.local) throw new CliError('context use: name a context, or --local for this machine', EXIT.usage);
    delete file.current;
    writeContexts(file);
    console.log('commands work on this machine again');
    return;
  }
  if (!file.contexts[name]) throw new CliError(`context "${name}" is not defined (fulcrum context list)`, EXIT.usage);
  file.current = name;
  writeContexts(file);
  console.log(`commands go to ${name} (${file.contexts[name].server}) unless --context or --direct says otherwise`);
}

export function list(opts: { json?: boolean }): void {
  const file = readContexts();
  const rows = Object.entries(file.contexts).map(([name, c]) => ({ name, current: file.current === name, ...c }));
  if (opts.json) return printJson({ file: contextsFile(), current: file.current ?? null, contexts: rows });
  if (rows.length === 0) return console.log('no contexts: commands work on this machine (fulcrum context add NAME --server URL --token-file FILE)');
  console.log(
    table(
      ['', 'name', 'server', 'trust', 'token file'],
      rows.map((r) => [r.current ? '*' : '', r.name, r.server, r.fingerprint ? 'pinned' : r.ca ? `CA ${r.ca}` : 'system CAs', r.tokenFile]),
    ),
  );
}

export function remove(name: string): void {
  const file = readContexts();
  if (!file.contexts[name]) throw new CliError(`context "${name}" is not defined (fulcrum context list)`, EXIT.usage);
  delete file.contexts[name];
  if (file.current === name) delete file.current;
  writeContexts(file);
  console.log(`context ${name} removed`);
}
