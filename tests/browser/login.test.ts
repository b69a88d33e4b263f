/**
 * The example service (out-examples/agent-service.ts) in headless Chromium, per transport: a page
 * that is not signed in is refused (A3: the page logs `unauthorized`, the client is `closed` and
 * makes no further attempt), and after "Sign in" (a cookie the browser sends by itself, A1) the
 * same client connects, gets a session and the agent's stream, in seq order.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentService, type AgentService } from '../../out-examples/agent-service.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Browser;
let service: AgentService;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`the browser test needs Chromium at ${CHROMIUM}; install it with \`bash scripts/install-system-deps.sh\``);
  service = await startAgentService({ port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
});

describe.each(['websocket', 'sse', 'poll'] as const)('signing in to the example over %s', (transport) => {
  it('refused before signing in, connected after', async () => {
    const context = await browser.newContext(); // its own cookie jar: not signed in
    const page = await context.newPage();
    try {
      await page.goto(`${service.url}/?transport=${transport}`);
      const log = page.locator('#log');
      await expect.poll(() => log.textContent(), { timeout: 10_000 }).toContain('unauthorized: sign in first');
      expect(await page.locator('#state').textContent()).toBe('closed');
      const before = await log.locator('li').count();
      await page.waitForTimeout(500); // a refused client does not try again on its own
      expect(await log.locator('li').count()).toBe(before);
      expect(await page.locator('#session').textContent()).toBe('–');

      await page.fill('#user', 'ada');
      await page.click('#login');
      await expect.poll(() => page.locator('#state').textContent(), { timeout: 10_000 }).toBe('open');
      expect(await page.locator('#session').textContent()).not.toBe('–');
      // The agent streams to the session: data arrives, in order (no gaps).
      await expect.poll(async () => Number(await page.locator('#seq').textContent()), { timeout: 10_000 }).toBeGreaterThan(2);
      expect(await page.locator('#gaps').textContent()).toBe('0');
    } finally {
      await context.close();
    }
  }, 60_000);
});
