import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startDemo, type RunningDemo } from './support/demo-app.js';
import { tempSqlite, type TempSqlite } from './support/sqlite.js';

const CHROMIUM = process.env.LEAF_TEST_CHROMIUM ?? '/usr/bin/chromium';
const DOCS_SCREENSHOT = join(import.meta.dirname, '..', '..', 'docs', 'monitor.png');
// docs/monitor.png is rewritten only on request (or when missing), so test runs leave the working tree clean.
const SCREENSHOT =
  process.env.LEAF_UPDATE_SCREENSHOT === '1' || !existsSync(DOCS_SCREENSHOT)
    ? DOCS_SCREENSHOT
    : join(tmpdir(), `leaf-monitor-${process.pid}.png`);

describe('monitor page in headless Chromium', () => {
  let file: TempSqlite;
  let demo: RunningDemo;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    file = tempSqlite('monitor');
    demo = await startDemo({ DB_TYPE: 'sqlite', SQLITE_PATH: file.path });
    profile = mkdtempSync(join(tmpdir(), 'leaf-monitor-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 680 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    file?.remove();
  });

  const figure = (tag: string, field: string) => page.locator(`[data-tag="${tag}"] [data-field="${field}"]`);

  it('lists every tag with its current segment', async () => {
    await page.goto(`${demo.url}/monitor`);
    await expect(page.title()).resolves.toBe('nest-leaf · segment monitor');
    await page.locator('[data-tag="order"]').waitFor();
    await page.locator('[data-tag="user"]').waitFor();

    expect(await page.locator('.card h2').allTextContents()).toEqual(['order', 'user']);
    expect(await figure('order', 'current').textContent()).toBe('[1→1,001)');
    expect(await figure('order', 'status').textContent()).toBe('Healthy');
    expect(await figure('order', 'issued').textContent()).toBe('0');
    expect(await page.locator('#generator').textContent()).toBe('generator running');
  });

  it('updates its figures as IDs are generated through the API', async () => {
    const res = await fetch(`${demo.url}/ids/order?count=850`);
    expect(res.status).toBe(200);

    // 850 of 1,000 is past the prefetch point (80 %): the next segment is reserved in the background.
    await expect(waitForText(figure('order', 'issued'), '850')).resolves.toBe('850');
    await expect(waitForText(figure('order', 'position'), '851')).resolves.toBe('851');
    await expect(waitForText(figure('order', 'used'), '85% used')).resolves.toBe('85% used');
    // Its size is the dynamic step: doubled, since the first segment went in seconds rather than 15 minutes.
    await expect(waitForText(figure('order', 'next'), /^ready \[1,001→3,001\)$/)).resolves.toBe('ready [1,001→3,001)');
    expect(await figure('order', 'step').textContent()).toBe('1,000');
    expect(await figure('user', 'issued').textContent()).toBe('0');
  });

  it('takes IDs with its own buttons', async () => {
    await page.locator('[data-tag="user"] [data-take="100"]').click();
    await expect(waitForText(figure('user', 'taken'), 'got 1 … 100')).resolves.toBe('got 1 … 100');
    await expect(waitForText(figure('user', 'issued'), '100')).resolves.toBe('100');
  });

  it('shows a rate of IDs per second while IDs are being taken (screenshot: docs/monitor.png)', async () => {
    const until = Date.now() + 2500;
    while (Date.now() < until) {
      await fetch(`${demo.url}/ids/user?count=40`);
      await fetch(`${demo.url}/ids/order?count=25`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const rate = await figure('user', 'rate').textContent();
    expect(Number(rate!.replace(/,/g, ''))).toBeGreaterThan(0);

    // Take `order` past its prefetch point, so the picture shows a next segment ready.
    const state = (await (await fetch(`${demo.url}/monitor/state`)).json()) as {
      tags: Array<{ tag: string; remaining: string }>;
    };
    const left = Number(state.tags.find((t) => t.tag === 'order')!.remaining);
    await fetch(`${demo.url}/ids/order?count=${left - 150}`);
    await expect(waitForText(figure('order', 'next'), /^ready /)).resolves.toMatch(/^ready /);
    await expect(waitForText(figure('order', 'by-prefetch'), '2')).resolves.toBe('2');

    await new Promise((resolve) => setTimeout(resolve, 700)); // the usage bars' CSS transition
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(20_000);
    if (SCREENSHOT !== DOCS_SCREENSHOT) rmSync(SCREENSHOT);
  });
});

/** Polls a locator until its text matches; resolves with the last text seen (so a mismatch shows it). */
async function waitForText(
  locator: ReturnType<Page['locator']>,
  expected: string | RegExp,
  timeoutMs = 5000,
): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  const matches = (text: string | null) =>
    typeof expected === 'string' ? text === expected : expected.test(text ?? '');
  let text = await locator.textContent();
  while (!matches(text) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    text = await locator.textContent();
  }
  return text;
}
