/**
 * Runs async operations one at a time, in call order. Every operation of the configuration
 * database reads state, awaits `apply` and storage, then writes state: two of them interleaved
 * would each build on a state the other is replacing.
 */
export class OperationQueue {
  private tail: Promise<void> = Promise.resolve();

  run<T>(op: () => Promise<T>): Promise<T> {
    const result = this.tail.then(op);
    // The next operation waits for this one to settle, whatever its outcome.
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Resolves once no operation is queued or running (including ones queued while waiting). */
  async idle(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.tail;
      await seen;
    } while (seen !== this.tail);
  }
}
