// SPDX-License-Identifier: Apache-2.0
// The three consoles driven by the meeting's pushes (issue 19's draft:
// welcome, meeting, hand, floor, removed, booth, levels, queue,
// participants, message), in real Chromium against the real relay and
// signalling. Signalling does not send these yet: each page's WebSocket
// goes through playwright's routeWebSocket to the real server, and the
// test adds the draft's pushes on the same socket (INJECT below). When
// signalling sends them itself, drive the real actions instead and drop
// the injection.
// * delegate: meeting, session and item shown; the place in the queue; the
//   floor: the microphone's track on the send-only transceiver (no
//   renegotiation), speaking time, mute by keyboard; the floor ends; removed;
//   quality sent every 5 s;
// * interpreter: partner and live, both microphones on → the warning, the
//   handover offered and accepted by keyboard, audience, limiter;
// * operator: queue grant/reorder/remove by keyboard, participants with
//   quality and sound check, booths, levels, messages, attendance; axe on
//   the filled console in English and Arabic; the chair sees queue and
//   agenda only.
//
//   ROSTRUM_BUILD=build node --test consoles.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Harness, build, loadChromium, watchErrors, BADGE, CODE, waitFor } from './harness.mjs';

const chromium = await loadChromium();
const { AxeBuilder } = await import('@axe-core/playwright').catch(() => {
  console.log('SKIP: @axe-core/playwright is not installed (run "npm ci" in tests/browser)');
  process.exit(77);
});
const FILE_TIMEOUT_MS = 120_000;
const OUT = process.env.ROSTRUM_OUT || path.join(build, 'meson-logs', 'pages');
const EXPECT_MIC = process.env.ROSTRUM_EXPECT_MIC === '1';
const h = new Harness('rostrum-consoles-');
h.hardStop('consoles.test', FILE_TIMEOUT_MS);
let browser = null;

const MEETING = {
  id: 'wtpf-26', acronym: 'WTPF-26', title: 'Seventh World Telecommunication/ICT Policy Forum',
  languages: ['ar', 'zh', 'en', 'fr', 'ru', 'es'].map((code) => ({ code, name: code })),
  agenda: [{ id: '1', title: 'Opening of the Forum' }, { id: '3', title: 'Opening remarks and introductions' }],
  sessions: [{ id: 'day-1-am', title: 'Day 1, morning session', day: 'day-1', start: '09:30', end: '12:30' }],
  session: { id: 'day-1-am', title: 'Day 1, morning session', status: 'open', closed: false },
  item: { id: '3', title: 'Opening remarks and introductions' },
};

// A page whose WebSocket runs through the real server, with .inject(msg)
// to add a push and .sent (what the page sent).
async function open(url, locale = 'en-GB') {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const sent = [];
  const errors = watchErrors(page);
  let route = null;
  await page.routeWebSocket(/\/ws$/, (ws) => {
    route = ws;
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      try { sent.push(JSON.parse(m)); } catch { /* not JSON */ }
      server.send(m);
    });
    server.onMessage((m) => ws.send(m));
  });
  await page.goto(`${h.baseUrl}${url}`);
  const inject = async (msg) => {
    await waitFor(() => route, 5_000);
    route.send(JSON.stringify(msg));
    await page.waitForTimeout(50);
  };
  return { context, page, sent, errors, inject };
}

async function signIn(page, badge, code) {
  await page.fill('#badge', badge);
  await page.fill('#code', code);
  await page.click('#login');
}

describe('the consoles under the meeting\'s pushes', { timeout: FILE_TIMEOUT_MS }, () => {
  before(async () => {
    browser = await h.startStack(chromium, { relay: { languages: 'ar, zh, en, fr, ru, es' } });
  });
  after(async () => {
    await h.cleanup();
  });

  test('delegate: meeting, hand, floor with the microphone, mute, removed, quality', async (t) => {
    const { context, page, sent, errors, inject } = await open('/');
    try {
      await signIn(page, BADGE, CODE);
      await page.waitForSelector('#session-panel:not([hidden])');
      assert.ok(await waitFor(() => sent.find((m) => m.type === 'hello'), 3_000), 'no hello');
      assert.equal(sent.find((m) => m.type === 'hello').token, await page.evaluate(() => window.rostrum.token));
      await inject({ type: 'welcome', badge: BADGE, name: 'Amina Okafor', roles: ['delegate'], meeting: MEETING });
      assert.equal(await page.textContent('#agenda-item'), 'Item 3: Opening remarks and introductions');
      assert.match(await page.textContent('#session-line'), /Session open: Day 1, morning session/);
      await inject({ type: 'meeting', meeting: { ...MEETING, session: { ...MEETING.session, closed: true } } });
      assert.match(await page.textContent('#session-line'), /closed session/);
      await page.click('#join');
      await page.waitForFunction(() => window.rostrum.t_media_connected);
      const sdp = await page.evaluate(() => window.rostrum.pc.localDescription.sdp);
      assert.equal((sdp.match(/^m=audio/gm) || []).length, 3, 'floor, channel and the microphone m-lines');
      assert.match(sdp, /a=sendonly/);
      await page.click('#hand');
      await page.waitForFunction(() => window.rostrum.soundcheck);
      assert.ok(await waitFor(() => sent.some((m) => m.type === 'hand' && m.up === true), 3_000), 'no hand up');
      await page.waitForTimeout(300); // today's server answers 'hand' with an error first
      await inject({ type: 'hand', place: 2 });
      assert.match(await page.textContent('#hand-status'), /number 2/);
      assert.equal(await page.getAttribute('#hand', 'aria-pressed'), 'true');
      // the floor: the microphone's track on the send-only transceiver
      const since = new Date(Date.now() - 65_000).toISOString();
      await inject({ type: 'floor', granted: true, since });
      await page.waitForSelector('#floor-panel:not([hidden])');
      // today's signalling grants no "mic" track to delegates: the relay's
      // answer rejects the m-line (port 0) and the page says so
      const micAccepted = await page.evaluate(() => !/^m=audio 0 /m.test(window.rostrum.pc.remoteDescription.sdp.split(/(?=^m=)/m)[3] || 'm=audio 0 '));
      if (micAccepted || EXPECT_MIC) {
        await page.waitForFunction(() => window.rostrum.micSender && window.rostrum.micSender.track);
      } else {
        await page.waitForFunction(() => /could not be turned on/.test(document.querySelector('#floor-status').textContent));
        t.diagnostic('TODO: the relay rejected the microphone m-line (signalling grants no "mic" track yet); ROSTRUM_EXPECT_MIC=1 to require it');
      }
      assert.equal(await page.evaluate(() => window.rostrum.pc.localDescription.sdp), sdp, 'renegotiated for the microphone');
      assert.match(await page.textContent('#speaking-time'), /^1:0[5-9]$/);
      if (micAccepted) assert.match(await page.textContent('#floor-status'), /You have the floor/);
      assert.equal(await page.evaluate(() => document.activeElement.id), 'mute', 'the focus goes to the mute button');
      await page.keyboard.press('Enter');
      assert.ok(await waitFor(() => sent.some((m) => m.type === 'mute' && m.on === true), 2_000), 'no mute sent');
      assert.equal(await page.evaluate(() => window.rostrum.micStream.getAudioTracks()[0].enabled), false);
      assert.equal(await page.getAttribute('#mute', 'aria-pressed'), 'true');
      await inject({ type: 'floor', granted: false, since: null });
      await page.waitForSelector('#floor-panel', { state: 'hidden' });
      assert.equal(await page.evaluate(() => window.rostrum.micSender.track), null, 'the microphone still sends');
      assert.equal(await page.evaluate(() => window.rostrum.micStream), null, 'the microphone stays open after the floor');
      // quality: every 5 s, the draft's fields
      assert.ok(await waitFor(() => sent.some((m) => m.type === 'quality'), 7_000), 'no quality sent');
      const q = sent.find((m) => m.type === 'quality');
      assert.deepEqual(Object.keys(q).sort(), ['jitter_ms', 'loss', 'rtt_ms', 'type']);
      assert.notEqual(await page.getAttribute('#quality', 'data-verdict'), 'unknown');
      t.diagnostic(`quality ${JSON.stringify(q)}; shown "${await page.textContent('#quality')}"`);
      await inject({ type: 'removed', reason: 'session_closed', message: 'closed' });
      await page.waitForSelector('#removed-panel:not([hidden])');
      assert.match(await page.textContent('#removed-message'), /Member States only/);
      assert.equal(await page.isDisabled('#join'), true, 'a removed delegate can rejoin by itself');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('interpreter: partner, both microphones on, handover accepted by keyboard, audience, limiter', async () => {
    const { context, page, sent, errors, inject } = await open('/interpreter.html');
    try {
      await signIn(page, 'WTPF-0007', 'floor-4407');
      await page.waitForSelector('#console:not([hidden])');
      await inject({ type: 'welcome', badge: 'WTPF-0007', roles: ['interpreter:fr'], meeting: MEETING });
      const booth = {
        type: 'booth', code: 'fr', live: 'WTPF-0009', input: 'floor', output: 'fr', cough: false, listeners: 17,
        interpreters: [{ badge: 'WTPF-0007', name: 'Claire Dubois', connected: true, mic: true },
          { badge: 'WTPF-0009', name: 'Jean Martin', connected: true, mic: true }],
        handover: { from: 'WTPF-0009', to: 'WTPF-0007', expires_at: new Date(Date.now() + 10_000).toISOString() },
      };
      await inject(booth);
      assert.equal(await page.isVisible('#both-live'), true, 'no warning with both microphones on');
      assert.match(await page.textContent('#live'), /Live: Jean Martin/);
      assert.equal(await page.textContent('#listeners'), '17');
      assert.match(await page.textContent('#handover-status'), /Jean Martin asks you to take over/);
      assert.equal(await page.isDisabled('#handover-request'), true, 'a second request while one is open');
      await page.focus('#cough-key');
      await page.keyboard.press('Tab'); // past the disabled output (one language) and request
      assert.equal(await page.evaluate(() => document.activeElement.id), 'handover-accept');
      await page.keyboard.press('Enter');
      assert.ok(await waitFor(() => sent.some((m) => m.type === 'booth.handover' && m.action === 'accept'), 2_000));
      await inject({ ...booth, live: 'WTPF-0007', handover: null,
        interpreters: [booth.interpreters[0], { ...booth.interpreters[1], mic: false }] });
      assert.equal(await page.isVisible('#both-live'), false);
      assert.match(await page.textContent('#live'), /Live: Claire Dubois/);
      await inject({ type: 'levels', products: { 'channel:fr': { level_dbfs: -20, peak_dbfs: -3, limiting: true } }, mics: {} });
      assert.equal(await page.textContent('#limiter'), 'limiting');
      // the relay source lists the other booths
      const sources = await page.$$eval('#input option', (os) => os.map((o) => o.value));
      assert.ok(sources.includes('floor') && sources.includes('channel:es') && !sources.includes('channel:fr'), sources.join());
      await page.selectOption('#input', 'channel:es');
      assert.ok(await waitFor(() => sent.some((m) => m.type === 'booth.input' && m.source === 'channel:es'), 2_000));
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  for (const lang of ['en', 'ar']) {
    test(`operator in ${lang}: queue by keyboard, participants, booths, messages; axe on the filled console`, async (t) => {
      const { context, page, sent, errors, inject } = await open(`/operator.html?lang=${lang}`, lang);
      try {
        await signIn(page, 'WTPF-0008', 'floor-4408');
        await page.waitForSelector('#console:not([hidden])');
        await inject({ type: 'welcome', badge: 'WTPF-0008', roles: ['operator'], meeting: MEETING });
        const now = Date.now();
        await inject({ type: 'queue', speaking: { badge: 'WTPF-0004', name: 'Sione Tupou', since: new Date(now - 30_000).toISOString() },
          entries: [
            { badge: 'WTPF-0001', name: 'Amina Okafor', entity: 'Nigeria', onsite: false, requested_at: new Date(now - 90_000).toISOString() },
            { badge: 'WTPF-0002', name: 'Lukas Brandt', entity: 'Germany', onsite: true, requested_at: new Date(now - 60_000).toISOString() },
            { badge: 'WTPF-0005', name: 'Chen Jing', entity: 'Nordlicht Networks AG', onsite: false, requested_at: new Date(now - 5_000).toISOString() }] });
        await inject({ type: 'participants', list: [
          { badge: 'WTPF-0001', name: 'Amina Okafor', entity: 'Nigeria', category: 'member_state', role: 'delegate', channel: 'fr',
            remote: true, onsite: false, connected: true, quality: { loss: 0.12, rtt_ms: 420, jitter_ms: 35 },
            soundcheck: { level_dbfs: -20, peak_dbfs: -2, clipping: false, noise_dbfs: -70, narrowband: true, ok: false } },
          { badge: 'WTPF-0007', name: 'Claire Dubois', entity: 'ITU', category: 'secretariat', role: 'interpreter:fr', channel: 'floor',
            remote: true, onsite: false, connected: true, quality: { loss: 0, rtt_ms: 12, jitter_ms: 2 }, soundcheck: null },
          { badge: 'WTPF-0002', name: 'Lukas Brandt', entity: 'Germany', category: 'member_state', role: 'delegate', channel: null,
            remote: false, onsite: true, connected: false, quality: null, soundcheck: null }] });
        await inject({ type: 'booth', code: 'fr', live: 'WTPF-0007', input: 'floor', output: 'fr', cough: true, listeners: 42, handover: null,
          interpreters: [{ badge: 'WTPF-0007', name: 'Claire Dubois', connected: true, mic: true }] });
        await inject({ type: 'levels', products: { floor: { level_dbfs: -18.2, peak_dbfs: -4.1, limiting: false },
          'channel:fr': { level_dbfs: -21, peak_dbfs: -1, limiting: true } }, mics: {} });
        await inject({ type: 'message', from: 'Claire Dubois', booth: 'fr', kind: 'slow_down', text: '', at: new Date().toISOString() });
        assert.equal(await page.$$eval('#queue tbody tr', (r) => r.length), 3);
        assert.equal(await page.textContent('#speaking'), 'Sione Tupou');
        assert.equal(await page.$$eval('#participants tbody tr', (r) => r.length), 3);
        assert.equal(await page.textContent('#attendance'), lang === 'en' ? '2' : await page.evaluate(() => new Intl.NumberFormat('ar').format(2)));
        assert.equal(await page.$$eval('#levels tbody tr', (r) => r.length), 2);
        assert.equal(await page.$$eval('#messages li', (r) => r.length), 1);
        // by keyboard: move Amina down, give Lukas the floor, take it back
        await page.focus('#queue tbody tr:nth-child(1) button:nth-child(1)');
        await page.keyboard.press('Tab'); // Up is disabled for the first: Tab skips it
        await page.keyboard.press('Enter');
        assert.ok(await waitFor(() => sent.some((m) => m.type === 'queue.reorder' && m.badge === 'WTPF-0001' && m.place === 2), 2_000),
          `no reorder: ${JSON.stringify(sent.slice(-3))}`);
        await page.focus('#queue tbody tr:nth-child(2) button');
        await page.keyboard.press('Enter');
        assert.ok(await waitFor(() => sent.some((m) => m.type === 'queue.grant' && m.badge === 'WTPF-0002'), 2_000));
        await page.focus('#revoke');
        await page.keyboard.press('Enter');
        assert.ok(await waitFor(() => sent.some((m) => m.type === 'queue.revoke' && m.badge === 'WTPF-0004'), 2_000));
        await page.selectOption('#item-select', '1');
        await page.click('#item-set');
        assert.ok(await waitFor(() => sent.some((m) => m.type === 'agenda.set' && m.item === '1'), 2_000));
        await page.check('#restrict');
        assert.ok(await waitFor(() => sent.some((m) => m.type === 'session.restrict' && m.closed === true), 2_000));
        await page.fill('#checkin-badge', 'WTPF-0002');
        await page.press('#checkin-badge', 'Enter');
        assert.ok(await waitFor(() => sent.some((m) => m.type === 'checkin' && m.badge === 'WTPF-0002' && m.onsite === true), 2_000));
        const grantLabel = await page.getAttribute('#queue tbody tr:nth-child(1) button', 'aria-label');
        assert.ok(grantLabel.includes('Amina Okafor'), `grant button label: ${grantLabel}`);
        mkdirSync(OUT, { recursive: true });
        await page.screenshot({ path: path.join(OUT, `operator-filled-${lang}.png`), fullPage: true });
        const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
        t.diagnostic(`axe, filled operator console (${lang}): ${r.violations.length} violations, ${r.passes.length} rules passed`);
        assert.deepEqual(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), []);
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });
  }

  test('chair: the same console with the queue and the agenda only', async () => {
    const { context, page, inject } = await open('/operator.html');
    try {
      await signIn(page, 'WTPF-0003', 'floor-4403');
      await page.waitForSelector('#console:not([hidden])');
      await inject({ type: 'welcome', badge: 'WTPF-0003', roles: ['delegate', 'chair'], meeting: MEETING });
      assert.equal(await page.textContent('#eyebrow'), 'Chair console');
      for (const [sel, visible] of [['#sess-heading', false], ['#parts-heading', false], ['#dl-heading', false],
        ['#booths-heading', false], ['#queue-add-form', false], ['#queue-heading', true], ['#item-heading', true], ['#msgs-heading', true]])
        assert.equal(await page.isVisible(sel), visible, `${sel} visible: ${!visible}`);
    } finally {
      await context.close();
    }
  });
});
