import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The layers of docs/design.md, checked on the whole import graph: a rule holds for everything a
// module reaches, not only for what it names itself, and no two modules may need each other.

const ROOT = path.resolve(import.meta.dirname, '../..');
const AREAS = ['src', 'firmware', 'sim', 'drivers', 'bench'];

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    if (statSync(path.join(ROOT, rel)).isDirectory()) return sources(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

function specifiers(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const found = [
    ...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ];
  return found.map((m) => m[1]!);
}

interface Graph {
  /** Project modules each module imports, type-only imports included: a type is a dependency too. */
  local: Map<string, string[]>;
  /** Packages and node: built-ins each module imports. */
  external: Map<string, string[]>;
}

function buildGraph(): Graph {
  const local = new Map<string, string[]>();
  const external = new Map<string, string[]>();
  for (const file of AREAS.flatMap(sources)) {
    const mine: string[] = [];
    const theirs: string[] = [];
    for (const spec of specifiers(file)) {
      if (!spec.startsWith('.')) {
        theirs.push(spec);
        continue;
      }
      const target = path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, '.ts');
      if (target.endsWith('.ts') && existsSync(path.join(ROOT, target))) mine.push(target);
    }
    local.set(file, mine);
    external.set(file, theirs);
  }
  return { local, external };
}

const graph = buildGraph();

/** Every project module `file` reaches, itself included. */
function reach(file: string): Set<string> {
  const seen = new Set<string>([file]);
  const todo = [file];
  while (todo.length > 0) {
    for (const next of graph.local.get(todo.pop()!) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        todo.push(next);
      }
    }
  }
  return seen;
}

function area(file: string): string {
  if (file.startsWith('src/protocol/host/')) return 'src/protocol/host';
  if (file.startsWith('src/protocol/')) return 'src/protocol';
  return file.split(path.sep)[0]!;
}

/** The first module of `files` that reaches one outside `allowed`, as "a → … → b". */
function breaches(files: string[], allowed: (target: string) => boolean): string[] {
  const out: string[] = [];
  for (const file of files) {
    for (const target of reach(file)) if (!allowed(target)) out.push(`${file} reaches ${target}`);
  }
  return out;
}

describe('architecture: imports flow one way, transitively', () => {
  it('firmware/ reaches only firmware/ and the pure contract, and no package or built-in', () => {
    const files = sources('firmware');
    expect(breaches(files, (t) => ['firmware', 'src/protocol'].includes(area(t)))).toEqual([]);
    const externals = [...new Set(files.flatMap((f) => [...reach(f)]))].flatMap((f) => graph.external.get(f)!.map((x) => `${f}: ${x}`));
    expect(externals).toEqual([]);
  });

  it('firmware/failover/ reaches only itself, the forwarding core, the ports and the contract; the forwarding core knows nothing of it', () => {
    const inside = (t: string, dirs: string[]) => dirs.some((d) => t.startsWith(`${d}${path.sep}`) || t === d);
    const failover = sources('firmware/failover');
    expect(
      breaches(
        failover,
        (t) => inside(t, ['firmware/failover', 'firmware/forwarding', 'firmware/ports.ts', 'firmware/boot/flash-port.ts']) || area(t) === 'src/protocol',
      ),
    ).toEqual([]);
    // The core is told of mirroring through its own FlowMirror interface, never by importing the group code.
    expect(breaches(sources('firmware/forwarding'), (t) => !inside(t, ['firmware/failover']))).toEqual([]);
  });

  it('sim/failover/ reaches only itself, the data plane and serial transports it builds on, the firmware and the contract', () => {
    const allowed = ['sim/failover', 'sim/data-plane', 'sim/serial', 'sim/snmp/options.ts', 'firmware', 'src/protocol', 'src/protocol/host'];
    expect(breaches(sources('sim/failover'), (t) => allowed.some((a) => t === a || t.startsWith(`${a}${path.sep}`) || area(t) === a))).toEqual([]);
  });

  it('the contract (src/protocol/ but host/) imports nothing of the project beyond itself and no package or built-in', () => {
    const files = sources('src/protocol').filter((f) => area(f) === 'src/protocol');
    expect(breaches(files, (t) => area(t) === 'src/protocol')).toEqual([]);
    expect(files.flatMap((f) => graph.external.get(f)!.map((x) => `${f}: ${x}`))).toEqual([]);
  });

  it('drivers/ reach only themselves and src/protocol: they know nothing of the simulator or the firmware', () => {
    const others = sources('drivers').filter((f) => !f.startsWith(`drivers${path.sep}haproxy${path.sep}`));
    expect(breaches(others, (t) => ['drivers', 'src/protocol', 'src/protocol/host'].includes(area(t)))).toEqual([]);
  });

  it('drivers/haproxy/ also reaches src/interop (and the src/rules it uses): it reads and writes HAProxy configuration', () => {
    const allowed = (t: string) =>
      ['drivers', 'src/protocol', 'src/protocol/host'].includes(area(t)) || ['src/interop', 'src/rules'].some((a) => t.startsWith(`${a}${path.sep}`));
    expect(breaches(sources('drivers/haproxy'), allowed)).toEqual([]);
  });

  it('src/api/ and src/provision/ never reach src/cli/: the CLI is one front end, the API another', () => {
    expect(breaches([...sources('src/api'), ...sources('src/provision')], (t) => !t.startsWith(`src${path.sep}cli`))).toEqual([]);
  });

  it('src/control/ (the console owner and its clients) reaches drivers, the store and provision, never a front end', () => {
    const allowed = (t: string) =>
      // src/interop through drivers/haproxy, which reads and writes HAProxy configuration.
      ['src/control', 'src/provision', 'src/store', 'src/rules', 'src/interop', 'src/log', 'drivers', 'src/protocol', 'src/protocol/host'].some((a) =>
        t.startsWith(`${a}${path.sep}`),
      );
    expect(breaches(sources('src/control'), allowed)).toEqual([]);
  });

  it('sim/ never reaches the agent, and only the sim, fleet and demo commands reach sim/', () => {
    expect(breaches(sources('sim'), (t) => ['sim', 'firmware', 'src/protocol', 'src/protocol/host'].includes(area(t)))).toEqual([]);
    const front = [
      'src/cli/commands/sim.ts',
      'src/cli/commands/fleet.ts',
      'src/cli/commands/demo.ts',
      'src/cli/commands/demo-parts.ts',
      'src/cli/commands/demo-pair.ts',
    ];
    const agent = sources('src').filter((f) => !front.includes(f) && f !== 'src/cli/main.ts');
    const direct = agent.flatMap((f) =>
      graph.local
        .get(f)!
        .filter((t) => ['sim', 'firmware'].includes(area(t)))
        .map((t) => `${f} imports ${t}`),
    );
    expect(direct).toEqual([]);
  });

  it('firmware/ and the contract use no host global (Buffer, process, timers): those arrive through ports', () => {
    const files = [...sources('firmware'), ...sources('src/protocol').filter((f) => area(f) === 'src/protocol')];
    const uses = files.flatMap((file) => {
      // Comments may name them; code may not.
      const code = readFileSync(path.join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      return [...code.matchAll(/\b(Buffer|process|setTimeout|setInterval|setImmediate|require)\b/g)].map((m) => `${file}: ${m[1]}`);
    });
    expect(uses).toEqual([]);
  });

  it('has no import cycle', () => {
    // Tarjan's strongly connected components over the whole graph.
    let index = 0;
    const order = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string): void => {
      order.set(v, index);
      low.set(v, index++);
      stack.push(v);
      onStack.add(v);
      for (const w of graph.local.get(v) ?? []) {
        if (!order.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
      }
      if (low.get(v) === order.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        if (component.length > 1 || (graph.local.get(v) ?? []).includes(v)) cycles.push(component.sort());
      }
    };
    for (const v of graph.local.keys()) if (!order.has(v)) visit(v);
    expect(cycles).toEqual([]);
  });
});
