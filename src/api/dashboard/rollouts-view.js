// The rollouts panel: the latest firmware rollouts with their state, a progress bar per wave
// and the appliances that failed. Read from GET /rollouts every 2 s, and at once when the live
// stream reports a rollout event.
import { el } from './format.js';

const REFRESH_MS = 2_000;
const SHOWN = 10;

/** The segments of a wave's bar, in the order they fill it. */
const SEGMENTS = ['succeeded', 'failed', 'upgrading', 'pending'];

function waveBar(w) {
  const title = `wave ${w.wave}: ${w.succeeded} succeeded, ${w.failed} failed, ${w.upgrading} upgrading, ${w.pending} pending of ${w.size}`;
  return el(
    'div',
    { class: 'wave', 'data-wave': w.wave, title },
    el('span', { class: 'wave-label' }, `wave ${w.wave}`),
    el(
      'div',
      { class: 'wave-bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': w.size, 'aria-valuenow': w.succeeded + w.failed },
      ...SEGMENTS.filter((s) => w[s] > 0).map((s) => el('span', { class: `seg seg-${s}`, style: `width: ${(100 * w[s]) / w.size}%` })),
    ),
    el('span', { class: 'wave-count' }, `${w.succeeded + w.failed}/${w.size}`),
  );
}

/** Pause a running rollout, resume a paused or halted one (admin). */
function controls(r, actions, after) {
  if (!actions.admin) return null;
  const verb = r.state === 'running' ? 'pause' : r.state === 'paused' || r.state === 'halted' ? 'resume' : null;
  if (verb === null) return null;
  const node = el('button', { type: 'button', class: 'act', 'data-action': verb }, verb);
  node.addEventListener('click', async () => {
    node.disabled = true;
    await actions.rollout(r.id, verb);
    await after();
  });
  return node;
}

function rolloutItem(r, actions, after) {
  const counts = `${r.totals.succeeded}/${r.totals.devices} succeeded, ${r.totals.failed} failed${r.totals.upgrading ? `, ${r.totals.upgrading} upgrading` : ''}`;
  return el(
    'li',
    { class: 'rollout', 'data-rollout': r.id, 'data-state': r.state },
    el(
      'div',
      { class: 'rollout-head' },
      el('span', { class: 'rollout-id' }, `#${r.id}`),
      el('span', { 'data-field': 'version', title: `sha256 ${r.image}` }, `firmware ${r.version}`),
      el('span', { class: `badge state-${r.state}`, 'data-field': 'state' }, r.state),
      controls(r, actions, after),
    ),
    el('div', { class: 'muted', 'data-field': 'counts' }, counts),
    r.reason ? el('div', { class: 'rollout-reason', 'data-field': 'reason' }, r.reason) : null,
    el('div', { class: 'waves' }, ...r.waves.map(waveBar)),
    r.failed.length > 0
      ? el(
          'ul',
          { class: 'rollout-failed', 'data-field': 'failed' },
          ...r.failed.map((f) => el('li', { 'data-appliance': f.appliance }, el('strong', {}, f.appliance), `: ${f.error ?? 'failed'}`)),
        )
      : null,
  );
}

export class RolloutsView {
  constructor(root, api, actions) {
    this.root = root;
    this.api = api;
    this.actions = actions;
    this.list = root.querySelector('#rollout-list');
    this.timer = null;
    this.loading = null;
  }

  start() {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
  }

  /** Reads the rollouts again (at most one request in flight). */
  refresh() {
    this.loading ??= this.api
      .get(`/rollouts?limit=${SHOWN}`)
      .then(
        (r) => this.render(r.rollouts),
        (err) => this.showError(err),
      )
      .finally(() => (this.loading = null));
    return this.loading;
  }

  render(rollouts) {
    this.list.replaceChildren(...rollouts.map((r) => rolloutItem(r, this.actions, () => this.refresh())));
    this.root.querySelector('#rollouts-empty').hidden = rollouts.length > 0;
    this.root.querySelector('#rollouts-error').hidden = true;
    const running = rollouts.filter((r) => r.state === 'running').length;
    this.root.querySelector('#rollouts-summary').textContent = running > 0 ? `${running} running` : '';
  }

  showError(err) {
    const box = this.root.querySelector('#rollouts-error');
    box.hidden = false;
    box.textContent = `cannot read rollouts: ${err.message}`;
  }
}
