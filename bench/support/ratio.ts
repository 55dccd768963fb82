import { median } from './stats.js';

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
  /** The case it belongs to (its BenchCase name). */
  readonly section: string;
  /** Median over rounds of the ratio within each round: cases of one round ran seconds apart, under the same noise. */
  readonly value: number;
  readonly perRound: number[];
  readonly goal?: Goal;
  /** Where a goal comes from, when it is not the issue's own figure. */
  readonly note?: string;
}

/** Round by round, a[i] / b[i]. */
export const perRound = (a: readonly number[], b: readonly number[]): number[] => a.map((x, i) => x / b[i]);

/** The ratio of per-round `values`: their median, and whether it meets `goal`. */
export function judge(section: string, name: string, values: number[], goal?: Omit<Goal, 'met'>, note?: string): Ratio {
  const value = median(values);
  const met =
    goal === undefined
      ? true
      : (goal.atLeast === undefined || value >= goal.atLeast) &&
        (goal.atMost === undefined || value <= goal.atMost) &&
        (goal.below === undefined || value < goal.below);
  return { name, section, value, perRound: values, ...(goal && { goal: { ...goal, met } }), ...(note && { note }) };
}

export function goalText(goal: Goal | undefined): string {
  if (!goal) return '';
  if (goal.atLeast !== undefined) return `>= ${goal.atLeast}`;
  if (goal.atMost !== undefined) return `<= ${goal.atMost}`;
  return `< ${goal.below}`;
}
