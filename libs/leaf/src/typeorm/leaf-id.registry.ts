/**
 * Which entity classes `@LeafId` marked, and with which tag. Kept apart from the decorator, which loads TypeORM:
 * `LeafModule` reads this registry at startup, and the root entry must load nothing of TypeORM.
 */

/** The key `@LeafId` fills: the entity's property and the biz tag its IDs come from. */
export interface LeafIdColumn {
  readonly property: string;
  readonly bizTag: string;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own type of an entity target
type EntityClass = Function;

const marked = new Map<EntityClass, LeafIdColumn>();

/** Records `@LeafId(bizTag)` on `property` of `entity`; a class has one Leaf key at most. */
export function markLeafId(entity: EntityClass, property: string, bizTag: string): void {
  const other = marked.get(entity);
  if (other !== undefined && other.property !== property) {
    throw new TypeError(
      `@LeafId is on both ${entity.name}.${other.property} and ${entity.name}.${property}: an entity has one key ` +
        'that Leaf fills. Keep it on the primary key, and fill other columns with ids.nextId() yourself.',
    );
  }
  marked.set(entity, { property, bizTag });
}

/**
 * The Leaf key of an entity (a class, or a TypeORM `EntitySchema` target: a name, which has none), inherited from
 * a base class that declares it.
 */
export function leafIdOf(target: EntityClass | string): LeafIdColumn | undefined {
  for (let type: unknown = target; typeof type === 'function'; type = Object.getPrototypeOf(type)) {
    const column = marked.get(type as EntityClass);
    if (column !== undefined) return column;
  }
  return undefined;
}

/** Whether any class was marked: an app without `@LeafId` entities gets no subscriber at all. */
export function anyLeafId(): boolean {
  return marked.size > 0;
}
