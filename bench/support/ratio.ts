import type { Section } from '../settings.js';

export interface Goal {
  /** value >= atLeast */
  readonly atLeast?: number;
  /** value <= atMost */
  readonly atMost?: number;
  /** value < below */
  readonly below?: number;
  readonly met: boolean;
}

export interface Ratio {
  readonly name: string;
  readonly section: Section;
  /** Median over rounds of the ratio within each round: cases of one round ran seconds apart, under the same noise. */
  readonly value: number;
  readonly perRound: number[];
  readonly goal?: Goal;
  /** Where a goal comes from, when it is not the issue's own figure. */
  readonly note?: string;
}
