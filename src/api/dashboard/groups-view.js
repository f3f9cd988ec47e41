// The failover groups panel: every group the members reported (GET /groups), its members by unit
// with the state each last reported (active, standby, offline; unreachable when its last poll
// failed) and its config id when known. A failover event from the live stream moves the member
// at once; the groups are then read again, so the panel always ends as the agent's store has it.
import { el, shortId } from './format.js';

function memberItem(m) {
  return el(
    'li',
    { class: 'member', 'data-appliance': m.appliance, 'data-state': m.state },
    el('span', { class: 'member-unit muted' }, `unit ${m.unit}`),
    el('a', { href: `#/appliances/${encodeURIComponent(m.appliance)}`, 'data-field': 'name' }, m.appliance),
    el('span', { class: `badge state-${m.state}`, 'data-field': 'state' }, m.state),
    m.reachable ? null : el('span', { class: 'badge state-down', 'data-field': 'unreachable' }, 'unreachable'),
    el('span', { class: 'mono muted', 'data-field': 'configId', title: m.configId ?? '' }, shortId(m.configId)),
  );
}

/** Who serves: the one active member, or why there is none to name. */
function activeText(g) {
  if (g.active) return `active: ${g.active}`;
  return g.actives.length > 1 ? `more than one active: ${g.actives.join(', ')}` : 'no active member';
}

function groupItem(g) {
  return el(
    'li',
    { class: 'group', 'data-group': g.name, 'data-active': g.active ?? '' },
    el(
      'div',
      { class: 'group-head' },
      el('strong', {}, g.name),
      el('span', { class: g.active ? 'muted' : 'error', 'data-field': 'active' }, activeText(g)),
      g.sameConfig ? null : el('span', { class: 'badge state-pending', 'data-field': 'configs' }, 'configs differ'),
    ),
    el('ol', { class: 'members' }, ...g.members.map(memberItem)),
  );
}

/** The group as it is once `appliance` reported `state` (what GroupView's `active` would say). */
function moved(g, appliance, state) {
  const members = g.members.map((m) => (m.appliance === appliance ? { ...m, state } : m));
  const actives = members.filter((m) => m.state === 'active').map((m) => m.appliance);
  return { ...g, members, actives, active: actives.length === 1 ? actives[0] : null };
}

export class GroupsView {
  constructor(root, api) {
    this.root = root;
    this.api = api;
    this.list = root.querySelector('#group-list');
    this.groups = [];
    this.loading = null;
    // A read asked for while one is in flight may have been overtaken by what prompted it: read again after.
    this.again = false;
  }

  /** Reads the groups again; one request at a time, and one more if asked meanwhile. */
  refresh() {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.api
      .get('/groups')
      .then(
        (r) => this.render(r.groups),
        (err) => this.showError(err),
      )
      .finally(() => {
        this.loading = null;
        if (this.again) {
          this.again = false;
          void this.refresh();
        }
      });
    return this.loading;
  }

  /** A `failover` event from the stream: its member's new state, then the store's view. */
  onFailover(entry) {
    const d = entry.detail ?? {};
    if (this.groups.some((g) => g.name === d.group)) this.render(this.groups.map((g) => (g.name === d.group ? moved(g, entry.appliance, d.to) : g)));
    void this.refresh();
  }

  render(groups) {
    this.groups = groups;
    this.list.replaceChildren(...groups.map(groupItem));
    this.root.querySelector('#groups-empty').hidden = groups.length > 0;
    this.root.querySelector('#groups-error').hidden = true;
    const serving = groups.filter((g) => g.active).length;
    this.root.querySelector('#groups-summary').textContent = groups.length ? `${serving} of ${groups.length} with one active member` : '';
  }

  showError(err) {
    const box = this.root.querySelector('#groups-error');
    box.hidden = false;
    box.textContent = `cannot read groups: ${err.message}`;
  }
}
