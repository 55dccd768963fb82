import type { BenchCase } from '../case.js';
import { runTags, type TagsResult } from '../measure/tags.js';
import { freshBenchDatabase } from '../support/databases.js';
import { judge } from '../support/ratio.js';
import { median } from '../support/stats.js';
import { figureColumns, formatBytes, formatCount, formatMs, renderTable } from '../support/table.js';

/** 7. Boot time and heap of an app serving 10,000 tags, against the same app with one. */
export const tags: BenchCase<TagsResult> = {
  name: 'tags',

  run: async ({ settings, progress }) => runTags(await freshBenchDatabase('tags'), settings.tags, progress),

  ratios: (t) => ({
    tagsBootVsSingleTag: judge(
      'tags',
      `boot with ${formatCount(t.tags)} tags / boot with 1 (rows exist)`,
      t.restarts.map((s, i) => s.bootMs / t.singleTag[Math.min(i + 1, t.singleTag.length - 1)].bootMs),
    ),
  }),

  table(t) {
    return [
      `7. Many tags: ${formatCount(t.tags)} configured tags, each reserving its first segment at boot (16 at a time)`,
      renderTable(figureColumns('what', 'value'), [
        [`first boot, ${formatCount(t.tags)} tags (creates the rows)`, `${formatMs(t.firstBoot.bootMs)} ms`],
        [`boot, ${formatCount(t.tags)} tags, rows exist (median of ${t.restarts.length})`, `${formatMs(t.bootMs)} ms`],
        [`boot, 1 tag (median of ${t.singleTag.length})`, `${formatMs(t.singleTagBootMs)} ms`],
        [`close, ${formatCount(t.tags)} tags (gives every tail back)`, `${formatMs(t.closeMs)} ms`],
        ['heap per tag (after a full GC)', formatBytes(t.heapPerTagBytes)],
        [`heap of the ${formatCount(t.tags)}-tag app`, formatBytes(median(t.restarts.map((s) => s.heapDeltaBytes)))],
      ]),
    ].join('\n');
  },

  json: (t) => [{ key: 'tags', name: `${t.tags} tags: boot time and heap`, ...t }],
};
