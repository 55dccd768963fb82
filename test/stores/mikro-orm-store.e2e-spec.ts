import { describeLeafStoreContract } from 'nest-leaf/testing';
import { mikroOrmStoreOn } from '../support/mikro-orm-stores.js';

// MikroOrmLeafStore passes the contract on each engine's MikroORM driver: the same SQL as every SQL store, through
// em.getConnection().execute() (PostgreSQL's $n rewritten to MikroORM's ?) and connection.transactional().

const SUITE = 'sql_exec_mikro';

describeLeafStoreContract('MikroOrmLeafStore on PostgreSQL (@mikro-orm/postgresql)', () =>
  mikroOrmStoreOn('postgres', SUITE),
);
describeLeafStoreContract('MikroOrmLeafStore on MariaDB (@mikro-orm/mariadb)', () => mikroOrmStoreOn('mariadb', SUITE));
describeLeafStoreContract('MikroOrmLeafStore on SQLite (@mikro-orm/libsql)', () => mikroOrmStoreOn('sqlite', SUITE));
