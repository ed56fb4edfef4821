import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';

/** Debian's Chromium: playwright-core drives it and never downloads a browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * The flags this machine's Chromium needs: headless as root, and no background traffic to
 * Google (the network is closed, and every refused connection would be an error).
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** Where the screenshots go (gitignored), one PNG per `expectRendered` name. */
export const SCREENSHOTS = path.resolve('test-results', 'screenshots');

/** Starts Chromium; a missing Chromium fails the test run with how to install it (never skips). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}${process.env.CI ? ' (CI)' : ''}; install Debian's package: apt-get install -y chromium`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_FLAGS] });
}

/** What went wrong on a page: console errors and uncaught page errors, in order. */
const problems = new WeakMap<Page, string[]>();

/** Starts recording a page's console errors and page errors. */
function watch(page: Page): void {
  if (problems.has(page)) return;
  const seen: string[] = [];
  problems.set(page, seen);
  page.on('console', (message) => {
    if (message.type() === 'error') {
      const where = message.location();
      seen.push(`console error: ${message.text()} (${where.url}:${where.lineNumber})`);
    }
  });
  page.on('pageerror', (error) => seen.push(`page error: ${error.message}`));
}

/**
 * The console errors and page errors of a page opened through `BrowserForTests`, since it
 * opened: every document the tab showed counts (Chromium logs a 4xx answer as an error).
 */
export function problemsOf(page: Page): readonly string[] {
  const seen = problems.get(page);
  if (!seen) throw new Error('this page was not opened through the test browser');
  return seen;
}

export interface BrowserForTests {
  /** The fresh context of the running test (its own cookies). */
  readonly context: BrowserContext;
  /**
   * Another fresh context in this test (another person, or the same one with no cookies),
   * optionally with another viewport (a phone's).
   */
  newContext(options?: { viewport?: { width: number; height: number } }): Promise<BrowserContext>;
  /** A new page in the test's context (or the given one), watched for errors. */
  newPage(context?: BrowserContext): Promise<Page>;
}

/**
 * One Chromium per test file and a fresh context per test, closed after it. Every page of
 * those contexts is watched for console errors and page errors.
 */
export function useBrowser(options: { viewport?: { width: number; height: number } } = {}) {
  let browser: Browser | undefined;
  let contexts: BrowserContext[] = [];
  let current: BrowserContext | undefined;

  async function newContext(
    wanted: { viewport?: { width: number; height: number } } = {},
  ): Promise<BrowserContext> {
    if (!browser) throw new Error('the browser is not running');
    const context = await browser.newContext({
      viewport: wanted.viewport ?? options.viewport ?? { width: 1280, height: 800 },
      acceptDownloads: true,
    });
    context.setDefaultTimeout(10_000);
    context.on('page', watch);
    contexts.push(context);
    return context;
  }

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    current = await newContext();
  });
  afterEach(async () => {
    const closing = contexts;
    contexts = [];
    current = undefined;
    await Promise.all(closing.map((context) => context.close()));
  });

  const handle: BrowserForTests = {
    get context() {
      if (!current) throw new Error('no test is running');
      return current;
    },
    newContext: (wanted) => newContext(wanted),
    async newPage(context) {
      const page = await (context ?? handle.context).newPage();
      watch(page);
      return page;
    },
  };
  return handle;
}

/** Width, height and a summary of the pixels of a PNG: enough to tell a blank page. */
export interface PngSummary {
  readonly width: number;
  readonly height: number;
  /** How many different colours it uses. */
  readonly colours: number;
  /** The share of pixels that differ from the most common colour (the background). */
  readonly inked: number;
}

/** Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium's screenshots are). */
export function summarizePng(png: Buffer): PngSummary {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (png.length < 33 || !png.subarray(0, 8).equals(signature)) throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (offset + 8 <= png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const chunk = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = chunk.readUInt32BE(0);
      height = chunk.readUInt32BE(4);
      const [depth, colourType, , , interlace] = chunk.subarray(8, 13);
      if (depth !== 8 || interlace !== 0 || (colourType !== 2 && colourType !== 6)) {
        throw new Error(`an unexpected PNG kind (depth ${depth}, colour type ${colourType})`);
      }
      channels = colourType === 6 ? 4 : 3;
    } else if (type === 'IDAT') {
      data.push(chunk);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  const filtered = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y += 1) {
    const filter = filtered[y * (stride + 1)];
    const row = filtered.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x += 1) {
      const left = x >= channels ? (pixels[y * stride + x - channels] as number) : 0;
      const up = y > 0 ? (pixels[(y - 1) * stride + x] as number) : 0;
      const corner =
        x >= channels && y > 0 ? (pixels[(y - 1) * stride + x - channels] as number) : 0;
      const value = row[x] as number;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - corner;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - corner);
        predicted = pa <= pb && pa <= pc ? left : pb <= pc ? up : corner;
      }
      pixels[y * stride + x] = (value + predicted) & 0xff;
    }
  }
  const counts = new Map<number, number>();
  for (let i = 0; i < pixels.length; i += channels) {
    const colour =
      (pixels[i] as number) * 65536 + (pixels[i + 1] as number) * 256 + (pixels[i + 2] as number);
    counts.set(colour, (counts.get(colour) ?? 0) + 1);
  }
  const background = Math.max(...counts.values());
  const total = width * height;
  return { width, height, colours: counts.size, inked: (total - background) / total };
}

/**
 * Checks that a page rendered: a screenshot (kept under test-results/screenshots) that is
 * more than a blank page, a `main` with text, and no console errors or page errors.
 */
export async function expectRendered(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('load');
  const png = await page.screenshot({ fullPage: true });
  await mkdir(SCREENSHOTS, { recursive: true });
  await writeFile(path.join(SCREENSHOTS, `${name}.png`), png);
  const summary = summarizePng(png);
  expect(summary.width, `${name}: screenshot width`).toBeGreaterThan(0);
  expect(summary.colours, `${name}: colours in the screenshot`).toBeGreaterThanOrEqual(8);
  expect(summary.inked, `${name}: share of the screenshot that is not background`).toBeGreaterThan(
    0.001,
  );
  const main = page.locator('main');
  expect(await main.count(), `${name}: one <main>`).toBe(1);
  const text = (await main.innerText()).trim();
  expect(text, `${name}: text in <main>`).not.toBe('');
  expect(problemsOf(page).join('\n'), `${name}: console errors and page errors`).toBe('');
}
