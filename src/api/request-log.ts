/**
 * Request URLs as the logs show them: never with a secret. The live stream takes its token in
 * the query (EventSource sends no headers), so a stream's query is never logged at all; any other
 * query is decoded as the router decodes it before `token` is looked for, so `tok%65n=` (which
 * the router reads as `token=`) is redacted as well.
 */

const REDACTED = '[redacted]';

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    // Malformed escapes: the router keeps them as they are, and so does this.
    return text;
  }
}

export function urlForLog(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const path = url.slice(0, q);
  if (/\/stream\/?$/i.test(decode(path))) return path;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = decode(eq < 0 ? pair : pair.slice(0, eq));
      return /token/i.test(key) ? `${key}=${REDACTED}` : pair;
    })
    .join('&');
  return `${path}?${query}`;
}
