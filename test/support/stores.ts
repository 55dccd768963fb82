/**
 * The stores a reliability suite runs against (test/cluster-kill, test/database-faults): every one by default, or
 * those LEAF_TEST_STORES lists (comma-separated, any case: `mariadb`, `redis`), so a long run can take one alone.
 */
export function selectStores<T extends { readonly name: string }>(all: readonly T[]): T[] {
  const wanted = process.env.LEAF_TEST_STORES?.split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (wanted === undefined || wanted.length === 0) return [...all];
  const unknown = wanted.filter((name) => !all.some((store) => store.name.toLowerCase() === name));
  if (unknown.length > 0)
    throw new Error(`LEAF_TEST_STORES names ${unknown.join(', ')}; known: ${all.map((s) => s.name).join(', ')}`);
  return all.filter((store) => wanted.includes(store.name.toLowerCase()));
}
