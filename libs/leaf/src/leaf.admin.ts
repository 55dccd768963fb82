import { Inject, Injectable, Logger } from '@nestjs/common';
import { BizTagExistsError } from './errors/biz-tag-exists.error.js';
import { InvalidArgumentError } from './errors/invalid-argument.error.js';
import { UnknownBizTagError } from './errors/unknown-biz-tag.error.js';
import { IdGenerator } from './id-generator.js';
import { LEAF_OPTIONS, LEAF_STORE } from './leaf.constants.js';
import { periodOwner } from './period/period-names.js';
import { MAX_ID, type FenceOutcome, type LeafStore } from './store/leaf-store.js';
import { Fencer } from './segment/fencer.js';
import { withDeadline } from './store/store-deadline.js';
import { type ResolvedLeafOptions } from './leaf.defaults.js';
import { bizTagProblem, descriptionProblem } from './leaf.options-validation.js';
import { auditGapless, type GaplessAuditOptions, type GaplessAuditReport } from './gapless/gapless-audit.js';

/** What a new tag starts with. */
export interface CreateBizTagOptions {
  /** Base step of the row. Default: the module's `step`. */
  step?: number;
  /** Written to `leaf_alloc.description`, at most 256 characters. */
  description?: string;
  /** The first ID the tag hands out. Default 1. */
  startAt?: bigint;
}

/**
 * Runtime changes to `leaf_alloc`, for admin endpoints and scripts: create a tag, change its step.
 * Needs INSERT and UPDATE on the table, as the generator does; never touches `max_id` of an existing row.
 */
@Injectable()
export class LeafAdmin {
  constructor(
    @Inject(LEAF_OPTIONS) private readonly options: ResolvedLeafOptions,
    @Inject(LEAF_STORE) private readonly store: LeafStore,
    @Inject(IdGenerator) private readonly ids: IdGenerator,
  ) {}

  /**
   * Inserts the row of a new tag; every node can serve it from the next call on.
   *
   * @throws InvalidArgumentError when the tag, step, description or start is unusable (tags as `nextId` checks them:
   *   no control characters, line breaks, invisible format characters or lone surrogates)
   * @throws BizTagExistsError when the tag already has a row, or the table's collation matches it to another
   *   spelling's row (`existing`; the message gives both fixes); the table is left as it is
   */
  async createTag(bizTag: string, { step, description, startAt = 1n }: CreateBizTagOptions = {}): Promise<void> {
    this.checkSegmentTag(bizTag);
    const owner = periodOwner(this.options.bizTags, bizTag);
    if (owner !== undefined) throw InvalidArgumentError.periodTagRows(bizTag, owner.tag);
    const rowStep = step === undefined ? this.options.step : this.checkStep(step);
    const problem = descriptionProblem(description);
    if (problem !== undefined) throw new InvalidArgumentError('description', `A description ${problem}.`);
    if (typeof startAt !== 'bigint' || startAt < 1n || startAt >= MAX_ID) {
      throw new InvalidArgumentError(
        'startAt',
        `startAt must be a bigint from 1 to ${MAX_ID - 1n}, got ${String(startAt)}.`,
      );
    }
    const row = { bizTag, maxId: startAt, step: rowStep, description: description ?? null };
    if (await this.call(`Creating "${bizTag}"`, (signal) => this.store.insertTag(row, signal))) return;
    // Under a case-, accent- or space-insensitive collation the key that clashed may be another spelling's row:
    // "already has a row" would send the caller to setStep, which refuses "ORDER" just as nextId does.
    try {
      await this.call(`Looking up "${bizTag}"`, (signal) => this.store.findTag(bizTag, signal));
    } catch (error) {
      if (error instanceof UnknownBizTagError && error.similar !== undefined) {
        throw BizTagExistsError.collationMatch(bizTag, error.similar);
      }
      throw error;
    }
    throw new BizTagExistsError(bizTag);
  }

  /**
   * Changes a tag's base step. This node applies it from its next reservation; other nodes within
   * `tagRefreshIntervalMs`. IDs already reserved are unaffected, so no ID is skipped or repeated.
   * With `dynamicStep` on, the base step is a floor: a step the load has grown past it stays until segments
   * last long enough to halve it, and a raised step may be doubled at once when segments run out fast.
   *
   * @throws InvalidArgumentError when the step is not an integer from 1 to `maxStep`
   * @throws UnknownBizTagError when the tag has no row
   * @throws InvalidArgumentError for a period tag (set its step in its `bizTags` entry, or one period's row by name)
   */
  async setStep(bizTag: string, step: number): Promise<void> {
    this.checkSegmentTag(bizTag);
    const owner = periodOwner(this.options.bizTags, bizTag);
    if (owner?.isRow === false) throw InvalidArgumentError.periodTagRows(bizTag, owner.tag);
    const checked = this.checkStep(step);
    // Under a case-insensitive collation the UPDATE would also change the row of another spelling: the store's
    // exact lookup refuses that first.
    const row = await this.call(`Looking up "${bizTag}"`, (signal) => this.store.findTag(bizTag, signal));
    if (row === undefined) throw new UnknownBizTagError(bizTag);
    const updated = await this.call(`Changing the step of "${bizTag}"`, (signal) =>
      this.store.setStep(bizTag, checked, signal),
    );
    if (!updated) throw new UnknownBizTagError(bizTag);
    await this.ids.refreshTags();
  }

  /**
   * Fences the store after a failover, ahead of traffic (an HA tool's promotion hook, or a person, runs it): when
   * the server the store runs on is not the one it was last fenced for, every row's `max_id` moves ahead by its
   * `failoverSkip` (or `skip`, for the rows no `bizTags` entry covers), so no ID a lost reservation held is issued
   * again. Idempotent: on a store fenced for its server already it moves nothing (`fenced` false). Generators fence
   * on their own at their next reservation; this spares them the wait, and protects Leaf's Java nodes on the table.
   *
   * @throws Error when the store cannot be fenced (it has no `fence`: a store that cannot fail over)
   */
  fence({ skip }: { skip?: bigint | number } = {}): Promise<FenceOutcome> {
    if (skip !== undefined && (BigInt(skip) < 1n || BigInt(skip) > BigInt(Number.MAX_SAFE_INTEGER))) {
      throw new InvalidArgumentError('skip', `A skip must be from 1 to ${Number.MAX_SAFE_INTEGER}, got ${skip}.`);
    }
    const fencer = Fencer.of(this.store, this.options, new Logger('Leaf'));
    return fencer.fence(skip === undefined ? undefined : BigInt(skip));
  }

  /**
   * Proves a gapless series continuous, or shows where it is not: reads its counter in `leaf_gapless` and the numbers
   * in `table.column` (the codes `nextGaplessCode` wrote, or bare numbers), and lists the numbers from 1 to the counter
   * no row holds (`gaps`), those several rows hold (`repeats`) and those past the counter (`beyond`).
   *
   * @throws InvalidArgumentError for a bad table, column or period (`'2026'` for a yearly series)
   */
  auditGapless(bizTag: string, options: GaplessAuditOptions): Promise<GaplessAuditReport> {
    return auditGapless(this.options, bizTag, options);
  }

  private call<T>(what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline(this.options.reservationTimeoutMs, what, run);
  }

  /** A well-formed tag that is not a gapless series, whose counters are in leaf_gapless, not leaf_alloc. */
  private checkSegmentTag(bizTag: string): void {
    checkTag(bizTag);
    if (this.options.bizTags.some((spec) => spec.gapless && spec.tag === bizTag)) {
      throw InvalidArgumentError.gaplessTag(bizTag);
    }
  }

  private checkStep(step: unknown): number {
    const { maxStep } = this.options;
    if (typeof step === 'number' && Number.isInteger(step) && step >= 1 && step <= maxStep) return step;
    throw new InvalidArgumentError(
      'step',
      `A step must be an integer from 1 to ${maxStep} (maxStep), got ${String(step)}.`,
    );
  }
}

function checkTag(bizTag: unknown): asserts bizTag is string {
  const problem = bizTagProblem(bizTag);
  if (problem !== undefined) throw new InvalidArgumentError('bizTag', `Invalid biz tag: ${problem}.`);
}
