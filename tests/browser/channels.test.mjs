// SPDX-License-Identifier: Apache-2.0
// Interpretation channels in real Chromium, through signalling and the
// audio engine: the venue floor is a 660 Hz tone, simulated interpreters
// (sim_booths) speak 550 Hz in booth fr and 770 Hz in booth es. A
// delegate joins, picks Français and hears 550 Hz on its channel track
// and the floor under it; switches to Español and hears 770 Hz on the same
// SSRC, without
// renegotiation (the click → signalling → relay → the page's analyser takes
// well under 250 ms; the relay's own switch is one frame); moves the balance
// and the floor's share follows; turns low-bandwidth on and gets one track
// carrying the interpretation.
//
//   ROSTRUM_BUILD=build node --test channels.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, loadChromium, BADGE, CODE, sleep, startToneAnalysis, toneLevel, waitFor,
  waitTone as waitToneOn } from './harness.mjs';

const chromium = await loadChromium();

const FILE_TIMEOUT_MS = 100_000;
const FLOOR_HZ = 660, FR_HZ = 550, ES_HZ = 770;
const h = new Harness('rostrum-channels-');
h.hardStop('channels.test', FILE_TIMEOUT_MS);
let browser = null;
let page = null;

const level = (i, hz) => toneLevel(page, i, hz);
const waitTone = (i, hz, ms) => waitToneOn(page, i, hz, ms);

async function ssrcs() {
  return page.evaluate(async () => {
    const out = [];
    for (const s of (await window.rostrum.pc.getStats()).values())
      if (s.type === 'inbound-rtp' && s.kind === 'audio') out.push({ mid: s.mid, ssrc: s.ssrc, packets: s.packetsReceived });
    return out.sort((a, b) => Number(a.mid) - Number(b.mid));
  });
}

describe('interpretation channels in Chromium', { timeout: FILE_TIMEOUT_MS }, () => {
  before(async () => {
    h.writeConfig({ relay: { floor_tone_hz: String(FLOOR_HZ), languages: 'ar, zh, en, fr, ru, es',
      sim_booths: `fr:${FR_HZ}, es:${ES_HZ}`, ramp_ms: '200' } });
    await h.startRelay();
    await h.startSignalling();
    browser = await h.launchChromium(chromium);
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (msg) => {
      if (msg.type() === 'error') console.log(`[page error] ${msg.text()}`);
    });
    await page.goto(h.baseUrl);
    await page.fill('#badge', BADGE);
    await page.fill('#code', CODE);
    await page.click('#login');
    await page.click('#join');
    await page.waitForFunction(() => document.querySelector('#status').textContent.includes('connected'));
    await startToneAnalysis(page, [FLOOR_HZ, FR_HZ, ES_HZ]);
    assert.ok(await waitTone(0, FLOOR_HZ), `no floor tone\n${h.logs()}`);
  });
  after(async () => {
    if (browser) await browser.close();
    await h.cleanup();
  });

  test('the languages are listed in their own names', async () => {
    const names = await page.$$eval('#channel option', (os) => os.map((o) => o.textContent));
    for (const n of ['Floor (original)', 'Français', 'Español', 'English', 'Русский', 'العربية', '中文'])
      assert.ok(names.includes(n), `missing ${n}: ${JSON.stringify(names)}`);
  });

  test('picking Français: the fr interpreter on the channel track, the floor under it', async (t) => {
    await page.selectOption('#channel', 'fr');
    assert.ok(await waitTone(1, FR_HZ), 'no fr interpreter on the channel track');
    await sleep(300);
    assert.ok((await level(1, FR_HZ)) - (await level(1, FLOOR_HZ)) > 20, 'the channel track carries the floor');
    assert.ok((await level(0, FLOOR_HZ)) > -60, 'the floor track went silent');
    const vol = await page.evaluate(() => [window.rostrum.audio.volume, window.rostrum.audioChannel.volume]);
    assert.deepEqual(vol, [0.15, 1], `the page's mix: ${vol}`);
    t.diagnostic(`fr ${(await level(1, FR_HZ)).toFixed(1)} dB, floor under it at volume ${vol[0]}`);
  });

  test('switching to Español: 770 Hz within 250 ms of the click, same SSRC, no renegotiation', async (t) => {
    const before = await ssrcs();
    const pc = await page.evaluate(() => window.rostrum.pc.localDescription.sdp.length);
    const marked = h.controlEvents.length;
    await page.selectOption('#channel', 'es');
    const t0 = await page.evaluate(() => performance.now());
    const hit = await page.waitForFunction(([k]) => {
      const r = window.tones.findLast((x) => x[k] > -60);
      return r ? r.t : null;
    }, [`1:${ES_HZ}`], { timeout: 5_000, polling: 10 });
    const ms = (await hit.jsonValue()) - t0;
    t.diagnostic(`es heard ${ms.toFixed(0)} ms after the click (page → signalling → relay → page)`);
    // the click → WebSocket → signalling → relay → the next packet → Chromium's
    // jitter buffer → a 2048-sample analyser window (43 ms)
    assert.ok(ms < 250, `es took ${ms} ms from the click`);
    const after = await ssrcs();
    assert.equal(after[1].ssrc, before[1].ssrc, `the channel track's SSRC changed: ${JSON.stringify([before, after])}`);
    assert.equal(await page.evaluate(() => window.rostrum.pc.localDescription.sdp.length), pc, 'renegotiated');
    assert.ok(!h.controlEvents.slice(marked).some((e) => e.event === 'peer.lost'), 'the peer was lost');
    await sleep(300);
    assert.ok((await level(1, ES_HZ)) - (await level(1, FR_HZ)) > 20, 'fr still on the channel after the switch');
  });

  test('the balance sets the floor\'s share under the interpretation', async () => {
    await page.fill('#balance', '60');
    await page.dispatchEvent('#balance', 'input');
    assert.equal(await page.evaluate(() => window.rostrum.audio.volume), 0.6);
    await page.selectOption('#channel', 'floor');
    assert.deepEqual(await page.evaluate(() => [window.rostrum.audio.volume, window.rostrum.audioChannel.volume]), [1, 0]);
    assert.equal(await page.isDisabled('#balance'), true, 'the balance means nothing on the floor alone');
  });

  test('low bandwidth: one track, carrying the chosen interpretation', async () => {
    await page.selectOption('#channel', 'fr');
    await page.check('#lowbw');
    // the floor track now carries the low-bitrate fr encode; the channel track stops
    assert.ok(await waitFor(async () => (await level(0, FR_HZ)) > -60 && (await level(0, FLOOR_HZ)) < -70, 5_000, 50),
      `the one track does not carry fr: fr ${await level(0, FR_HZ)}, floor ${await level(0, FLOOR_HZ)}`);
    const a = await ssrcs();
    await sleep(500);
    const b = await ssrcs();
    assert.equal(b[1].packets, a[1].packets, 'the second track still receives packets');
    const vol = await page.evaluate(() => [window.rostrum.audio.volume, window.rostrum.audioChannel.volume]);
    assert.deepEqual(vol, [1, 0]);
    await page.uncheck('#lowbw');
    assert.ok(await waitTone(1, FR_HZ), 'fr does not come back on the channel track');
  });
});
