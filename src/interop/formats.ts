/** The configuration formats Fulcrum reads and writes besides its own rule tables. */

export const FORMATS = ['haproxy', 'keepalived', 'nginx'] as const;
export type Format = (typeof FORMATS)[number];

/** How the format is named in messages. */
export const FORMAT_LABELS: Record<Format, string> = {
  haproxy: 'HAProxy',
  keepalived: 'keepalived',
  nginx: 'nginx',
};

export function isFormat(value: unknown): value is Format {
  return typeof value === 'string' && (FORMATS as readonly string[]).includes(value);
}
