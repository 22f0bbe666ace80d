// The web chat page end to end: a real server (demo model, temp SQLite store, a clock the test
// moves) and Debian's Chromium driven by playwright-core. Skipped only where Chromium is missing.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatedChatter } from './__fixtures__/gated-chatter.js';
import { startTestServer, type TestServer } from './__fixtures__/test-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const title = haveChromium
  ? 'the web chat page in Chromium'
  : `the web chat page in Chromium: SKIPPED, no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
if (!haveChromium) console.warn(`chat-page.e2e: skipped, Chromium is not installed at ${CHROMIUM}.`);

const XSS = '<img src=x onerror=alert(1)>';

describe.skipIf(!haveChromium)(title, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ deps: { limits: { eventsPollMs: 50 } } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await openPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  /** A page in a fresh browser context (so a new user), its dialogs and errors recorded. */
  async function openPage(): Promise<Page> {
    const context = await browser.newContext();
    const opened = await context.newPage();
    opened.setDefaultTimeout(5000);
    opened.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    opened.on('pageerror', (err) => pageErrors.push(err.message));
    opened.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await opened.goto(server.url);
    await opened.waitForSelector('body[data-events="open"]');
    return opened;
  }

  /** Sends a message from the page and waits for the reply to finish; returns the reply's text and the text nodes it arrived in. */
  async function send(text: string): Promise<{ reply: string; pieces: string[] }> {
    await page.evaluate(`(() => {
      window.__pieces = [];
      window.__observer?.disconnect();
      window.__observer = new MutationObserver((records) => {
        for (const record of records)
          for (const node of record.addedNodes)
            if (node.nodeType === Node.TEXT_NODE && record.target.closest && record.target.closest('.msg.bot')) window.__pieces.push(node.data);
      });
      window.__observer.observe(document.getElementById('transcript'), { childList: true, subtree: true });
    })()`);
    const bots = await page.locator('#transcript .msg.bot, #transcript .msg.error').count();
    await page.fill('#message', text);
    await page.click('#send');
    await page.waitForSelector('#composer:not([aria-busy])');
    const reply = page.locator('#transcript .msg.bot, #transcript .msg.error').nth(bots);
    expect(await reply.getAttribute('class')).toBe('msg bot');
    return { reply: await reply.locator('.text').evaluate((el) => el.textContent ?? ''), pieces: await page.evaluate<string[]>('window.__pieces') };
  }

  it('serves the page with a Content-Security-Policy that forbids external loads', async () => {
    const response = await fetch(server.url);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toMatch(/script-src 'sha256-[^']+'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(await page.locator('h1').textContent()).toBe(server.assistant.definition.name);
    expect(await page.locator('#user-id').textContent()).toMatch(/^web-[0-9a-f]{16}$/);
  });

  it('streams replies into the transcript a piece at a time', async () => {
    const { reply, pieces } = await send('what is 12 times 7 plus 3');
    expect(reply).toContain('87');
    expect(pieces.length).toBeGreaterThanOrEqual(2);
    expect(pieces.join('')).toBe(reply);
    const user = page.locator('#transcript .msg.user .text').last();
    expect(await user.textContent()).toBe('what is 12 times 7 plus 3');
  });

  it('creates a reminder, lists it, and shows it when it falls due', async () => {
    expect((await send('remind me to call mom in 10 minutes')).reply).toContain('call mom');
    expect((await send('what are my reminders')).reply).toContain('call mom');
    expect(await page.locator('#transcript .msg.notice').count()).toBe(0);
    server.clock.now = new Date(server.clock.now.getTime() + 11 * 60_000);
    const notice = page.locator('#transcript .msg.notice .text');
    await notice.waitFor();
    expect(await notice.textContent()).toBe('Reminder: call mom');
  });

  it('shows intent, confidence, slots and action in the debug panel when the user opens it', async () => {
    const toggle = page.locator('#debug-toggle');
    expect(await page.locator('#debug').isVisible()).toBe(false);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect(await page.locator('#debug').isVisible()).toBe(true);
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const intents = await page.locator('#debug-log .debug-intent').allTextContents();
    expect(intents).toContain('set_reminder');
    expect(intents).toContain('calculate');
    const reminder = page.locator('#debug-log li', { hasText: 'remind me to call mom' });
    expect(await reminder.locator('.debug-slots').textContent()).toContain('task = call mom');
    expect(await reminder.locator('.debug-action').textContent()).toMatch(/^reminders\.create \(done\)/);
    expect(Number(await reminder.locator('.debug-confidence').textContent())).toBeGreaterThan(0.5);
    await toggle.click();
    expect(await page.locator('#debug').isVisible()).toBe(false);
  });

  it('shows markup in messages and in replies as text: no element, no script', async () => {
    // A new user, so that no earlier turn of the conversation changes how these are read.
    const first = await page.locator('#user-id').textContent();
    page = await openPage();
    expect(await page.locator('#user-id').textContent()).not.toBe(first);
    // Asked what to add, the demo assistant adds the message as it is and says so: the reply echoes the markup.
    expect((await send('add something to my shopping list')).reply).toBe('What should I add?');
    const { reply, pieces } = await send(XSS);
    const mine = page.locator('#transcript .msg.user .text').last();
    expect(await mine.evaluate((el) => el.textContent)).toBe(XSS);
    expect(reply).toContain(XSS);
    expect(pieces.join('')).toBe(reply);
    const theirs = page.locator('#transcript .msg.bot .text').last();
    expect(await theirs.evaluate((el) => el.textContent)).toBe(reply);
    expect(await page.locator('img').count()).toBe(0);
    await page.waitForTimeout(100);
    expect(dialogs).toEqual([]);
  });

  it('shows a generated reply while it is still being written', async () => {
    const { chatter, release } = gatedChatter('Jazz was born in New Orleans.', ['Jazz was', ' born']);
    const generating = await startTestServer({ chatter });
    const context = await browser.newContext();
    try {
      const other = await context.newPage();
      other.setDefaultTimeout(5000);
      await other.goto(generating.url);
      await other.waitForSelector('body[data-events="open"]');
      await other.fill('#message', 'tell me something about jazz music');
      await other.click('#send');
      const reply = other.locator('#transcript .msg.bot .text').last();
      // The first words are on the page while the chatter still waits, and the composer is still busy.
      await expect.poll(() => reply.textContent(), { timeout: 5000 }).toBe('Jazz was born');
      expect(await other.locator('#composer[aria-busy]').count()).toBe(1);
      release();
      await other.waitForSelector('#composer:not([aria-busy])');
      expect(await reply.textContent()).toBe('Jazz was born in New Orleans.');
    } finally {
      release();
      await context.close();
      await generating.dispose();
    }
  });

  it('keeps the user id across reloads, and the API key for the session only', async () => {
    const before = await page.locator('#user-id').textContent();
    await page.fill('#api-key', 'duet_test_key');
    await page.click('#key-form button[type="submit"]');
    expect(await page.evaluate<string | null>("sessionStorage.getItem('duet.apiKey')")).toBe('duet_test_key');
    await page.click('#api-key-clear');
    expect(await page.evaluate<string | null>("sessionStorage.getItem('duet.apiKey')")).toBeNull();
    await page.reload();
    await page.waitForSelector('body[data-events="open"]');
    expect(await page.locator('#user-id').textContent()).toBe(before);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });
});
