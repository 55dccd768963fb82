import { describe, expect, it } from '@jest/globals';
import { EXIT } from './cli-errors.js';
import { COMMANDS, runCli } from './cli-run.js';

/** One command line, in process: its exit code and what it wrote where. */
async function cli(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { env, out: (text) => out.push(text), err: (text) => err.push(text) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('runCli', () => {
  it('--help lists every command and every exit code; a command has its own help', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(EXIT.ok);
    for (const command of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^ {2}${command.name}\\b`, 'm'));
    for (const code of Object.values(EXIT)) expect(help.stdout).toMatch(new RegExp(`^ {2}${code} {2}\\S`, 'm'));
    const own = await cli(['create-tag', '-h']);
    expect(own.code).toBe(EXIT.ok);
    expect(own.stdout).toMatch(/^Usage: npx nest-leaf create-tag <tag> \[--step <n>\]/);
    // No command: the help, as a usage error (a script that forgot the command must not pass).
    const none = await cli([]);
    expect(none.code).toBe(EXIT.usage);
    expect(none.stdout).toMatch(/^Usage: npx nest-leaf/);
  });

  it('refuses a command line it cannot use with exit 2, saying what is wrong, before any connection', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['bogus'], {}, /Unknown command "bogus"; the commands are tags, create-tag/],
      [['bogus', '--help'], {}, /Unknown command "bogus"/],
      [['tags'], {}, /No connection: set DATABASE_URL or pass --url/],
      [['tags', '--step', '5'], { DATABASE_URL: 'sqlite:x' }, /tags does not take --step/],
      [['tags', '--nope'], { DATABASE_URL: 'sqlite:x' }, /Unknown option '--nope'/],
      [['tags'], { DATABASE_URL: 'mongodb://db/x' }, /a scheme the CLI does not know/],
      [['tags'], { DATABASE_URL: 'mysql://root:hunter2@db:3306' }, /names no database/],
      [['set-step', 'order'], { DATABASE_URL: 'sqlite:x' }, /set-step takes a tag and a step/],
      [['set-step', 'order', '2e3'], { DATABASE_URL: 'sqlite:x' }, /The step must be an integer from 1/],
      [['create-tag'], { DATABASE_URL: 'sqlite:x' }, /Missing the tag: create-tag <tag>/],
      [['create-tag', 'a', 'b'], { DATABASE_URL: 'sqlite:x' }, /One tag at a time/],
      [['create-tag', 'a', '--max-id', '0'], { DATABASE_URL: 'sqlite:x' }, /--max-id must be an integer from 1/],
      [['create-tag', 'a', '--step', '1.5'], { DATABASE_URL: 'sqlite:x' }, /--step must be an integer/],
      [['fence', '--skip', '0'], { DATABASE_URL: 'sqlite:x' }, /--skip must be an integer from 1/],
      [['fence', 'order'], { DATABASE_URL: 'sqlite:x' }, /fence takes no tag/],
      [['migrate', 'now'], { DATABASE_URL: 'sqlite:x' }, /migrate takes no argument/],
      [['inspect'], {}, /needs one of --url <base>/],
      [['inspect', '--url', 'http://a', '--health', 'http://b/health'], {}, /needs one of/],
      [['inspect', '--url', 'http://ids:3000'], {}, /needs an admin client's token/],
    ];
    for (const [argv, env, message] of cases) {
      const run = await cli(argv, env);
      expect([argv, run.code, run.stdout]).toEqual([argv, EXIT.usage, '']);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toContain('hunter2');
    }
  });

  it('--json puts the error on stdout as JSON, with its code and exit code', async () => {
    const run = await cli(['tags', '--json']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      error: { code: 'CLI_USAGE', exitCode: EXIT.usage, message: expect.stringMatching(/^No connection/) },
    });
  });
});
