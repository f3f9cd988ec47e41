/**
 * A yes/no question to the operator at a terminal, for the few operations that would otherwise
 * be refused (a destructive plan). Only asked when someone can answer: standard input and error
 * are terminals, and standard input is not carrying the input itself (`-`). Anything but "y" or
 * "yes" is no, so Enter alone, end of input and Ctrl-C never go ahead.
 */
import { createInterface } from 'node:readline/promises';

/** Whether a question can be asked; `inputFile` is the command's input ('-' is standard input). */
export function canAsk(inputFile?: string): boolean {
  return inputFile !== '-' && process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/** Writes `question` and " (y/N) " to stderr and reads one line. */
export async function askYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const closed = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
    // Ctrl-C at the question is a no (readline would otherwise only pause, and wait forever).
    rl.once('SIGINT', () => rl.close());
    const answer = await Promise.race([rl.question(`${question} (y/N) `), closed]);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}
