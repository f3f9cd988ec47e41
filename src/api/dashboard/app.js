// The dashboard: the fleet table, the failover groups, the firmware rollouts and the event log, an
// appliance's charts and backends, all kept current by the agent's live stream (rollouts also by polling).
// Routes: #/ (fleet) and #/appliances/NAME.
import { Actions } from './actions.js';
import { Api, ApiError, initialToken, saveToken } from './api.js';
import { ApplianceView } from './appliance-view.js';
import { EventLog } from './events-view.js';
import { FleetCharts } from './fleet-charts.js';
import { FleetView } from './fleet-view.js';
import { GroupsView } from './groups-view.js';
import { RolloutsView } from './rollouts-view.js';
import { el } from './format.js';

// What the page shows, for a person with the console open (and for the tests that drive it).
window.fulcrum = { charts: {}, view: null, ready: false };

const $ = (selector) => document.querySelector(selector);

/** Asks for a token until one works; `problem` says why the last one did not. */
function askToken(problem) {
  const dialog = $('#token-dialog');
  const error = $('#token-error');
  error.hidden = !problem;
  error.textContent = problem ?? '';
  $('#token-input').value = '';
  return new Promise((resolve) => {
    const form = $('#token-form');
    const submit = () => {
      form.removeEventListener('submit', submit);
      resolve($('#token-input').value.trim());
    };
    form.addEventListener('submit', submit);
    if (!dialog.open) dialog.showModal();
  });
}

/** An Api whose token the agent accepts, and the inventory it returned. */
async function connect() {
  let token = initialToken();
  let problem = null;
  for (;;) {
    if (!token) token = await askToken(problem);
    const api = new Api(token);
    try {
      const inventory = await api.get('/appliances');
      saveToken(token);
      if ($('#token-dialog').open) $('#token-dialog').close();
      return { api, inventory: inventory.appliances };
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
      problem = err.message;
      token = null;
    }
  }
}

function setLive(state) {
  const live = $('#live');
  live.dataset.state = state;
  live.textContent = state === 'live' ? 'live' : state === 'closed' ? 'disconnected' : 'connecting';
}

async function main() {
  const { api, inventory } = await connect();
  // The buttons that change something show for an admin token only (the API would refuse the rest).
  const me = await api.get('/token');
  document.body.dataset.role = me.role;
  window.fulcrum.role = me.role;
  const actions = new Actions(api, me.role);
  const fleet = new FleetView($('#fleet-view'));
  const fleetCharts = new FleetCharts($('#fleet-view'));
  const events = new EventLog($('#events-view'));
  const appliance = new ApplianceView($('#appliance-view'), api, actions);
  const rollouts = new RolloutsView($('#rollouts-view'), api, actions);
  const groups = new GroupsView($('#groups-view'), api);
  fleet.setInventory(inventory);
  rollouts.start();

  const route = async () => {
    const m = /^#\/appliances\/(.+)$/.exec(location.hash);
    const name = m ? decodeURIComponent(m[1]) : null;
    $('#fleet-view').hidden = name !== null;
    $('#appliance-view').hidden = name === null;
    $('#crumbs').replaceChildren(...(name ? [el('a', { href: '#/' }, 'Fleet'), el('span', {}, ' / '), el('span', {}, name)] : []));
    events.setScope(name);
    if (name) await appliance.open(name, fleet.get(name)).catch((err) => showProblem(`cannot show ${name}: ${err.message}`));
    else appliance.close();
  };
  window.addEventListener('hashchange', () => void route());

  const reloadInventory = () =>
    api.get('/appliances').then(
      (r) => fleet.setInventory(r.appliances),
      () => undefined,
    );
  api.stream({
    onState: setLive,
    onCounters: (cycle) => {
      // An appliance added elsewhere (the CLI, another client): fetch its inventory fields too.
      const added = cycle.appliances.some((a) => fleet.get(a.name) === null);
      fleet.update(cycle.appliances);
      fleetCharts.add(cycle);
      const shown = appliance.name ? fleet.get(appliance.name) : null;
      if (shown) appliance.update(shown);
      if (added) void reloadInventory();
      // Reachability and config ids of members change with the polls.
      void groups.refresh();
    },
    onEvent: (entry) => {
      events.add(entry);
      if (entry.source === 'appliance' && entry.kind === 'failover') groups.onFailover(entry);
      if (entry.kind === 'rollout' || (entry.source === 'audit' && entry.action.includes('/rollouts'))) void rollouts.refresh();
      if (entry.source === 'audit' && /\/appliances(\/:name)?$/.test(entry.action)) void reloadInventory();
    },
  });
  $('#change-token').addEventListener('click', async () => {
    localStorage.removeItem('fulcrum.token');
    location.reload();
  });

  await Promise.all([events.load(api).catch((err) => showProblem(`events: ${err.message}`)), groups.refresh(), route()]);
  window.fulcrum.ready = true;
}

function showProblem(message) {
  const banner = el('div', { class: 'problem', role: 'alert' }, message);
  document.body.prepend(banner);
  setTimeout(() => banner.remove(), 10_000);
}

main().catch((err) => showProblem(err.message));
