// Minimal types for the npm packages the benchmarks race against; they ship none.

declare module 'consistent-hash' {
  interface ConsistentHashOptions {
    range?: number;
    weight?: number;
    distribution?: 'random' | 'uniform';
  }
  class ConsistentHash {
    constructor(options?: ConsistentHashOptions);
    readonly nodeCount: number;
    add(node: string, weight?: number): this;
    remove(node: string): this;
    get(resource: string): string | null;
  }
  export = ConsistentHash;
}

declare module 'hashring' {
  class HashRing {
    constructor(servers: string[] | Record<string, number | { weight?: number; vnodes?: number }>, algorithm?: string, options?: Record<string, unknown>);
    /** Its LRU of recent answers; the benchmark replaces it to measure lookups rather than cache hits. */
    cache: { get(key: string): string | undefined; set(key: string, value: string): void };
    get(key: string): string | undefined;
  }
  export = HashRing;
}

declare module 'weighted-round-robin' {
  interface Peer {
    id?: string;
    weight: number;
    [field: string]: unknown;
  }
  class Peers {
    add(peer: Peer): string | false;
    get(): Peer | null;
    size(): number;
  }
  export = Peers;
}
