// SPDX-License-Identifier: Apache-2.0
// The pages used by keyboard alone, in real Chromium with fake audio
// devices, against the real relay (simulated fr booth: 550 Hz) and
// signalling:
// * a delegate signs in, starts listening, picks Français (and hears the
//   fr booth's tone on the channel track), raises a hand (the sound check
//   runs, then 'hand' goes out) — Tab, typing, Enter and arrows only;
// * a first-time delegate whose browser speaks French hears French after
//   two clicks from the login page (sign in, start listening);
// * an interpreter holds the cough key (Space, then a configured C):
//   'booth.cough' held/released goes out, the focused button is not
//   pressed, the microphone's track is silent while held; the handover
//   request by keyboard.
// and signalling answers the hand with the place in the queue.
//
//   ROSTRUM_BUILD=build node --test keyboard.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, loadChromium, watchErrors, BADGE, CODE, waitFor } from './harness.mjs';

const chromium = await loadChromium();
const FILE_TIMEOUT_MS = 110_000;
const FLOOR_HZ = 660, FR_HZ = 550;
const h = new Harness('rostrum-keyboard-');
h.hardStop('keyboard.test', FILE_TIMEOUT_MS);
let browser = null;

async function newPage(locale) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const sent = [];
  const errors = watchErrors(page);
  page.on('websocket', (ws) => ws.on('framesent', (f) => { try { sent.push(JSON.parse(f.payload)); } catch { /* binary */ } }));
  return { context, page, sent, errors };
}

const focused = (page) => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);

// Tab until #id has the focus (at most @max presses); returns the count.
async function tabTo(page, id, max = 40) {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    if ((await focused(page)) === id) return i;
  }
  assert.fail(`#${id} not reached by Tab in ${max} presses (focus on ${await focused(page)})`);
}

// The level (dB) of @hz on the channel track (the second transceiver), by FFT.
async function channelTone(page, hz) {
  return page.evaluate(async (hz) => {
    const ctx = new AudioContext();
    await ctx.resume();
    const track = window.rostrum.pc.getTransceivers()[1].receiver.track;
    const a = ctx.createAnalyser();
    a.fftSize = 2048;
    a.smoothingTimeConstant = 0;
    ctx.createMediaStreamSource(new MediaStream([track])).connect(a);
    const bins = new Float32Array(a.frequencyBinCount);
    let best = -Infinity;
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 50));
      a.getFloatFrequencyData(bins);
      best = Math.max(best, bins[Math.round(hz / (ctx.sampleRate / a.fftSize))]);
    }
    ctx.close();
    return best;
  }, hz);
}

describe('by keyboard', { timeout: FILE_TIMEOUT_MS }, () => {
  before(async () => {
    browser = await h.startStack(chromium, { relay: { floor_tone_hz: String(FLOOR_HZ),
      languages: 'ar, zh, en, fr, ru, es', sim_booths: `fr:${FR_HZ}`, ramp_ms: '100' } });
  });
  after(async () => {
    await h.cleanup();
  });

  test('delegate: sign in, listen, pick Français, raise a hand — keyboard only', async (t) => {
    const { context, page, sent, errors } = await newPage('en-GB');
    try {
      await page.goto(h.baseUrl);
      const toBadge = await tabTo(page, 'badge');
      await page.keyboard.type(BADGE);
      await page.keyboard.press('Tab');
      assert.equal(await focused(page), 'code');
      await page.keyboard.type(CODE);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#session-panel:not([hidden])');
      assert.equal(await focused(page), 'join', 'the focus moves to "Start listening" after signing in');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelector('#status').textContent.includes('connected'));
      const toChannel = await tabTo(page, 'channel');
      for (let i = 0; i < 10 && (await page.inputValue('#channel')) !== 'fr'; i++) await page.keyboard.press('ArrowDown');
      assert.equal(await page.inputValue('#channel'), 'fr');
      assert.ok(await waitFor(() => sent.some((m) => m.type === 'channel' && m.channel === 'fr'), 2_000), 'no channel fr sent');
      const fr = await waitFor(async () => { const db = await channelTone(page, FR_HZ); return db > -60 ? db : null; }, 8_000, 0);
      assert.ok(fr, `the fr booth's ${FR_HZ} Hz is not on the channel track`);
      assert.match(await page.textContent('#status'), /Français/);
      const toHand = await tabTo(page, 'hand');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => window.rostrum.soundcheck, null, { timeout: 15_000 });
      assert.ok(await waitFor(() => sent.some((m) => m.type === 'hand' && m.up === true), 3_000), 'no hand up sent');
      assert.ok(sent.some((m) => m.type === 'soundcheck'), 'no soundcheck sent before the hand');
      t.diagnostic(`Tab presses: ${toBadge} to the badge, ${toChannel} from "Start listening" to the language, ${toHand} on to the hand; fr at ${fr.toFixed(1)} dB`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('the server answers the hand with the place in the queue', async () => {
    const { context, page } = await newPage('en-GB');
    try {
      await page.goto(h.baseUrl);
      await page.fill('#badge', BADGE);
      await page.fill('#code', CODE);
      await page.press('#code', 'Enter');
      await page.waitForSelector('#session-panel:not([hidden])');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelector('#status').textContent.includes('connected'));
      await page.focus('#hand');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /number 1/.test(document.querySelector('#hand-status').textContent), null, { timeout: 10_000 });
      assert.equal(await page.getAttribute('#hand', 'aria-pressed'), 'true');
    } finally {
      await context.close();
    }
  });

  test('a first-time delegate with a French browser hears French after two clicks', async (t) => {
    const { context, page, errors } = await newPage('fr-FR');
    try {
      let clicks = 0;
      await page.goto(h.baseUrl);
      await page.fill('#badge', BADGE);
      await page.fill('#code', CODE);
      await page.click('#login'); clicks++;
      await page.click('#join'); clicks++;
      await page.waitForFunction(() => window.rostrum.t_media_connected);
      const fr = await waitFor(async () => { const db = await channelTone(page, FR_HZ); return db > -60 ? db : null; }, 8_000, 0);
      assert.ok(fr, 'no French on the channel track');
      assert.equal(await page.inputValue('#channel'), 'fr', 'the page did not preselect the channel of its language');
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr');
      t.diagnostic(`${clicks} clicks from the login page to the fr booth's tone (${fr.toFixed(1)} dB); ` +
        'with a browser in another language: 4 (sign in, start listening, open the list, Français)');
      assert.equal(clicks, 2);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('interpreter: the cough key by keyboard, the handover request', async (t) => {
    const { context, page, sent, errors } = await newPage('en-GB');
    try {
      await page.goto(`${h.baseUrl}/interpreter.html`);
      await tabTo(page, 'badge');
      await page.keyboard.type('WTPF-0007');
      await page.keyboard.press('Tab');
      await page.keyboard.type('floor-4407');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#console:not([hidden])');
      assert.equal(await focused(page), 'listen');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => window.rostrum.stream && window.rostrum.pc);
      const track = () => page.evaluate(() => window.rostrum.stream.getAudioTracks()[0].enabled);
      // the microphone on, by keyboard
      await tabTo(page, 'mic');
      await page.keyboard.press('Enter');
      assert.equal(await page.getAttribute('#mic', 'aria-pressed'), 'true');
      assert.ok(sent.some((m) => m.type === 'booth.mic' && m.on === true), 'no booth.mic on');
      assert.equal(await track(), true);
      // hold Space with the focus on the microphone button: a cough, not a click
      const mark = sent.length;
      await page.keyboard.down('Space');
      await page.waitForTimeout(150);
      assert.equal(await track(), false, 'the microphone sends while the cough key is held');
      assert.equal(await page.getAttribute('#cough', 'aria-pressed'), 'true');
      await page.waitForTimeout(150);
      await page.keyboard.up('Space');
      assert.equal(await track(), true, 'the microphone stays silent after the cough key');
      await waitFor(() => sent.slice(mark).filter((m) => m.type === 'booth.cough').length === 2, 2_000);
      const coughs = sent.slice(mark).filter((m) => m.type === 'booth.cough');
      assert.deepEqual(coughs.map((m) => m.held), [true, false], `cough frames: ${JSON.stringify(sent.slice(mark))}`);
      assert.equal(await page.getAttribute('#mic', 'aria-pressed'), 'true', 'Space pressed the focused microphone button');
      assert.ok(!sent.slice(mark).some((m) => m.type === 'booth.mic'), 'Space toggled the microphone');
      // another cough key, chosen by keyboard
      await tabTo(page, 'cough-key');
      for (let i = 0; i < 5 && (await page.inputValue('#cough-key')) !== 'KeyC'; i++) await page.keyboard.press('ArrowDown');
      assert.equal(await page.inputValue('#cough-key'), 'KeyC');
      const mark2 = sent.length;
      await page.keyboard.down('KeyC');
      await page.waitForTimeout(100);
      await page.keyboard.up('KeyC');
      const coughs2 = () => sent.slice(mark2).filter((m) => m.type === 'booth.cough').map((m) => m.held);
      await waitFor(() => coughs2().length === 2, 2_000);
      assert.deepEqual(coughs2(), [true, false]);
      // typing in the message box is not a cough
      await page.focus('#text');
      const mark3 = sent.length;
      await page.keyboard.type('c c');
      assert.ok(!sent.slice(mark3).some((m) => m.type === 'booth.cough'), 'typing a message coughed');
      await page.keyboard.press('Enter');
      assert.ok(await waitFor(() => sent.some((m) => m.type === 'message' && m.kind === 'text' && m.text === 'c c'), 2_000));
      // the handover request
      await page.focus('#mic');
      await tabTo(page, 'handover-request');
      await page.keyboard.press('Enter');
      assert.ok(await waitFor(() => sent.some((m) => m.type === 'booth.handover' && m.action === 'request'), 2_000), 'no handover request');
      t.diagnostic(`frames sent: ${[...new Set(sent.map((m) => m.type))].join(', ')}`);
      // the capture the interpreter gets: no browser processing
      const settings = await page.evaluate(() => window.rostrum.micSettings);
      for (const k of ['echoCancellation', 'noiseSuppression', 'autoGainControl'])
        if (k in settings) assert.equal(settings[k], false, `${k} on the interpreter's microphone`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
