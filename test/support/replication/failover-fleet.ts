import type { IdGenerator, LeafModuleOptions, LeafStore, ReservationEvent } from 'nest-leaf';
import { steadyLoad, type FailedCall, type SteadyLoad } from '../load.js';
import { Generators } from '../redis.js';

/** One node: a generator on a store of its own, reaching the database through the failover's front address. */
export interface FailoverNode {
  readonly name: string;
  readonly ids: IdGenerator;
  readonly reservations: { ok: number; failed: number; errors: Set<string> };
  /** The first range reserved after the failover, per row. */
  readonly firstAfter: Map<string, { start: bigint; end: bigint }>;
  /** Ms from the kill of the primary to this node's first reservation on the promoted replica. */
  servedAfterMs?: number;
}

/** What one node's load came to, per tag. */
export interface NodeResult {
  readonly name: string;
  readonly ids: Map<string, bigint[]>;
  readonly failures: FailedCall[];
}

/**
 * The nodes of a failover test, whatever the store: each a generator under steady load, its reservations counted
 * (and the first after the kill kept), its IDs kept when its load stops, for `duplicatesOf`. A subclass gives the
 * store of a node (`storeFor`), and the failover itself.
 */
export abstract class FailoverFleet<StoreOptions> {
  readonly nodes: FailoverNode[] = [];
  private readonly generators = new Generators();
  private readonly loads: { node: string; tag: string; load: SteadyLoad }[] = [];
  private readonly stopped: { node: string; tag: string; ids: bigint[]; failures: FailedCall[] }[] = [];
  /** When the primary was killed (performance.now()). */
  killedAt?: number;

  /** A store of a node of its own, reaching the database through the front address. */
  protected abstract storeFor(options: StoreOptions): Promise<LeafStore>;

  /** Starts a node and a steady load per `[tag, IDs per second]`. */
  async node(
    name: string,
    options: Omit<LeafModuleOptions, 'store'>,
    loads: readonly (readonly [tag: string, rate: number])[],
    storeOptions: StoreOptions,
  ): Promise<FailoverNode> {
    const ids = await this.generators.start(await this.storeFor(storeOptions), options);
    const node: FailoverNode = {
      name,
      ids,
      reservations: { ok: 0, failed: 0, errors: new Set() },
      firstAfter: new Map(),
    };
    ids.onReservation((event: ReservationEvent) => {
      if (event.ok) {
        node.reservations.ok++;
        if (this.killedAt !== undefined && !node.firstAfter.has(event.row)) {
          node.firstAfter.set(event.row, event.range!);
          node.servedAfterMs ??= performance.now() - this.killedAt;
        }
      } else {
        node.reservations.failed++;
        node.reservations.errors.add(
          `${(event.error as Error)?.name}: ${String((event.error as Error)?.message).slice(0, 70)}`,
        );
      }
    });
    for (const [tag, rate] of loads) {
      this.loads.push({ node: name, tag, load: steadyLoad(ids, tag, { rate, concurrency: Math.min(16, rate) }) });
    }
    this.nodes.push(node);
    return node;
  }

  /** `nextIds(tag, count)` on a node, the IDs kept for the check with its load's. */
  async batch(name: string, tag: string, count: number): Promise<bigint[]> {
    const node = this.nodes.find((n) => n.name === name)!;
    const ids = await node.ids.nextIds(tag, count);
    this.stopped.push({ node: name, tag, ids, failures: [] });
    return ids;
  }

  /** Stops the loads of one node (the IDs they got are kept for the check). */
  async stopNode(name: string): Promise<void> {
    for (const entry of this.loads.filter((l) => l.node === name)) {
      this.loads.splice(this.loads.indexOf(entry), 1);
      this.stopped.push({ node: name, tag: entry.tag, ...(await entry.load.stop()) });
    }
  }

  /** Stops every load; what each node handed out, per tag, and its failed calls. */
  async results(): Promise<NodeResult[]> {
    for (const name of new Set(this.loads.map((l) => l.node))) await this.stopNode(name);
    return this.nodes.map(({ name }) => {
      const mine = this.stopped.filter((entry) => entry.node === name);
      const ids = new Map<string, bigint[]>();
      for (const entry of mine) ids.set(entry.tag, [...(ids.get(entry.tag) ?? []), ...entry.ids]);
      return { name, ids, failures: mine.flatMap((entry) => entry.failures) };
    });
  }

  /** Stops every load and closes every generator. */
  protected async stopAll(): Promise<void> {
    for (const { load } of this.loads.splice(0)) await load.stop().catch(() => undefined);
    await this.generators.closeAll().catch(() => undefined);
  }
}

/** IDs handed out more than once, per tag, over every node. */
export function duplicatesOf(results: readonly NodeResult[]): {
  total: number;
  duplicates: number;
  perTag: Record<string, number>;
} {
  const perTag: Record<string, number> = {};
  let total = 0;
  let duplicates = 0;
  const tags = new Set(results.flatMap((result) => [...result.ids.keys()]));
  for (const tag of tags) {
    const seen = new Set<bigint>();
    let count = 0;
    for (const result of results) {
      for (const id of result.ids.get(tag) ?? []) {
        total++;
        if (seen.size === seen.add(id).size) count++;
      }
    }
    perTag[tag] = count;
    duplicates += count;
  }
  return { total, duplicates, perTag };
}
