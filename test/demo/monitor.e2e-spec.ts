import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startDemo, type RunningDemo } from '../support/demo/demo-app.js';
import { tempSqlite, type TempSqlite } from '../support/demo/sqlite.js';

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

    expect(await page.locator('.card h2').allTextContents()).toEqual(['invoice', 'invoice_id', 'order', 'user']);
    expect(await figure('order', 'current').textContent()).toBe('[1→1,001)');
    expect(await figure('order', 'period').isHidden()).toBe(true);
    expect(await figure('order', 'row').isHidden()).toBe(true);
    expect(await figure('order', 'status').textContent()).toBe('Healthy');
    // The library's verdict, the one /health answers, under the badge.
    expect(await figure('order', 'status').getAttribute('title')).toBe('up: serving from memory');
    expect(await figure('order', 'issued').textContent()).toBe('0');
    expect(await page.locator('#generator').textContent()).toBe('generator running');
    expect(await page.locator('#generator').getAttribute('class')).toBe('pill ok');
  });

  it('draws a chart of the last minutes on every card (uPlot, served by the demo)', async () => {
    await expect(canvasesDrawn()).resolves.toEqual(
      ['invoice', 'invoice_id', 'order', 'user'].map((tag) => ({ tag, canvas: true, sized: true, drawn: true })),
    );
    expect(await figure('order', 'plot').locator('.u-legend').textContent()).toMatch(/IDs\/s.*IDs in memory.*runway s/);
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

  it("shows the period tag on one card: its period next to its name, and the current period's row", async () => {
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    expect(await figure('invoice', 'period').textContent()).toBe('daily · UTC');
    expect(await figure('invoice', 'period').isVisible()).toBe(true);
    expect(await figure('invoice', 'row').textContent()).toBe(` · row invoice:${today}`);
    expect(await figure('invoice', 'current').textContent()).toBe('[1→1,001)');
    expect(await figure('invoice', 'status').textContent()).toBe('Healthy');
    expect(await figure('invoice_id', 'period').isHidden()).toBe(true);

    const order = (await (
      await fetch(`${demo.url}/orders`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ customer: 'Monitor', amountCents: 1, currency: 'EUR' }),
      })
    ).json()) as { id: string };
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${demo.url}/invoices`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ orderId: order.id }),
      });
      expect(res.status).toBe(201);
    }
    await expect(waitForText(figure('invoice', 'issued'), '3')).resolves.toBe('3');
    await expect(waitForText(figure('invoice_id', 'issued'), '3')).resolves.toBe('3');
    expect(await page.locator('.card h2').count()).toBe(4);
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

  it('puts tags in trouble first, and the header says which and why: amber while reservations fail, red once a tag is out', async () => {
    // Two tags found in leaf_alloc: `parcel` loses its row while served (its reservations fail, its IDs last a
    // while), `shipment` is 3 IDs short of 2^63-1 (it serves those 3, then has none).
    file.exec(
      "INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ('parcel', 1, 100, 'monitor'), " +
        "('shipment', 9223372036854775804, 10, 'monitor')",
    );
    expect((await fetch(`${demo.url}/ids/parcel`)).status).toBe(200);
    file.exec("DELETE FROM leaf_alloc WHERE biz_tag = 'parcel'");
    // Past the prefetch point: the reservation of its next segment fails, 9 IDs are left.
    expect((await fetch(`${demo.url}/ids/parcel?count=90`)).status).toBe(200);

    await expect(waitForText(page.locator('#generator'), 'parcel: reservations failing')).resolves.toBe(
      'parcel: reservations failing',
    );
    expect(await page.locator('#generator').getAttribute('class')).toBe('pill warn');
    await expect(cardOrder(['parcel', 'invoice', 'invoice_id', 'order', 'user'])).resolves.toEqual([
      'parcel',
      'invoice',
      'invoice_id',
      'order',
      'user',
    ]);
    expect(await figure('parcel', 'status').textContent()).toBe('Reservations failing');
    expect(await figure('parcel', 'status').getAttribute('title')).toBe('degraded: reservations failing, runway short');

    expect((await fetch(`${demo.url}/ids/shipment?count=3`)).status).toBe(200);
    const both = 'shipment: exhausted · parcel: reservations failing';
    await expect(waitForText(page.locator('#generator'), both)).resolves.toBe(both);
    expect(await page.locator('#generator').getAttribute('class')).toBe('pill bad');
    const order = ['shipment', 'parcel', 'invoice', 'invoice_id', 'order', 'user'];
    await expect(cardOrder(order)).resolves.toEqual(order);
    expect(await figure('shipment', 'status').textContent()).toBe('Exhausted');
    expect(await figure('shipment', 'status').getAttribute('title')).toBe('down: out of IDs');
    // The first card is at the top of the page, above the fold of a 680 px window.
    await page.locator('header').scrollIntoViewIfNeeded();
    const box = await page.locator('[data-tag="shipment"]').boundingBox();
    expect(box!.y).toBeLessThan(400);
    await expect(canvasesDrawn()).resolves.toEqual(
      order.map((tag) => ({ tag, canvas: true, sized: true, drawn: true })),
    );
  });

  /** The tags of the cards, top to bottom, once they are in `expected` order (or the last order seen). */
  async function cardOrder(expected: string[], timeoutMs = 5000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let tags = await page.locator('.card h2').allTextContents();
    while (tags.join() !== expected.join() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      tags = await page.locator('.card h2').allTextContents();
    }
    return tags;
  }

  /** Per card: whether it holds a chart canvas of non-zero size with pixels drawn on it. */
  function canvasesDrawn() {
    // The tests compile without the DOM library: the little of a canvas this reads, typed by hand.
    interface Canvas {
      width: number;
      height: number;
      getBoundingClientRect(): { width: number; height: number };
      getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
    }
    interface Card {
      dataset: { tag?: string };
      querySelector(selector: string): unknown;
    }
    return page.locator('.card').evaluateAll((cards: Card[]) =>
      cards.map((card) => {
        const canvas = card.querySelector('[data-field="plot"] canvas') as Canvas | null;
        const box = canvas?.getBoundingClientRect();
        const pixels = canvas?.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let drawn = false;
        for (let i = 3; pixels !== undefined && i < pixels.length && !drawn; i += 4) drawn = pixels[i] !== 0;
        return {
          tag: card.dataset.tag,
          canvas: canvas !== null,
          sized: box !== undefined && box.width > 0 && box.height > 0,
          drawn,
        };
      }),
    );
  }
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
