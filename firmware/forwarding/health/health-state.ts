/**
 * The rise/fall state machine of one backend, as operators know it from HAProxy and
 * keepalived: `fall` consecutive failed probes take an up backend down, `rise` consecutive
 * good probes bring a down backend back. A backend starts up, so traffic flows from the first
 * second and a dead backend is found within fall × interval + timeout.
 */
export class HealthState {
  private successes = 0;
  private failures = 0;
  up = true;

  constructor(
    readonly rise: number,
    readonly fall: number,
  ) {}

  /** Records one probe outcome; returns the new state when it changed, else null. */
  observe(ok: boolean): 'up' | 'down' | null {
    if (ok) {
      this.failures = 0;
      this.successes++;
      if (!this.up && this.successes >= this.rise) {
        this.up = true;
        this.successes = 0;
        return 'up';
      }
    } else {
      this.successes = 0;
      this.failures++;
      if (this.up && this.failures >= this.fall) {
        this.up = false;
        this.failures = 0;
        return 'down';
      }
    }
    return null;
  }
}
