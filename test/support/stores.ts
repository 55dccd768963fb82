/**
 * The stores a reliability suite runs against (test/cluster-kill, test/database-faults): every one by default, or
 * those LEAF_TEST_STORES lists (comma-separated, any case: `mariadb`, `redis`, or a store's `key`, such as the kill
 * test's `server`), so a long run can take one alone.
 */
export function selectStores<T extends { readonly name: string; readonly key?: string }>(all: readonly T[]): T[] {
  const wanted = process.env.LEAF_TEST_STORES?.split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (wanted === undefined || wanted.length === 0) return [...all];
  // A name that says what a store is can be long ("MariaDB through the ID server"): its key is what one types.
  const names = (store: T) => [store.name, ...(store.key === undefined ? [] : [store.key])].map((n) => n.toLowerCase());
  const unknown = wanted.filter((name) => !all.some((store) => names(store).includes(name)));
  if (unknown.length > 0)
    throw new Error(
      `LEAF_TEST_STORES names ${unknown.join(', ')}; known: ${all.map((s) => s.key ?? s.name.toLowerCase()).join(', ')}`,
    );
  return all.filter((store) => names(store).some((name) => wanted.includes(name)));
}
