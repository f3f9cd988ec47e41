import { configId } from '../../protocol/rules/index.js';
import { loadRules, ruleDocument, RulesError, ruleTableJsonSchema } from '../../rules/index.js';
import { readFileSync } from 'node:fs';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, table } from '../output.js';
import { readRules } from '../rules-input.js';

export function validate(file: string, opts: { json?: boolean }): void {
  if (opts.json) return validateJson(file);
  const rules = readRules(file);
  const backends = rules.services.reduce((n, s) => n + s.backends.length, 0);
  process.stdout.write(`${file}: valid: ${rules.services.length} service(s), ${backends} backend(s)\nconfig id ${configId(rules)}\n`);
  if (rules.services.length === 0) return;
  const rows = rules.services.map((s) => [
    s.name,
    s.listen,
    s.protocol,
    s.algorithm,
    s.backends.length,
    s.health ? `${s.health.type} every ${s.health.intervalMs}ms` : 'none',
  ]);
  process.stdout.write(`${table(['service', 'listen', 'proto', 'algorithm', 'backends', 'health'], rows, [4])}\n`);
}

/** With --json the verdict is on stdout either way, so scripts need not parse stderr. */
function validateJson(file: string): void {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(`${file}: cannot read: ${(err as Error).message}`, EXIT.invalidInput);
  }
  try {
    const rules = loadRules(text, file === '-' ? '<stdin>' : file);
    printJson({
      valid: true,
      configId: configId(rules),
      services: rules.services.length,
      backends: rules.services.reduce((n, s) => n + s.backends.length, 0),
      // In the dialect rule files are written in, so it can be fed back (rules push, rules id).
      rules: ruleDocument(rules),
    });
  } catch (err) {
    if (!(err instanceof RulesError)) throw err;
    printJson({ valid: false, errors: err.errors });
    process.exitCode = EXIT.invalidInput;
  }
}

export function id(file: string, opts: { json?: boolean }): void {
  const rules = readRules(file);
  const value = configId(rules);
  if (opts.json) printJson({ configId: value });
  else process.stdout.write(`${value}\n`);
}

export function schema(): void {
  process.stdout.write(`${JSON.stringify(ruleTableJsonSchema(), null, 2)}\n`);
}
