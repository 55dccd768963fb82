import type { LoggerService } from '@nestjs/common';
import { FenceRequiredError } from '../errors/fence-required.error.js';
import type { ResolvedLeafOptions } from '../leaf.defaults.js';
import type { FenceOutcome, FenceSkips, LeafStore } from '../store/leaf-store.js';
import { storeLocation } from '../store/store-advice.js';
import { withDeadline } from '../store/store-deadline.js';

/**
 * The failover fence of one store, as one generator (and its `LeafAdmin`, and an ID server on it) runs it: the
 * skips come from the options (`failoverSkip`, per tag and for the rest), concurrent calls share one fence, and the
 * log says what moved. Fencing itself is the store's (`LeafStore.fence`), atomic across nodes.
 */
export class Fencer {
  private static readonly built = new WeakMap<LeafStore, Fencer>();
  private pending: Promise<FenceOutcome> | null = null;

  private constructor(
    private readonly store: LeafStore,
    private readonly options: ResolvedLeafOptions,
    private readonly logger: LoggerService,
  ) {}

  /** The fencer of `store`: one per store, whoever asks. */
  static of(store: LeafStore, options: ResolvedLeafOptions, logger: LoggerService): Fencer {
    let fencer = Fencer.built.get(store);
    if (fencer === undefined) Fencer.built.set(store, (fencer = new Fencer(store, options, logger)));
    return fencer;
  }

  /** Whether the store fences at all (a store on a server that cannot fail over has no `fence`). */
  get supported(): boolean {
    return typeof this.store.fence === 'function';
  }

  /**
   * Runs `reserve`; when the store asks for a fence first (a failover happened), fences it and runs `reserve`
   * again, once: a second refusal (another failover meanwhile) is the caller's to retry.
   */
  async reserving<T>(reserve: () => Promise<T>): Promise<T> {
    try {
      return await reserve();
    } catch (error) {
      if (!(error instanceof FenceRequiredError) || !this.supported) throw error;
      await this.fence();
      return reserve();
    }
  }

  /**
   * Fences the store now (moving every row ahead by its skip, unless it is fenced for its server already), one
   * fence for concurrent callers. `defaultSkip` replaces the module's `failoverSkip` for rows no tag covers.
   */
  fence(defaultSkip?: bigint): Promise<FenceOutcome> {
    this.pending ??= this.run(defaultSkip).finally(() => (this.pending = null));
    return this.pending;
  }

  private async run(defaultSkip: bigint | undefined): Promise<FenceOutcome> {
    const { store, options } = this;
    if (store.fence === undefined) {
      throw new Error(`${storeLocation(store)} cannot be fenced: its store has no fence (it cannot fail over).`);
    }
    const skips: FenceSkips = {
      defaultSkip: defaultSkip ?? BigInt(options.failoverSkip),
      tags: new Map(options.bizTags.map(({ tag, failoverSkip }) => [tag, BigInt(failoverSkip)])),
    };
    const outcome = await withDeadline(options.reservationTimeoutMs, `Fencing ${storeLocation(store)}`, (signal) =>
      store.fence!(skips, signal),
    );
    if (outcome.fenced) {
      this.logger.warn(
        `Fenced ${storeLocation(store)} after a failover: it now runs on ${outcome.identity}, was fenced for ` +
          `${outcome.previous ?? 'no server'}. ${outcome.rows} row(s) moved ahead by their failoverSkip ` +
          `(${skips.defaultSkip} IDs unless a tag sets its own), so no ID a lost reservation held is issued again.`,
      );
    }
    return outcome;
  }
}
