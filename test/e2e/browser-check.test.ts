import { describe, expect, it } from 'vitest';
import { expectRendered, useBrowser } from '../support/browser.ts';

/** The screenshot check the console's browser tests rely on tells a rendered page from a broken one. */
describe('the rendered-page check, in Chromium', () => {
  const browser = useBrowser();
  const page = (markup: string) => `<!doctype html><html lang="en"><body>${markup}</body></html>`;

  it('passes a page with text in its main', async () => {
    const tab = await browser.newPage();
    await tab.setContent(
      page('<main><h1>Hello</h1><p>Some words, and a table of numbers 1 2 3.</p></main>'),
    );
    await expectRendered(tab, 'check-rendered');
  });

  it('fails a blank page, an empty main, and a page that logged an error', async () => {
    const blank = await browser.newPage();
    await blank.setContent(page('<main></main>'));
    await expect(expectRendered(blank, 'check-blank')).rejects.toThrow(/colours|background/);

    const empty = await browser.newPage();
    await empty.setContent(page('<h1>Only a heading outside main</h1><main> </main>'));
    await expect(expectRendered(empty, 'check-empty-main')).rejects.toThrow(/text in <main>/);

    const noisy = await browser.newPage();
    await noisy.setContent(
      page('<main><h1>Hello</h1><p>Words</p></main><script>console.error("boom")</script>'),
    );
    await expect(expectRendered(noisy, 'check-console-error')).rejects.toThrow(/boom/);

    const throwing = await browser.newPage();
    await throwing.setContent(
      page('<main><h1>Hello</h1><p>Words</p></main><script>undefinedFunction()</script>'),
    );
    await expect(expectRendered(throwing, 'check-page-error')).rejects.toThrow(/undefinedFunction/);
  });
});
