// The event log: appliance events and audit entries, newest first, live from the stream.
import { clock, el, shortId } from './format.js';

const KEEP = 300;

function describe(e) {
  if (e.source === 'audit') {
    const what = e.action.replace(/^(\w+) \/api\/v1/, '$1 ');
    const ids = e.configBefore || e.configAfter ? ` (${shortId(e.configBefore)} → ${shortId(e.configAfter)})` : '';
    return `${e.actor.name}: ${what} — ${e.outcome}${e.status ? ` ${e.status}` : ''}${ids}`;
  }
  const d = e.detail ?? {};
  switch (e.kind) {
    case 'unreachable':
      return `unreachable: ${d.error ?? ''}`;
    case 'reachable':
      return 'reachable again';
    case 'config-changed':
      return `config changed ${shortId(d.before)} → ${shortId(d.after)}${d.pendingConfirm ? ' (pending confirm)' : ''}`;
    case 'drift':
      return `drift: config ${shortId(d.before)} → ${shortId(d.after)} changed outside this agent`;
    case 'backend-state':
      return `backend ${d.backend} of ${d.service}: ${d.before ? `${d.before} → ` : ''}${d.after}`;
    case 'commit':
      return d.before
        ? `commit ${shortId(d.before)} → ${shortId(d.after)}${d.by ? ` by ${d.by}` : ''}${d.confirmTimeoutMs ? ' (confirm pending)' : ''}`
        : `commit ${shortId(d.configId)}`;
    case 'confirm':
      return `confirmed ${shortId(d.configId)}${d.by ? ` by ${d.by}` : ''}`;
    case 'rollback':
      return d.before
        ? `rollback ${shortId(d.before)} → ${shortId(d.after)}${d.by ? ` by ${d.by}` : ''}`
        : `rollback to ${shortId(d.configId)} (${d.reason ?? ''})`;
    case 'trap':
      return `trap ${d.trap ?? ''}`;
    case 'rollout':
      return describeRollout(d);
    case 'push-failed':
      return `fleet push failed: ${d.error ?? ''}`;
    case 'failover':
      return `failover: ${d.group} unit ${d.unit} ${d.from} → ${d.to}${d.via ? ` (${d.via})` : ''}`;
    default:
      return e.kind;
  }
}

/** A rollout event (src/upgrade/rollout/events.ts) in a line. */
function describeRollout(d) {
  switch (d.event) {
    case 'created':
      return `rollout ${d.rollout}: firmware ${d.version} to ${d.devices} appliance${d.devices === 1 ? '' : 's'}`;
    case 'run':
      return `rollout ${d.rollout}: running${d.recovered?.length ? ` (upgrading again: ${d.recovered.join(', ')})` : ''}`;
    case 'wave':
      return `rollout ${d.rollout}: wave ${d.wave} starts, ${d.appliances.length} appliance${d.appliances.length === 1 ? '' : 's'}`;
    case 'retry':
      return `rollout ${d.rollout}: retrying ${d.appliances.join(', ')}`;
    case 'upgrading':
      return `rollout ${d.rollout}: upgrading (wave ${d.wave})`;
    case 'succeeded':
      return `rollout ${d.rollout}: runs ${d.version}`;
    case 'failed':
      return `rollout ${d.rollout}: upgrade failed: ${d.error}`;
    case 'state':
      return `rollout ${d.rollout}: ${d.state}${d.reason ? ` (${d.reason})` : ''}`;
    default:
      return `rollout ${d.rollout}: ${d.event}`;
  }
}

function tone(e) {
  if (e.kind === 'rollout') return e.detail?.event === 'failed' || e.detail?.state === 'halted' ? 'bad' : e.detail?.event === 'succeeded' ? 'good' : 'info';
  if (e.kind === 'push-failed') return 'bad';
  if (e.kind === 'failover') return e.detail?.to === 'active' ? 'good' : e.detail?.to === 'offline' ? 'bad' : 'info';
  if (e.source === 'audit') return e.outcome === 'ok' ? 'audit' : 'bad';
  if (e.kind === 'unreachable' || (e.kind === 'backend-state' && e.detail?.after === 'down')) return 'bad';
  if (e.kind === 'reachable' || (e.kind === 'backend-state' && e.detail?.after === 'up')) return 'good';
  return 'info';
}

export class EventLog {
  constructor(root) {
    this.root = root;
    this.list = root.querySelector('#event-list');
    this.entries = [];
    this.scope = null;
  }

  /** The latest events and audit entries, merged. */
  async load(api) {
    const [events, audit] = await Promise.all([api.get('/events?limit=100'), api.get('/audit?limit=100')]);
    this.entries = [...events.events.map((e) => ({ source: 'appliance', ...e })), ...audit.entries.map((e) => ({ source: 'audit', ...e }))];
    this.sort();
    this.render();
  }

  add(entry) {
    if (this.entries.some((e) => e.source === entry.source && e.id === entry.id)) return;
    this.entries.unshift(entry);
    this.sort();
    this.entries.length = Math.min(this.entries.length, KEEP);
    this.render();
  }

  /** Only one appliance's entries (null: all). */
  setScope(appliance) {
    this.scope = appliance;
    this.root.querySelector('#events-scope').textContent = appliance ?? 'all appliances';
    this.render();
  }

  sort() {
    this.entries.sort((a, b) => b.ts - a.ts || b.id - a.id);
  }

  render() {
    const shown = this.entries.filter((e) => this.scope === null || e.appliance === this.scope).slice(0, 100);
    this.list.replaceChildren(
      ...shown.map((e) =>
        el(
          'li',
          { class: `event tone-${tone(e)}`, 'data-kind': e.source === 'audit' ? 'audit' : e.kind },
          el('time', { datetime: new Date(e.ts).toISOString(), title: new Date(e.ts).toISOString() }, clock(e.ts)),
          e.appliance && this.scope === null ? el('span', { class: 'event-appliance' }, e.appliance) : null,
          el('span', { class: 'event-text' }, describe(e)),
        ),
      ),
    );
    this.root.querySelector('#events-empty').hidden = shown.length > 0;
  }
}
