/** The simulator's end of a serial console line: a real PTY paced to a baud rate, with optional noise. */
export { SerialLine, type SerialLineOptions, type SerialLineStats } from './line.js';
export { openPtyPair, type PtyPair } from './pty.js';
export type { NoiseSettings } from './noise.js';
