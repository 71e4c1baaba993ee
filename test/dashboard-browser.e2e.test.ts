// The dashboard in a real browser (issue 11, item 8): Debian's Chromium driven by playwright-core
// against a coordinator on loopback. It shows "waiting for 1 more node" while it waits, then draws
// every chart with one point per completed round, and each chart grows by a point when a round
// completes (the test holds the nodes' training to step the rounds). Without Chromium
// (scripts/ci-install-chromium.sh installs it) the test says why it skipped.
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Weights } from '@fedtune/shared';
import { ADMIN_TOKEN, startClients, startCoordinator } from './helpers/fleet.js';
import { ToyTrainer } from './helpers/toy-trainer.js';

const CHROMIUM = process.env.FEDTUNE_CHROMIUM ?? '/usr/bin/chromium';
const CHARTS = ['loss', 'quality', 'epsilon', 'survivors', 'upload'];
const DIM = 4;
const zeros: Weights = { tensors: [{ name: 'w', shape: [DIM] }], data: new Float32Array(DIM) };

/** A gate per round: nodes finish training round r only once the test opens gate r. */
function gates() {
  const open = new Map<number, () => void>();
  const wait = new Map<number, Promise<void>>();
  const get = (r: number) => {
    if (!wait.has(r)) wait.set(r, new Promise((resolve) => open.set(r, resolve)));
    return wait.get(r)!;
  };
  return { wait: get, open: (r: number) => (get(r), open.get(r)!()) };
}

describe('the dashboard in Chromium', () => {
  it('waits visibly, then draws one point per completed round and adds one as each round completes', async (ctx) => {
    if (!existsSync(CHROMIUM)) {
      console.warn(`dashboard browser test skipped: no Chromium at ${CHROMIUM} (run scripts/ci-install-chromium.sh, or set FEDTUNE_CHROMIUM)`);
      ctx.skip();
      return;
    }
    const { chromium } = await import('playwright-core');
    const { coordinator, url } = await startCoordinator({ rounds: 3, minNodes: 2, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 2, overSelection: 0 }, evaluateEvery: 1 }, zeros);
    const g = gates();
    const trainer = (k: number) => new ToyTrainer({ target: Float32Array.from({ length: DIM }, (_, i) => (k + i) / 4), rate: 0.5, beforeReturn: (_w, fit) => g.wait(fit) });
    await startClients(url, [trainer(1)]);
    const running = coordinator.run();
    const browser = await chromium.launchPersistentContext(await mkdtemp(join(tmpdir(), 'fedtune-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
      extraHTTPHeaders: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${url}/`);
      await page.waitForSelector('#waiting');
      expect(await page.textContent('#waiting')).toContain('waiting for 1 more node (1 of 2 connected and ready)');
      // Browser-side expressions (this file is type-checked without the DOM library).
      const ids = JSON.stringify(CHARTS);
      const points = async () => (await page.evaluate(`${ids}.map((id) => window.fedtuneCharts[id]?.data[0]?.length ?? -1)`)) as number[];
      // Selector waits need no script evaluation, which the page's CSP (script-src 'self') forbids.
      const untilPoints = (n: number) => Promise.all(CHARTS.map((id) => page.waitForSelector(`#chart-${id}[data-points="${n}"]`, { timeout: 30_000 })));
      await startClients(url, [trainer(2)]);
      // The waiting banner goes once the second node is in.
      await page.waitForSelector('#waiting', { state: 'detached', timeout: 30_000 });
      for (let round = 1; round <= 3; round++) {
        expect((await points()).every((p) => p === round - 1 || (round === 1 && p === -1))).toBe(true);
        g.open(round);
        await untilPoints(round);
        expect(await points()).toEqual(CHARTS.map(() => round));
        // Each chart's canvas is drawn, not blank.
        const drawn = (await page.evaluate("[...document.querySelectorAll('#charts canvas')].map((c) => c.width > 0)")) as boolean[];
        expect(drawn.length).toBe(CHARTS.length);
        expect(drawn.every(Boolean)).toBe(true);
      }
      await running;
      await page.waitForSelector('#outcome', { timeout: 30_000 });
      expect(await page.textContent('#outcome')).toContain('training finished: completed 3 rounds');
      // Both nodes listed with their status and the rounds each took part in.
      expect(await page.locator('#nodes tbody tr.ready').count()).toBe(2);
      expect(await page.textContent('#nodes')).toContain('3/3');
      // The rounds in the charts are the completed rounds, numbered as the table numbers them.
      expect(await page.evaluate('window.fedtuneCharts.loss.data[0]')).toEqual([1, 2, 3]);
      if (process.env.FEDTUNE_DASHBOARD_SCREENSHOT !== undefined) await page.screenshot({ path: process.env.FEDTUNE_DASHBOARD_SCREENSHOT, fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
