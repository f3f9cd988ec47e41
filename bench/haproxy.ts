/**
 * Same rules on the simulator and on a real HAProxy: how closely their 3:2:1 splits agree over
 * the same backends, and how soon after the HAProxy driver's live weight change (`set server …
 * weight`, no reload) the new split is what clients get.
 */
import '../src/protocol/host/install-node-crypto.js';
import { performance } from 'node:perf_hooks';
import { HaproxyDriver } from '../drivers/haproxy/haproxy-driver.js';
import { startHttpBackends, type HttpBackend } from '../sim/backends/http-backend.js';
import { freePort } from '../sim/free-port.js';
import { SimulatedAppliance } from '../sim/simulated-appliance.js';
import { getOnce, httpLoad } from '../sim/traffic/http-load.js';
import { exportConfig } from '../src/interop/index.js';
import { encodeRules } from '../src/protocol/rules/codec.js';
import type { RuleTable } from '../src/protocol/rules/model.js';
import { loadRules } from '../src/rules/index.js';
import { startHaproxy } from './lib/haproxy-process.js';
import { median } from './lib/measure.js';
import { has } from './lib/processes.js';
import { result, type Result } from './lib/report.js';

const SPLIT_CONNECTIONS = 3_000;
const CHANGES = 10;
/** One smooth round-robin cycle of 3:2:1; requests go one at a time so a cycle shows the split exactly. */
const CYCLE = 6;

export const title = 'HAProxy boxes: the simulator and HAProxy on one rule table, and live weight changes';

export const notes = [
  `One rule table (weighted round robin, weights 3:2:1 over three local Node HTTP backends) run by the simulator and, exported with src/interop, by Debian's HAProxy 2.6 (master-worker, \`-W -S\`); ${SPLIT_CONNECTIONS.toLocaleString('en')} HTTP requests to each, one connection each, 8 at a time. Agreement: the largest difference between the two in any backend's share of connections.`,
  `Weight change: the HAProxy driver pushes 1:1:1 → 3:2:1 and back (${CHANGES} changes), applied live with \`set server … weight\` (no reload, the worker stays); then requests go one at a time in groups of ${CYCLE} until a group splits exactly as the new weights say. Reported (medians): the push (the driver's \`haproxy -c\` of the new file, its atomic write, the runtime commands and the read-back), push start → first group with the new split, and push done → that group (the commands take effect before the push returns, so this is one group's time).`,
];

function table(port: number, weights: number[], backends: HttpBackend[]): RuleTable {
  const lines = backends.map((b, i) => `      - { address: ${b.address}, weight: ${weights[i]} }`);
  return loadRules(
    `services:\n  - name: web\n    listen: 127.0.0.1:${port}\n    algorithm: weighted-round-robin\n    backends:\n${lines.join('\n')}\n`,
    'bench.yaml',
  );
}

export async function run(): Promise<Result[]> {
  if (!has('haproxy')) {
    console.log('skipped: haproxy is not installed (Debian: apt-get install haproxy)');
    return [];
  }
  const backends = await startHttpBackends(3);
  const ports = { sim: await freePort(), haproxy: await freePort() };
  const sim = await SimulatedAppliance.start({ name: 'bench', rules: table(ports.sim, [3, 2, 1], backends), listen: true });
  const box = await startHaproxy(() => exportConfig(table(ports.haproxy, [3, 2, 1], backends), 'haproxy').text);
  const driver = await HaproxyDriver.connect(box.target);
  try {
    const shares = async (port: number) => {
      const load = await httpLoad('127.0.0.1', port, SPLIT_CONNECTIONS, 8);
      if (load.failed > 0) throw new Error(`${load.failed} requests to 127.0.0.1:${port} failed: ${load.errors.join('; ')}`);
      return backends.map((b) => (load.byBackend.get(b.name) ?? 0) / SPLIT_CONNECTIONS);
    };
    const ofSim = await shares(ports.sim);
    const ofHaproxy = await shares(ports.haproxy);
    const gap = Math.max(...ofSim.map((s, i) => Math.abs(s - ofHaproxy[i]!))) * 100;
    console.log(`  shares: simulator ${ofSim.map((s) => (s * 100).toFixed(2)).join('/')} %, HAProxy ${ofHaproxy.map((s) => (s * 100).toFixed(2)).join('/')} %`);

    const pushes: number[] = [];
    const observed: number[] = [];
    const afterPush: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const weights = i % 2 === 0 ? [1, 1, 1] : [3, 2, 1];
      const started = performance.now();
      const done = await driver.push(encodeRules(table(ports.haproxy, weights, backends)), { confirmTimeoutMs: 0 });
      if (done.mode !== 'delta') throw new Error(`a weight change went as a ${done.mode} push`);
      const pushed = performance.now();
      pushes.push(pushed - started);
      for (let groups = 0; ; groups++) {
        if (groups > 100) throw new Error(`the split did not become ${weights.join(':')} within 100 groups`);
        const seen = new Map<string, number>();
        for (let k = 0; k < CYCLE; k++) {
          const who = await getOnce('127.0.0.1', ports.haproxy);
          seen.set(who, (seen.get(who) ?? 0) + 1);
        }
        const want = weights.map((w) => (w * CYCLE) / weights.reduce((a, b) => a + b, 0));
        if (backends.every((b, j) => (seen.get(b.name) ?? 0) === want[j])) break;
      }
      observed.push(performance.now() - started);
      afterPush.push(performance.now() - pushed);
    }
    return [
      result({
        name: '3:2:1 split, simulator vs HAProxy: largest difference in a backend share',
        value: gap,
        unit: '% points',
        better: 'lower',
        goal: { value: 1 },
      }),
      result({ name: 'live weight change: driver push (check, write, set server)', value: median(pushes), unit: 'ms', better: 'lower' }),
      result({ name: 'live weight change: push start → new split observed', value: median(observed), unit: 'ms', better: 'lower' }),
      result({ name: 'live weight change: push done → new split observed (one group of 6)', value: median(afterPush), unit: 'ms', better: 'lower' }),
    ];
  } finally {
    await driver.close();
    await box.stop();
    await sim.stop();
    await Promise.all(backends.map((b) => b.kill()));
  }
}
