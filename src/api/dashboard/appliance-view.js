// One appliance: its identity, charts of connections and traffic over time (history from the
// store, extended after every poll), and the state of every backend.
import { askNumber } from './actions.js';
import { lineChart, PALETTE } from './charts.js';
import { ago, bytes, count, duration, el, perSecond, shortId, stateBadge } from './format.js';

const WINDOW_S = 15 * 60;
const COUNTERS = 'connsTotal,bytesIn,bytesOut';

/**
 * History points, one per poll: `t` in seconds and per service the increases since the poll
 * before (null for a gap: the first poll, a reset). Rates are increase ÷ time since the previous
 * point, as the store computes them.
 */
class Timeline {
  constructor() {
    this.points = [];
    this.services = [];
  }

  /** Folds a history answer (series of [ts ms, increase]) in; returns how many points were new. */
  add(history) {
    const byT = new Map();
    for (const s of history.series) {
      if (s.backend !== null || s.service === null) continue;
      if (!this.services.includes(s.service)) this.services.push(s.service);
      for (const [ts, value] of s.points) {
        const t = Math.floor(ts / 1000);
        if (!byT.has(t)) byT.set(t, { t, perService: {} });
        const entry = (byT.get(t).perService[s.service] ??= { connsTotal: null, bytesIn: null, bytesOut: null });
        entry[s.counter] = value;
      }
    }
    const last = this.points.at(-1)?.t ?? -Infinity;
    const fresh = [...byT.values()].filter((p) => p.t > last).sort((a, b) => a.t - b.t);
    this.points.push(...fresh);
    const horizon = (this.points.at(-1)?.t ?? 0) - WINDOW_S;
    while (this.points.length > 0 && this.points[0].t < horizon) this.points.shift();
    return fresh.length;
  }

  get lastMs() {
    const last = this.points.at(-1);
    return last ? last.t * 1000 : null;
  }

  /** Per-second rate of `counter` at point i, summed over `services`. */
  rate(i, services, counter) {
    if (i === 0) return null;
    const dt = this.points[i].t - this.points[i - 1].t;
    let total = 0;
    for (const s of services) {
      const v = this.points[i].perService[s]?.[counter];
      if (v === null || v === undefined) return null;
      total += v;
    }
    return dt > 0 ? total / dt : null;
  }

  /** The increases of `counter` over the window, all services. */
  total(counter) {
    let sum = 0;
    for (const p of this.points) for (const s of Object.values(p.perService)) sum += s[counter] ?? 0;
    return sum;
  }
}

export class ApplianceView {
  constructor(root, api, actions) {
    this.root = root;
    this.api = api;
    this.actions = actions;
    this.name = null;
    this.timeline = null;
    this.charts = null;
    this.refreshing = null;
    this.again = false;
  }

  async open(name, known) {
    this.close();
    this.name = name;
    this.timeline = new Timeline();
    this.root.querySelector('#appliance-name').textContent = name;
    this.renderFacts(known);
    const history = await this.api.get(`/appliances/${encodeURIComponent(name)}/counters/history?since=15m&level=service&counter=${COUNTERS}`);
    if (this.name !== name) return;
    this.timeline.add(history);
    this.makeCharts();
    this.renderCharts();
    if (known?.summary) this.renderBackends(known.summary.services);
    else await this.loadLiveCounters(name);
  }

  close() {
    this.charts?.connections.destroy();
    this.charts?.bytes.destroy();
    this.charts = null;
    this.name = null;
    window.fulcrum.charts = {};
    window.fulcrum.view = null;
  }

  /** After a poll cycle: new facts, backend states, and the new history points. */
  update(record) {
    if (!this.name || record.name !== this.name) return;
    this.renderFacts(record);
    if (record.summary) this.renderBackends(record.summary.services);
    void this.refresh();
  }

  async loadLiveCounters(name) {
    try {
      const live = await this.api.get(`/appliances/${encodeURIComponent(name)}/counters`);
      if (this.name === name) this.renderBackends(live.services.map((s) => ({ ...s, backends: s.backends.map((b) => ({ ...b, rates: { conns: null } })) })));
    } catch (err) {
      if (this.name === name)
        this.root
          .querySelector('#backend-table tbody')
          .replaceChildren(el('tr', {}, el('td', { colspan: 9, class: 'muted' }, `counters unavailable: ${err.message}`)));
    }
  }

  /** Fetches the points stored since the last one shown; one request at a time. */
  async refresh() {
    if (this.refreshing) {
      this.again = true;
      return;
    }
    const name = this.name;
    const since = this.timeline.lastMs;
    const query = since === null ? 'since=15m' : `from=${since + 1}`;
    this.refreshing = this.api
      .get(`/appliances/${encodeURIComponent(name)}/counters/history?${query}&level=service&counter=${COUNTERS}`)
      .then((history) => {
        if (this.name !== name) return;
        const servicesBefore = this.timeline.services.length;
        if (this.timeline.add(history) === 0) return;
        if (this.timeline.services.length !== servicesBefore) this.makeCharts();
        this.renderCharts();
      })
      .catch(() => undefined)
      .finally(() => {
        this.refreshing = null;
        if (this.again) {
          this.again = false;
          void this.refresh();
        }
      });
    await this.refreshing;
  }

  makeCharts() {
    this.charts?.connections.destroy();
    this.charts?.bytes.destroy();
    const services = this.timeline.services;
    this.charts = {
      connections: lineChart(this.root.querySelector('#chart-connections .plot'), {
        series: services.map((s, i) => ({ label: s, color: PALETTE[i % PALETTE.length] })),
        format: (v) => perSecond(v),
      }),
      bytes: lineChart(this.root.querySelector('#chart-bytes .plot'), {
        series: [
          { label: 'in (from clients)', color: PALETTE[0] },
          { label: 'out (to clients)', color: PALETTE[1] },
        ],
        format: (v) => `${bytes(v)}/s`,
      }),
    };
    window.fulcrum.charts = { connections: this.charts.connections.chart, bytes: this.charts.bytes.chart };
  }

  renderCharts() {
    const tl = this.timeline;
    const services = tl.services;
    const x = tl.points.map((p) => p.t);
    const idx = tl.points.map((_, i) => i);
    this.charts.connections.setData([x, ...services.map((s) => idx.map((i) => tl.rate(i, [s], 'connsTotal')))]);
    this.charts.bytes.setData([x, idx.map((i) => tl.rate(i, services, 'bytesIn')), idx.map((i) => tl.rate(i, services, 'bytesOut'))]);
    // What the charts were drawn from, for people reading the page source and for tests.
    const connections = this.root.querySelector('#chart-connections');
    connections.dataset.points = String(x.length);
    connections.dataset.newConnections = String(tl.total('connsTotal'));
    const traffic = this.root.querySelector('#chart-bytes');
    traffic.dataset.bytesIn = String(tl.total('bytesIn'));
    traffic.dataset.bytesOut = String(tl.total('bytesOut'));
    window.fulcrum.view = {
      appliance: this.name,
      services: [...services],
      points: tl.points.map((p) => ({ t: p.t, perService: structuredClone(p.perService) })),
    };
  }

  renderFacts(a) {
    const state = a?.reachable === true ? 'up' : a?.reachable === false ? 'down' : 'unknown';
    this.root.querySelector('#appliance-state').replaceWith(Object.assign(stateBadge(state), { id: 'appliance-state' }));
    const fact = (label, value, attrs = {}) => el('div', { class: 'fact' }, el('dt', {}, label), el('dd', attrs, value));
    this.root.querySelector('#appliance-facts').replaceChildren(
      fact('address', a?.address ?? '–', { class: 'mono' }),
      fact('firmware', a?.firmware ?? '–'),
      fact('config id', shortId(a?.configId), { class: 'mono', title: a?.configId ?? '', 'data-field': 'configId' }),
      fact('pending confirm', a?.pendingConfirm ? [`reverts in ${duration(a.pendingConfirm)} `, ...this.commitButtons()] : 'none', {
        'data-field': 'pendingConfirm',
      }),
      fact('last poll', a?.lastPoll ? ago(a.lastPoll) : 'never', { title: a?.error ?? '' }),
    );
  }

  /** Confirm / roll back the commit pending confirmation (admin). */
  commitButtons() {
    if (!this.actions.admin) return [];
    const name = this.name;
    return [this.button('confirm', 'confirm', () => this.actions.confirm(name)), this.button('roll back', 'rollback', () => this.actions.rollback(name))];
  }

  /** Drain / enable / disable and the weight of one backend (admin). `b.state` is its operational state. */
  backendButtons(service, b) {
    if (!this.actions.admin) return [];
    const name = this.name;
    const edit = (change) => this.actions.editBackend(name, service, b.address, change);
    const byState =
      b.state === 'drain' || b.state === 'disabled'
        ? [this.button('enable', 'enable', () => edit({ state: 'enabled' }))]
        : [this.button('drain', 'drain', () => edit({ state: 'drain' })), this.button('disable', 'disable', () => edit({ state: 'disabled' }))];
    const weight = this.button('weight…', 'weight', async () => {
      const w = await askNumber(`Weight of ${b.address} (${service})`, 'weight', b.weight, 65_535);
      if (w !== null) await edit({ weight: w });
    });
    return [...byState, weight];
  }

  button(label, action, run) {
    const node = el('button', { type: 'button', class: 'act', 'data-action': action }, label);
    node.addEventListener('click', (e) => {
      e.stopPropagation();
      void run();
    });
    return node;
  }

  renderBackends(services) {
    const rows = services.flatMap((s) =>
      s.backends.map((b) =>
        el(
          'tr',
          { 'data-service': s.name, 'data-backend': b.address },
          el('td', {}, s.name),
          el('td', { class: 'mono' }, b.address, b.backup ? el('span', { class: 'tag' }, 'backup') : null),
          el('td', { 'data-field': 'state' }, stateBadge(b.state)),
          el('td', { class: 'num' }, count(b.weight)),
          el('td', { class: 'num' }, count(b.connsActive)),
          el('td', { class: 'num', 'data-field': 'connsTotal' }, count(b.connsTotal)),
          el('td', { class: 'num' }, perSecond(b.rates?.conns ?? null)),
          el('td', { class: 'num' }, count(b.connectFailures)),
          el('td', { class: 'admin-only' }, ...this.backendButtons(s.name, b)),
        ),
      ),
    );
    const body = this.root.querySelector('#backend-table tbody');
    if (rows.length === 0) body.replaceChildren(el('tr', {}, el('td', { colspan: 9, class: 'muted' }, 'no services')));
    else body.replaceChildren(...rows);
  }
}
