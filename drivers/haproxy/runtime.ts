/**
 * HAProxy's runtime API as the driver uses it, over either kind of socket: the master CLI
 * (`-W -S`), where worker commands go prefixed with `@1` (the current worker) and `reload` and
 * `show proc` are the master's own; or a worker's stats socket (`stats socket … level admin`),
 * which takes worker commands directly and cannot reload.
 *
 * Invariant: a command HAProxy refuses becomes DriverError('refused') carrying HAProxy's own
 * answer and naming the socket and the command; an answer is never taken for success by accident.
 */

import { DriverError } from '../driver.js';
import { exchange } from './socket.js';
import { describeSocket, type SocketAddress } from './target.js';

export type SocketKind = 'master' | 'stats';

/** The first words of HAProxy's answers to a command it does not know or may not run. */
const REFUSALS = [/^Unknown command/, /^Permission denied/, /^No such/, /^Require /, /^'set server'/, /^Absolute weight/, /^Relative weight/];

export class RuntimeApi {
  private constructor(
    private readonly socket: SocketAddress,
    readonly kind: SocketKind,
    private readonly timeoutMs: number,
  ) {}

  /** Connects once to learn which kind of socket it is: the master answers `show proc`, a worker does not. */
  static async open(socket: SocketAddress, timeoutMs: number): Promise<RuntimeApi> {
    const answer = await exchange(socket, 'show proc', timeoutMs);
    if (answer.startsWith('#<PID>')) return new RuntimeApi(socket, 'master', timeoutMs);
    const api = new RuntimeApi(socket, 'stats', timeoutMs);
    const info = await api.worker('show info');
    if (!/^Name: HAProxy$/m.test(info)) {
      throw new DriverError(
        'unreachable',
        `${describeSocket(socket)} does not answer as HAProxy's CLI ("show info" gave ${JSON.stringify(info.slice(0, 80))})`,
      );
    }
    return api;
  }

  get where(): string {
    return describeSocket(this.socket);
  }

  /** A command for the current worker; a refusal throws with HAProxy's answer. */
  async worker(command: string): Promise<string> {
    const sent = this.kind === 'master' ? `@1 ${command}` : command;
    return this.checked(sent, await exchange(this.socket, sent, this.timeoutMs));
  }

  /**
   * A `set …` command for the current worker: HAProxy answers success with nothing, so any text
   * is its reason for not doing it.
   */
  async set(command: string): Promise<void> {
    const sent = this.kind === 'master' ? `@1 ${command}` : command;
    const answer = (await exchange(this.socket, sent, this.timeoutMs)).trim();
    if (answer !== '') throw this.refusal(sent, answer);
  }

  /** A command of the master itself (`show proc`, `reload`). */
  async master(command: string, timeoutMs = this.timeoutMs): Promise<string> {
    if (this.kind !== 'master') {
      throw new DriverError(
        'refused',
        `${this.where} is a worker's stats socket: "${command}" needs HAProxy's master CLI (start HAProxy with -W -S SOCKET and use haproxy:///SOCKET or haproxy://HOST:PORT of that socket)`,
        'unsupported',
      );
    }
    return this.checked(command, await exchange(this.socket, command, timeoutMs));
  }

  private checked(command: string, answer: string): string {
    const first = answer.trimStart().split('\n', 1)[0] ?? '';
    if (REFUSALS.some((r) => r.test(first))) throw this.refusal(command, answer.trim());
    return answer;
  }

  private refusal(command: string, answer: string): DriverError {
    // "Unknown command" comes with a list of suggestions: the first line is the reason.
    const reason = answer.split('\n', 1)[0]!.trim();
    return new DriverError('refused', `HAProxy at ${this.where} refused "${command}": ${reason}`, 'applyFailed');
  }
}
