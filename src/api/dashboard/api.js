// The agent's API as the dashboard uses it: the token, JSON requests, and the live stream.

const TOKEN_KEY = 'fulcrum.token';
const BASE = '/api/v1';

/** Thrown for an answer other than 2xx; `code` is the API's error code. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A token given as ?token= wins (and leaves the address bar); else the one kept in this browser. */
export function initialToken() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    localStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url);
    return fromUrl;
  }
  return localStorage.getItem(TOKEN_KEY);
}

export function saveToken(token) {
  localStorage.setItem(TOKEN_KEY, token);
}

export class Api {
  constructor(token) {
    this.token = token;
  }

  get(path) {
    return this.request('GET', path);
  }

  /** A change: the agent plans, checks and audits it as it does the CLI's. */
  post(path, body = {}) {
    return this.request('POST', path, body);
  }

  async request(method, path, body) {
    const headers = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const answer = await response.json().catch(() => null);
    if (!response.ok) {
      const error = answer && answer.error ? answer.error : { code: 'http', message: `${response.status} ${response.statusText}` };
      throw new ApiError(response.status, error.code, error.message);
    }
    return answer;
  }

  /**
   * The live stream: `counters` after each poll, `event` for events and audit entries.
   * EventSource reconnects by itself; `onState` hears 'live', 'connecting' or 'closed'.
   */
  stream({ onCounters, onEvent, onState }) {
    const source = new EventSource(`${BASE}/stream?token=${encodeURIComponent(this.token)}`);
    source.addEventListener('open', () => onState('live'));
    source.addEventListener('error', () => onState(source.readyState === EventSource.CLOSED ? 'closed' : 'connecting'));
    source.addEventListener('counters', (e) => onCounters(JSON.parse(e.data)));
    source.addEventListener('event', (e) => onEvent(JSON.parse(e.data)));
    return () => source.close();
  }
}
