import { describeLeafStoreContract } from 'nest-leaf/testing';
import { prismaStoreOn } from '../support/prisma-stores.js';

// PrismaLeafStore passes the contract on a Prisma 7 client and its driver adapter, on each engine: the same SQL as
// every SQL store, through $queryRawUnsafe / $executeRawUnsafe and interactive transactions.

const SUITE = 'sql_exec_prisma';

describeLeafStoreContract('PrismaLeafStore on PostgreSQL (@prisma/adapter-pg)', () => prismaStoreOn('postgres', SUITE));
describeLeafStoreContract('PrismaLeafStore on SQLite (@prisma/adapter-better-sqlite3)', () =>
  prismaStoreOn('sqlite', SUITE),
);
describeLeafStoreContract('PrismaLeafStore on MariaDB (@prisma/adapter-mariadb)', () =>
  prismaStoreOn('mariadb', SUITE),
);
