import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorSnapshot } from '../monitor-snapshot';
import { createStatusServer, type StatusServer } from '../status-server';
import { statusSnapshot } from './status-snapshot.fixture';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const screenshotPath = join(repoRoot, 'bench/results/status-page.png');

function chromiumPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium is not installed: run scripts/install-chromium.sh');
  }
}

describe('status page in headless chromium', () => {
  let browser: Browser;
  let server: StatusServer;
  let current: MonitorSnapshot;
  let failure: Error | undefined;

  beforeAll(async () => {
    current = statusSnapshot({ lagEvents: 5_000 });
    server = await createStatusServer({
      snapshot: () => {
        if (failure) throw failure;
        return current;
      },
    });
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      // Containers often run as root without a user namespace for the sandbox.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows each flow, updates in place when the snapshot changes, and fetches nothing else', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requested: string[] = [];
    const pageErrors: Error[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(new URL('?refresh=0.25', server.url).href);

    const flow = page.getByTestId('flow');
    await flow.waitFor();
    expect(await flow.count()).toBe(1);
    expect(await flow.getByTestId('flow-name').textContent()).toBe('orders-to-postgres');
    expect(await flow.getByTestId('flow-where').textContent()).toBe('group orders-sink · orders.v1');
    await expect.poll(() => flow.getByTestId('flow-lag-events').textContent()).toBe('5,000');
    expect(await flow.getByTestId('flow-lag-seconds').textContent()).toBe('12.5 s');
    expect(await flow.getByTestId('flow-freshness-p50').textContent()).toBe('420 ms');
    expect(await flow.getByTestId('flow-freshness-p99').textContent()).toBe('1.8 s');
    expect(await flow.getByTestId('flow-throughput').textContent()).toBe('250 /s');
    // The hour of history is drawn; the one null lag-seconds sample breaks that line in two.
    expect(await flow.getByTestId('flow-chart-lag').getAttribute('data-points')).toBe('61');
    expect(await flow.getByTestId('flow-chart-lag-max').textContent()).toBe('max 5,000');
    const lagSecondsPath = await flow.getByTestId('flow-chart-lag-seconds').locator('path').getAttribute('d');
    expect(lagSecondsPath?.match(/M/g)).toHaveLength(2);

    const firing = page.getByTestId('alert-firing');
    expect(await firing.count()).toBe(1);
    expect(await firing.getAttribute('data-rule')).toBe('lag-above-1000');
    expect(await firing.getByTestId('alert-message').textContent()).toBe('lag is 5,000 events, above 1,000');
    expect(await page.getByTestId('alert-resolved').getAttribute('data-rule')).toBe('freshness-p99-above-5s');
    expect(await page.getByTestId('reconciliation-result').textContent()).toBe('3 differing keys');
    expect(await page.getByTestId('reconciliation-name').textContent()).toBe('orders table');

    await page.screenshot({ path: screenshotPathReady(), fullPage: true });

    // Same card, new numbers: the page polls and rewrites the figures in place.
    const cardBefore = await flow.getAttribute('data-flow');
    current = { ...statusSnapshot({ lagEvents: 42 }), alerts: [] };
    await expect.poll(() => flow.getByTestId('flow-lag-events').textContent()).toBe('42');
    expect(await flow.getAttribute('data-flow')).toBe(cardBefore);
    expect(await flow.getByTestId('flow-chart-lag-max').textContent()).toBe('max 42');
    await expect.poll(() => page.getByTestId('alert-firing').count()).toBe(0);
    await page.getByTestId('alerts-clear').waitFor({ state: 'visible' });

    expect(pageErrors).toEqual([]);
    const origin = new URL(server.url).origin;
    expect(requested.filter((url) => !url.startsWith(origin))).toEqual([]);
  });

  it('keeps the last good status and says so when /api/status fails', async () => {
    current = statusSnapshot({ lagEvents: 77 });
    const page = await browser.newPage();
    await page.goto(new URL('?refresh=0.25', server.url).href);
    await expect.poll(() => page.getByTestId('flow-lag-events').textContent()).toBe('77');
    failure = new Error('lag query timed out');
    await page.getByTestId('connection-error').waitFor({ state: 'visible' });
    expect(await page.getByTestId('connection-error').textContent()).toContain('lag query timed out');
    expect(await page.getByTestId('flow-lag-events').textContent()).toBe('77');
    failure = undefined;
    await page.getByTestId('connection-error').waitFor({ state: 'hidden' });
  });
});

function screenshotPathReady(): string {
  mkdirSync(dirname(screenshotPath), { recursive: true });
  return screenshotPath;
}
