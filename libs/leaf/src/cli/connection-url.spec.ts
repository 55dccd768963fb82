import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { EXIT } from './cli-errors.js';
import { connectionTarget, withoutPassword } from './connection-url.js';

describe('connectionTarget', () => {
  it('reads each scheme into the store it opens, --url before DATABASE_URL', () => {
    const env = { DATABASE_URL: 'redis://cache:6379' };
    expect(connectionTarget(undefined, env)).toEqual({
      kind: 'redis',
      url: 'redis://cache:6379',
      shown: 'redis://cache:6379',
    });
    expect(connectionTarget('mariadb://leaf:pw@db:3306/shop', env)).toEqual({
      kind: 'mysql',
      url: 'mysql://leaf:pw@db:3306/shop',
      database: 'shop',
      shown: 'mariadb://leaf:***@db:3306/shop',
    });
    expect(connectionTarget('postgresql://postgres@pg/ids%20db', env)).toMatchObject({
      kind: 'postgres',
      database: 'ids db',
    });
    expect(connectionTarget('sqlite:/var/lib/leaf.sqlite', env)).toMatchObject({
      kind: 'sqlite',
      file: '/var/lib/leaf.sqlite',
    });
    expect(connectionTarget('sqlite:///var/lib/leaf.sqlite', env)).toMatchObject({ file: '/var/lib/leaf.sqlite' });
    expect(connectionTarget('file:data/leaf.sqlite', env)).toMatchObject({
      file: join(process.cwd(), 'data/leaf.sqlite'),
    });
  });

  it('refuses what it cannot open with a usage error (2) that names the fix and hides the password', () => {
    const usage = (url: string | undefined, env = {}) => {
      try {
        connectionTarget(url, env);
      } catch (error) {
        const { exitCode, message } = error as { exitCode: number; message: string };
        expect(exitCode).toBe(EXIT.usage);
        expect(message).not.toContain('hunter2');
        return message;
      }
      throw new Error(`accepted ${url}`);
    };
    expect(usage(undefined)).toMatch(/set DATABASE_URL or pass --url/);
    expect(usage(undefined, { DATABASE_URL: ' ' })).toMatch(/No connection/);
    expect(usage('mongodb://u:hunter2@db/x')).toMatch(
      /"mongodb:\/\/u:\*\*\*@db\/x" has a scheme the CLI does not know/,
    );
    expect(usage('mysql://u:hunter2@db:3306')).toMatch(/names no database/);
    expect(usage('postgres://u:hunter2@db/')).toMatch(/names no database/);
    expect(usage('sqlite:')).toMatch(/names no file/);
    expect(usage('leaf.sqlite')).toMatch(/is not a URL/);
  });

  it('withoutPassword masks the password only', () => {
    expect(withoutPassword('redis://:s3cret@cache:6379/0')).toBe('redis://:***@cache:6379/0');
    expect(withoutPassword('mysql://root@db/shop')).toBe('mysql://root@db/shop');
  });
});
