// SPDX-License-Identifier: Apache-2.0
// The delegate page's sound check in real Chromium, its microphone fed
// from generated WAV files (--use-file-for-fake-audio-capture): a clean
// speech-like sound (a 200 Hz harmonic series up to 16 kHz in syllable-
// long bursts) passes; the same low-passed at 3.4 kHz (only the harmonics
// under it) is flagged narrowband; the same driven into hard clipping is
// flagged clipping. The result is shown on the page and sent as
// 'soundcheck'; the microphone is opened only when asked for, with the
// capture settings of the page (echo cancellation on, noise suppression
// and auto gain off).
//
//   ROSTRUM_BUILD=build node --test soundcheck.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Harness, loadChromium, BADGE, CODE, WAV_RATE, wavBuffer } from './harness.mjs';

const chromium = await loadChromium();
const FILE_TIMEOUT_MS = 100_000;
const RATE = WAV_RATE;
const h = new Harness('rostrum-soundcheck-');
h.hardStop('soundcheck.test', FILE_TIMEOUT_MS);

// 16-bit mono WAV of @seconds: harmonics of 200 Hz up to @topHz (1/k
// amplitudes), 300 ms on / 200 ms off with 20 ms ramps, peak at @peak
// before clipping to full scale, a little noise at about -85 dBFS. (The
// browser's echo canceller reshapes the harmonics' phases: this series'
// peak comes out about 6 dB higher, its RMS unchanged; hence -12 dBFS.)
function speechLike(file, { topHz = 16000, peak = 0.25, seconds = 4 } = {}) {
  const n = RATE * seconds;
  const x = new Float64Array(n);
  const ks = [];
  for (let k = 1; k * 200 <= topHz; k++) ks.push(k);
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    let s = 0;
    for (const k of ks) s += Math.sin(2 * Math.PI * 200 * k * t + k * 0.7) / k;
    x[i] = s;
  }
  let max = 0;
  for (const v of x) max = Math.max(max, Math.abs(v));
  // stereo, both channels the same: Chromium's fake capture takes a mono
  // file as two channels and the page's mono capture sums them (+6 dB)
  const ch = 2;
  const pcm = wavBuffer(n, ch);
  let seed = 1;
  const noise = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return (seed / 0x7fffffff - 0.5) * 2e-4; };
  for (let i = 0; i < n; i++) {
    const inBurst = (i / RATE) % 0.5;
    const ramp = 0.02;
    let env = inBurst < 0.3 ? 1 : 0;
    if (inBurst < ramp) env = 0.5 - 0.5 * Math.cos((Math.PI * inBurst) / ramp);
    else if (inBurst > 0.3 - ramp && inBurst < 0.3) env = 0.5 - 0.5 * Math.cos((Math.PI * (0.3 - inBurst)) / ramp);
    const v = Math.max(-1, Math.min(1, (x[i] / max) * peak * env + noise()));
    for (let c = 0; c < ch; c++) pcm.writeInt16LE(Math.round(v * 32767), 44 + (i * ch + c) * 2);
  }
  writeFileSync(file, pcm);
  return file;
}

// Signs in as the delegate with @wav as the microphone, presses "Test my
// microphone" and resolves the page's result, what it shows and what it sent.
async function check(wav) {
  const browser = await h.launchChromium(chromium, ['--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`]);
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en' });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const sent = [];
    page.on('websocket', (ws) => ws.on('framesent', (f) => { try { sent.push(JSON.parse(f.payload)); } catch { /* binary */ } }));
    await page.goto(h.baseUrl);
    await page.fill('#badge', BADGE);
    await page.fill('#code', CODE);
    await page.click('#login');
    await page.waitForSelector('#soundcheck:not([disabled])');
    const before = await page.evaluate(() => window.rostrum.micStream ?? null);
    await page.click('#soundcheck');
    await page.waitForFunction(() => window.rostrum.soundcheck, null, { timeout: 20_000 });
    const r = await page.evaluate(() => ({
      sc: window.rostrum.soundcheck,
      settings: window.rostrum.micSettings,
      shown: document.querySelector('#soundcheck-status').textContent,
      problems: [...document.querySelectorAll('#sc-problems li')].map((li) => li.dataset.problem),
      bandwidth: document.querySelector('#sc-bandwidth').textContent,
    }));
    await page.waitForTimeout(200);
    const micAfter = await page.evaluate(() => window.rostrum.micStream ?? null);
    return { ...r, micBefore: before, micAfter, sent: sent.filter((m) => m.type === 'soundcheck') };
  } finally {
    await browser.close();
  }
}

describe('sound check of a delegate\'s microphone', { timeout: FILE_TIMEOUT_MS }, () => {
  before(async () => {
    h.writeConfig();
    await h.startRelay();
    await h.startSignalling();
  });
  after(async () => {
    await h.cleanup();
  });

  test('a clean full-band microphone passes', async (t) => {
    const r = await check(speechLike(path.join(h.tmp, 'clean.wav')));
    t.diagnostic(`clean: ${JSON.stringify(r.sc)}; settings ${JSON.stringify(r.settings)}`);
    assert.equal(r.micBefore, null, 'the microphone was open before the delegate asked');
    assert.equal(r.micAfter, null, 'the microphone stays open after the test (no hand raised)');
    assert.equal(r.sc.narrowband, false, `flagged narrowband: ${JSON.stringify(r.sc)}`);
    assert.equal(r.sc.clipping, false, `flagged clipping: ${JSON.stringify(r.sc)}`);
    assert.equal(r.sc.ok, true, `not ok: ${JSON.stringify(r.sc)}`);
    assert.ok(r.sc.level_dbfs > -30 && r.sc.level_dbfs < -3, `level ${r.sc.level_dbfs}`);
    assert.ok(r.sc.noise_dbfs < -60, `noise floor ${r.sc.noise_dbfs}`);
    assert.match(r.shown, /ready/);
    assert.deepEqual(r.problems, []);
    // what the operator gets: the draft's SC fields, nothing else
    assert.equal(r.sent.length, 1, `soundcheck frames: ${JSON.stringify(r.sent)}`);
    assert.deepEqual(Object.keys(r.sent[0]).sort(),
      ['clipping', 'level_dbfs', 'narrowband', 'noise_dbfs', 'ok', 'peak_dbfs', 'type']);
    assert.equal(r.sent[0].ok, true);
    // the page's capture, not the browser's defaults
    if (r.settings && 'noiseSuppression' in r.settings) {
      assert.equal(r.settings.noiseSuppression, false);
      assert.equal(r.settings.autoGainControl, false);
      assert.equal(r.settings.echoCancellation, true);
    }
  });

  test('a microphone low-passed at 3.4 kHz is flagged narrowband', async (t) => {
    const r = await check(speechLike(path.join(h.tmp, 'narrow.wav'), { topHz: 3400 }));
    t.diagnostic(`narrowband: ${JSON.stringify(r.sc)}`);
    assert.equal(r.sc.narrowband, true, `not flagged: ${JSON.stringify(r.sc)}`);
    assert.equal(r.sc.clipping, false);
    assert.equal(r.sc.ok, false);
    assert.ok(r.problems.includes('narrowband'), `shown: ${r.problems}`);
    assert.match(r.bandwidth, /telephone/);
    assert.equal(r.sent.at(-1)?.narrowband, true, 'not sent to the server');
  });

  test('a clipping microphone is flagged clipping', async (t) => {
    const r = await check(speechLike(path.join(h.tmp, 'clip.wav'), { peak: 4 }));
    t.diagnostic(`clipping: ${JSON.stringify(r.sc)}`);
    assert.equal(r.sc.clipping, true, `not flagged: ${JSON.stringify(r.sc)}`);
    assert.equal(r.sc.narrowband, false);
    assert.equal(r.sc.ok, false);
    assert.ok(r.problems.includes('clipping'), `shown: ${r.problems}`);
    assert.equal(r.sent.at(-1)?.clipping, true, 'not sent to the server');
  });
});
