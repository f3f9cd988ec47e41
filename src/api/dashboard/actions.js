// What an admin can do from the dashboard, each the way the CLI does it: a backend's weight or
// state (planned first — the plan is shown and nothing is sent until it is applied), confirming
// or rolling back a commit pending confirmation, pausing and resuming a rollout. Every change is
// an API call, so the agent applies its guard rails and writes the audit log as for the CLI.
import { el } from './format.js';

const $ = (selector) => document.querySelector(selector);

const show = (v) => (v === null ? 'none' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** A plan (src/provision/plan.ts) as lines: + add, ~ change, - remove, as `fulcrum rules push --dry-run` prints it. */
export function planLines(plan) {
  const lines = [];
  for (const s of plan.added) lines.push(`+ service ${s.name} (${s.protocol} ${s.listen}, ${s.backends} backends)`);
  for (const s of plan.changed) {
    lines.push(`~ service ${s.name}`);
    for (const c of s.changes)
      lines.push(
        c.from === null
          ? `    + ${c.path} ${show(c.to)}`
          : c.to === null
            ? `    - ${c.path} ${show(c.from)}`
            : `    ~ ${c.path}: ${show(c.from)} → ${show(c.to)}`,
      );
  }
  for (const s of plan.removed) lines.push(`- service ${s.name} (${s.listen})`);
  return lines.length === 0 ? ['No changes: the appliance already runs this.'] : lines;
}

/**
 * Asks before a change: `title`, then `lines` (a plan, or what will happen); resolves true when
 * the person applies it. One question at a time: the dialog is modal.
 */
export function ask(title, lines, applyLabel = 'Apply') {
  return open(title, lines, applyLabel, null).then((r) => r !== null);
}

/** Asks for a whole number (a weight); resolves it, or null when cancelled. */
export function askNumber(title, label, value, max) {
  return open(title, [], 'Plan', { label, value, max }).then((r) => (r === null ? null : Number(r)));
}

function open(title, lines, applyLabel, input) {
  const dialog = $('#action-dialog');
  const field = $('#action-input');
  $('#action-title').textContent = title;
  $('#action-body').replaceChildren(...lines.map((l) => el('div', {}, l)));
  $('#action-apply').textContent = applyLabel;
  $('#action-field').hidden = input === null;
  field.required = input !== null;
  if (input) {
    $('#action-label').textContent = input.label;
    field.value = String(input.value);
    field.max = String(input.max);
  }
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'apply' ? field.value : null), { once: true });
  });
}

/** What a change did, or why it was refused, for a few seconds at the top of the page. */
export function notify(message, kind = 'notice') {
  const banner = el('div', { class: kind === 'error' ? 'problem' : 'notice', role: kind === 'error' ? 'alert' : 'status', 'data-notice': kind }, message);
  document.body.prepend(banner);
  setTimeout(() => banner.remove(), 10_000);
}

/** Runs `work`, telling the person what came of it; a refusal's message is the API's own. */
async function carryOut(work, done) {
  try {
    const result = await work();
    notify(done(result));
    return result;
  } catch (err) {
    notify(`refused: ${err.message}`, 'error');
    return null;
  }
}

export class Actions {
  constructor(api, role) {
    this.api = api;
    this.admin = role === 'admin';
  }

  /** A backend's weight or state: the plan first (a dry run), then the push when applied. */
  async editBackend(appliance, service, backend, change) {
    const path = `/appliances/${encodeURIComponent(appliance)}/backends/edit`;
    const body = { service, backend, ...change };
    let planned;
    try {
      planned = await this.api.post(path, { ...body, dryRun: true });
    } catch (err) {
      notify(`cannot plan it: ${err.message}`, 'error');
      return null;
    }
    const what =
      change.state !== undefined
        ? `${change.state === 'enabled' ? 'Enable' : change.state === 'drain' ? 'Drain' : 'Disable'} ${backend}`
        : `Weight ${change.weight} for ${backend}`;
    const lines = [...planLines(planned.plan), '', `running ${planned.runningConfigId.slice(0, 12)} → ${planned.configId.slice(0, 12)} on ${appliance}`];
    if (!(await ask(`${what} (${service})`, lines))) return null;
    return carryOut(
      () => this.api.post(path, body),
      (r) =>
        r.outcome === 'unchanged'
          ? `${appliance} runs that already`
          : `${appliance} runs ${r.configId.slice(0, 12)} (${r.mode === 'delta' ? 'a patch' : 'the full table'} was sent)`,
    );
  }

  async confirm(appliance) {
    if (!(await ask(`Confirm the pending commit on ${appliance}`, ['The commit stays: it will not revert by itself.'], 'Confirm'))) return null;
    return carryOut(
      () => this.api.post(`/appliances/${encodeURIComponent(appliance)}/rules/confirm`),
      (r) => `confirmed ${r.configId.slice(0, 12)} on ${appliance}`,
    );
  }

  async rollback(appliance) {
    if (!(await ask(`Roll back ${appliance}`, ['The config before the current one runs again (rollback 1).'], 'Roll back'))) return null;
    return carryOut(
      () => this.api.post(`/appliances/${encodeURIComponent(appliance)}/rules/rollback`, { steps: 1 }),
      (r) => `${appliance} runs ${r.configId.slice(0, 12)} again`,
    );
  }

  /** pause, resume: no question — both are undone by the other. */
  rollout(id, verb) {
    return carryOut(
      () => this.api.post(`/rollouts/${id}/${verb}`),
      (r) => `rollout #${r.id} ${r.state}`,
    );
  }
}
