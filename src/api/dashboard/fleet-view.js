// The fleet table: every appliance of the inventory with what the last poll found.
import { bytes, count, duration, el, perSecond, shortId, stateBadge } from './format.js';

function stateOf(a) {
  if (a.reachable === true) return 'up';
  if (a.reachable === false) return 'down';
  return 'unknown';
}

export class FleetView {
  constructor(root) {
    this.root = root;
    this.body = root.querySelector('tbody');
    /** name → merged record (inventory fields + last summary). */
    this.appliances = new Map();
  }

  /** The inventory as GET /appliances gives it. */
  setInventory(list) {
    const next = new Map();
    for (const a of list) next.set(a.name, { ...this.appliances.get(a.name), ...a });
    this.appliances = next;
    this.render();
  }

  /** A poll cycle's summaries (SSE `counters`). Appliances not in the inventory yet are added. */
  update(summaries) {
    for (const s of summaries) {
      const known = this.appliances.get(s.name) ?? { name: s.name, address: '' };
      this.appliances.set(s.name, { ...known, ...s, summary: s });
    }
    this.render();
  }

  get(name) {
    return this.appliances.get(name) ?? null;
  }

  render() {
    const rows = [...this.appliances.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((a) => {
        const s = a.summary;
        const row = el(
          'tr',
          { 'data-appliance': a.name, class: 'clickable', tabindex: 0 },
          el('td', { 'data-field': 'name' }, el('a', { href: `#/appliances/${encodeURIComponent(a.name)}` }, a.name)),
          el('td', { 'data-field': 'address', class: 'mono muted' }, a.address),
          el('td', { 'data-field': 'state', title: a.error ?? '' }, stateBadge(stateOf(a))),
          el('td', { 'data-field': 'firmware' }, a.firmware ?? '–'),
          el('td', { 'data-field': 'configId', class: 'mono', title: a.configId ?? '' }, shortId(a.configId)),
          el(
            'td',
            { 'data-field': 'pendingConfirm' },
            a.pendingConfirm ? el('span', { class: 'badge state-pending' }, `reverts in ${duration(a.pendingConfirm)}`) : '–',
          ),
          el('td', { 'data-field': 'connRate', class: 'num' }, s ? perSecond(s.rates.conns) : '–'),
          el('td', { 'data-field': 'active', class: 'num' }, s ? count(s.totals.connsActive) : '–'),
          el(
            'td',
            { 'data-field': 'traffic', class: 'num' },
            s && s.rates.bytesIn !== null && s.rates.bytesOut !== null ? `${bytes(s.rates.bytesIn + s.rates.bytesOut)}/s` : '–',
          ),
        );
        const open = () => (location.hash = `#/appliances/${encodeURIComponent(a.name)}`);
        row.addEventListener('click', (e) => {
          if (e.target.closest('a') === null) open();
        });
        row.addEventListener('keydown', (e) => {
          if (e.key === 'Enter') open();
        });
        return row;
      });
    this.body.replaceChildren(...rows);
    this.root.querySelector('#fleet-empty').hidden = rows.length > 0;
    const up = [...this.appliances.values()].filter((a) => a.reachable === true).length;
    this.root.querySelector('#fleet-summary').textContent = rows.length ? `${rows.length} appliance${rows.length === 1 ? '' : 's'}, ${up} reachable` : '';
  }
}
