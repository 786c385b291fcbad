// SPDX-License-Identifier: Apache-2.0
// Restarts are inaudible (issue 17 item 3), in real Chromium: two delegate
// pages hear the floor; kill -9 of signalling and a restart: their audio
// never stops (longest packet gap at each receiver ≤ 100 ms, or no more
// than 20 ms over what the same receiver showed just before), the pages
// resume their seats by themselves and the attendance intervals stay
// whole. Then kill -9 of the relay and a restart: each page rejoins by
// itself (new ICE/DTLS, same token) and hears again within 5 s. Along the
// way: one "media connected" per join although the relay sends stats every
// second (item 4), and a browser's own DTLS close is reported as "closed"
// (item 7).
//
//   ROSTRUM_BUILD=build node --test restart.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Harness, loadChromium, sleep, startGapMeter, stopGapMeter, waitFor } from './harness.mjs';

const chromium = await loadChromium();

const FILE_TIMEOUT_MS = 120_000;
const MAX_GAP_MS = 100;
const DELEGATES = [['WTPF-0001', 'floor-4401'], ['WTPF-0003', 'floor-4403']];
const h = new Harness('rostrum-restart-');
h.hardStop('restart.test', FILE_TIMEOUT_MS);
let browser = null;
const pages = [];

// A fixed port, so that the pages find the restarted signalling where the
// old one was.
function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function inbound(page) {
  return page.evaluate(async () => {
    const pc = window.rostrum.pc;
    if (!pc) return null;
    for (const s of (await pc.getStats()).values())
      if (s.type === 'inbound-rtp' && s.kind === 'audio')
        return { packets: s.packetsReceived, level: s.audioLevel ?? 0 };
    return null;
  });
}

async function hearing(page, ms) {
  return waitFor(async () => {
    const s = await inbound(page);
    return s && s.packets > 25 && s.level > 0.01 ? s : null;
  }, ms, 100);
}

describe('restarts are inaudible', { timeout: FILE_TIMEOUT_MS }, () => {
  before(async () => {
    const port = await freeTcpPort();
    h.writeConfig({ relay: { floor_tone_hz: '523', stats_interval_s: '1' },
      signalling: { listen_port: String(port) } });
    await h.startRelay();
    await h.startSignalling();
    browser = await h.launchChromium(chromium);
    for (const [badge, code] of DELEGATES) {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on('console', (msg) => {
        if (msg.type() === 'error') console.log(`[page ${badge} error] ${msg.text()}`);
      });
      await page.goto(h.baseUrl);
      await page.fill('#badge', badge);
      await page.fill('#code', code);
      await page.click('#login');
      await page.click('#join');
      pages.push({ badge, page });
    }
    for (const { badge, page } of pages)
      assert.ok(await hearing(page, 15_000), `${badge} does not hear the floor\n${h.logs()}`);
  });
  after(async () => {
    if (browser) await browser.close();
    await h.cleanup();
  });

  test('kill -9 of signalling: the audio never stops and the seats are resumed', async (t) => {
    // the same meter over 2.5 s before the kill: what this machine does anyway
    for (const { page } of pages) await startGapMeter(page);
    await sleep(2_500); // > 2 stats intervals: no spurious "media connected"
    const baseline = [];
    for (const { page } of pages) baseline.push(await stopGapMeter(page));
    for (const { page } of pages) await startGapMeter(page);
    await h.kill('rostrum-signalling');
    const tKill = Date.now();
    await sleep(500);
    await h.startSignalling();
    for (const { badge, page } of pages) {
      const ok = await page.waitForFunction(() => window.rostrum.counts.resumed >= 1,
        null, { timeout: 15_000 }).catch(() => null);
      assert.ok(ok, `${badge} did not resume: ${await page.textContent('#status')}\n${h.logs()}`);
    }
    const resumedMs = Date.now() - tKill;
    await sleep(1_500);
    for (const [i, { badge, page }] of pages.entries()) {
      const gap = await stopGapMeter(page);
      const counts = await page.evaluate(() => window.rostrum.counts);
      t.diagnostic(`${badge}: longest packet gap ${gap.maxGapMs.toFixed(1)} ms over ${gap.samples} samples ` +
        `(${baseline[i].maxGapMs.toFixed(1)} ms in the 2.5 s before the kill); ` +
        `counts ${JSON.stringify(counts)}; resumed within ${resumedMs} ms of the kill`);
      assert.ok(gap.samples > 100, `${badge}: too few samples: ${JSON.stringify(gap)}`);
      // the restart adds no gap: at most 100 ms, or (on a machine whose
      // receivers show longer gaps anyway, e.g. under ASan) at most 20 ms
      // more than the same receiver showed just before the kill
      const limit = Math.max(MAX_GAP_MS, baseline[i].maxGapMs + 20);
      assert.ok(gap.maxGapMs <= limit,
        `${badge}: audio gap of ${gap.maxGapMs} ms across the restart (limit ${limit}; ` +
        `${baseline[i].maxGapMs} ms before the kill)`);
      assert.equal(counts.media_connected, 1, `${badge}: one "media connected" per join: ${JSON.stringify(counts)}`);
      assert.equal(counts.rejoined, 0, `${badge} had to rejoin: ${JSON.stringify(counts)}`);
      assert.ok(await hearing(page, 3_000), `${badge} no longer hears`);
      const rows = h.sqlite(`SELECT kind, reason FROM attendance_event WHERE badge = '${badge}' ORDER BY id`);
      assert.deepEqual(rows, [{ kind: 'join', reason: null }], `${badge}: one open interval: ${JSON.stringify(rows)}`);
    }
  });

  test('kill -9 of the relay: each page rejoins by itself and hears within 5 s', async (t) => {
    const before = await Promise.all(pages.map(({ page }) => page.evaluate(() => window.rostrum.peer)));
    await h.kill('rostrum-relay');
    const tKill = Date.now();
    await h.startRelay();
    for (const [i, { badge, page }] of pages.entries()) {
      const back = await waitFor(async () => {
        const peer = await page.evaluate(() => window.rostrum.peer);
        if (peer === before[i]) return null;
        return hearing(page, 1);
      }, 8_000, 100);
      const ms = Date.now() - tKill;
      t.diagnostic(`${badge}: hears again ${ms} ms after the relay was killed`);
      assert.ok(back, `${badge} does not hear after the relay restart: ${await page.textContent('#status')}\n${h.logs()}`);
      assert.ok(ms <= 5_000, `${badge}: ${ms} ms to hear again`);
      const rows = h.sqlite(`SELECT kind, reason FROM attendance_event WHERE badge = '${badge}' ORDER BY id`);
      assert.deepEqual(rows.map((r) => r.kind), ['join', 'leave', 'join'], JSON.stringify(rows));
      assert.match(rows[1].reason, /^relay_/, JSON.stringify(rows));
    }
  });

  test('a browser that closes its peer connection is reported "closed", not "dtls_failed"', async () => {
    const { page } = pages[1];
    const peer = await page.evaluate(() => window.rostrum.peer);
    await page.evaluate(() => window.rostrum.pc.close());
    const lost = await waitFor(() => h.controlEvents.find((e) => e.event === 'peer.lost' && e.peer === peer), 5_000);
    assert.ok(lost, `no peer.lost for ${peer}`);
    assert.equal(lost.reason, 'closed', JSON.stringify(lost));
  });
});
