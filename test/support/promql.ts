import { parser } from '@prometheus-io/lezer-promql';

/** One vector selector of a PromQL expression: the metric it names and the labels it matches on. */
export interface PromqlSelector {
  readonly metric: string;
  readonly labels: readonly string[];
}

/** What a PromQL expression reads: its selectors, and the labels its `by (...)`/`without (...)` clauses group on. */
export interface PromqlReads {
  readonly selectors: readonly PromqlSelector[];
  readonly grouping: readonly string[];
}

/**
 * Grafana's built-in variables stand where PromQL wants a duration (`[$__rate_interval]`); Grafana replaces them
 * before Prometheus sees the query, and so does this, with a duration of the same kind. A `$var` inside a string
 * (`tag=~"$tag"`) is left alone: it is a valid string either way.
 */
export function grafanaToPromql(expr: string): string {
  return expr.replace(/\$\{?__(rate_interval|interval|range)(_s|_ms)?\}?/g, (_, name: string, unit?: string) =>
    unit === undefined ? (name === 'range' ? '1h' : '1m') : unit === '_s' ? '60' : '60000',
  );
}

/**
 * Parses `expr` with Prometheus' own grammar (`@prometheus-io/lezer-promql`, the parser of Prometheus' query editor)
 * and returns what it reads.
 *
 * @throws Error naming the position of the first syntax error, or a selector without a metric name (such as
 *   `{__name__=~"leaf_.*"}`), which no check of names could follow
 */
export function promqlReads(expr: string): PromqlReads {
  const tree = parser.parse(expr);
  const selectors: PromqlSelector[] = [];
  const grouping: string[] = [];
  const text = (from: number, to: number) => expr.slice(from, to);
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) {
      throw new Error(`PromQL syntax error at ${cursor.from} in: ${expr}`);
    }
    if (cursor.name === 'VectorSelector') {
      const node = cursor.node;
      const name = node.getChild('Identifier');
      if (name === null) throw new Error(`A selector without a metric name in: ${expr}`);
      const labels = node
        .getChild('LabelMatchers')
        ?.getChildren('UnquotedLabelMatcher')
        .map((matcher) => matcher.getChild('LabelName')!)
        .map((label) => text(label.from, label.to));
      selectors.push({ metric: text(name.from, name.to), labels: labels ?? [] });
    }
    if (cursor.name === 'GroupingLabels') {
      for (const label of cursor.node.getChildren('LabelName')) grouping.push(text(label.from, label.to));
    }
  } while (cursor.next());
  return { selectors, grouping };
}

/** A series family of the Prometheus text format: its type and every label its samples carry. */
export interface ExposedSeries {
  /** The family the sample belongs to, after its `# TYPE` line: `leaf_x_bucket` belongs to histogram `leaf_x`. */
  readonly family: string;
  /** The family's `# TYPE`. */
  readonly type: string;
  readonly labels: Set<string>;
}

/**
 * The sample names of a Prometheus text exposition (what a scrape stores, `_bucket`, `_sum` and `_count` of a
 * histogram included), each with its family's type and label names. A name is taken from the samples themselves,
 * so a histogram's `_bucket` is known because it was exposed, not because a suffix was assumed.
 */
export function exposedSeries(exposition: string): Map<string, ExposedSeries> {
  const types = new Map<string, string>();
  const series = new Map<string, ExposedSeries>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+/.exec(line);
    if (!sample) throw new Error(`Not a sample line of the Prometheus text format: ${line}`);
    const [, name, labelText = ''] = sample;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    const typeOf = types.get(family);
    if (typeOf === undefined) throw new Error(`Sample ${name} has no # TYPE line before it`);
    // A suffix belongs to the family only where its type has such series (histogram: _bucket, _sum, _count).
    if (family !== name && typeOf !== 'histogram' && typeOf !== 'summary')
      throw new Error(`Sample ${name} has a suffix its ${typeOf} family ${family} does not have`);
    const entry = series.get(name) ?? { family, type: typeOf, labels: new Set<string>() };
    for (const [, label] of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)) entry.labels.add(label);
    series.set(name, entry);
  }
  return series;
}
