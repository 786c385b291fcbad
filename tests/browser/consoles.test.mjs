// SPDX-License-Identifier: Apache-2.0
// The three consoles together, as people would use them, in real Chromium
// (fake microphones) against the real relay and signalling's meeting
// (docs/websocket.md "The meeting"): the operator opens the session; a
// delegate sees it, starts listening, raises a hand (sound check first)
// and gets a place; the operator sees the request, the participant's
// quality and sound check, and gives the floor by keyboard: the delegate's
// microphone goes on its send-only transceiver without renegotiation and
// RTP flows; the operator takes the floor back and moves to the next item,
// which the delegate sees. The fr interpreter goes live and holds the cough
// key: the operator's booth list follows; "slow down" reaches the operator.
// Closing the session to Member States removes an academia delegate with a
// visible message and no rejoin. The chair gets the queue and the agenda
// only. The session's bluesheet downloads. axe on the working operator
// console in English and Arabic.
//
//   ROSTRUM_BUILD=build node --test consoles.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Harness, build, loadChromium, BADGE, CODE, waitFor } from './harness.mjs';

const chromium = await loadChromium();
const { AxeBuilder } = await import('@axe-core/playwright').catch(() => {
  console.log('SKIP: @axe-core/playwright is not installed (run "npm ci" in tests/browser)');
  process.exit(77);
});
const FILE_TIMEOUT_MS = 150_000;
const OUT = process.env.ROSTRUM_OUT || path.join(build, 'meson-logs', 'pages');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const h = new Harness('rostrum-consoles-');
h.hardStop('consoles.test', FILE_TIMEOUT_MS);
let browser = null;
const pages = {};

// A signed-in page (Harness.signIn), kept in pages[@name].
async function signIn(name, url, badge, code, locale = 'en-GB') {
  pages[name] = await h.signIn(browser, url, badge, code, locale);
  return pages[name];
}

const text = (page, sel) => page.textContent(sel);

describe('the consoles with the meeting in signalling', { timeout: FILE_TIMEOUT_MS }, () => {
  before(async () => {
    browser = await h.startStack(chromium, { relay: { languages: 'ar, zh, en, fr, ru, es', sim_booths: 'es:770' } });
  });
  after(async () => {
    for (const p of Object.values(pages)) await p.context.close().catch(() => {});
    await h.cleanup();
  });

  test('operator opens the session; the delegate sees it and listens', async () => {
    const op = await signIn('op', '/operator.html', 'WTPF-0008', 'floor-4408');
    assert.ok(op.got.some((m) => m.type === 'welcome' && m.roles.includes('operator')), 'no welcome with operator');
    assert.equal(await text(op.page, '#eyebrow'), 'Operator console');
    assert.ok((await op.page.$$eval('#session-select option', (o) => o.length)) >= 6, 'the meeting\'s sessions');
    // the sample config opens day-1-am at start: close it, then open it
    await op.page.waitForFunction(() => document.querySelector('#session-select').value);
    if (await op.page.isEnabled('#session-close')) {
      await op.page.click('#session-close');
      await op.page.waitForFunction(() => !document.querySelector('#session-open').disabled);
    }
    await op.page.selectOption('#session-select', 'day-1-am');
    await op.page.click('#session-open');
    await op.page.waitForFunction(() => /Session open: Day 1, morning session/.test(document.querySelector('#session-line').textContent));
    const del = await signIn('del', '/', BADGE, CODE);
    await del.page.waitForFunction(() => /Session open: Day 1, morning session/.test(document.querySelector('#session-line').textContent));
    assert.match(await text(del.page, '#agenda-item'), /^Item 1: /);
    await del.page.click('#join');
    await del.page.waitForFunction(() => document.querySelector('#status').textContent.includes('connected'));
  });

  test('hand, sound check, place; the operator sees it and gives the floor by keyboard; the microphone sends', async (t) => {
    const { del, op } = pages;
    await del.page.click('#hand');
    await del.page.waitForFunction(() => /number 1/.test(document.querySelector('#hand-status').textContent), null, { timeout: 15_000 });
    assert.ok(del.sent.some((m) => m.type === 'soundcheck'), 'no sound check before the hand');
    await op.page.waitForSelector('#queue tbody tr[data-badge="WTPF-0001"]');
    // the operator's participants: quality (every 5 s) and the sound check
    await op.page.waitForFunction(() => {
      const row = document.querySelector('#participants tbody tr[data-badge="WTPF-0001"]');
      return row && !/^—$/.test(row.children[6].textContent) && !/^—$/.test(row.children[7].textContent);
    }, null, { timeout: 12_000 });
    const row = await op.page.$$eval('#participants tbody tr[data-badge="WTPF-0001"] td', (tds) => tds.map((td) => td.textContent));
    t.diagnostic(`operator's row: ${JSON.stringify(row.slice(0, 8))}`);
    const sdp = await del.page.evaluate(() => window.rostrum.pc.localDescription.sdp);
    await op.page.focus('#queue tbody tr[data-badge="WTPF-0001"] button');
    assert.match(await op.page.evaluate(() => document.activeElement.getAttribute('aria-label')), /Give the floor to Amina Okafor/);
    await op.page.keyboard.press('Enter');
    await del.page.waitForSelector('#floor-panel:not([hidden])');
    await op.page.waitForFunction(() => document.querySelector('#speaking').textContent === 'Amina Okafor');
    await del.page.waitForFunction(() => window.rostrum.micSender?.track, null, { timeout: 5_000 });
    const sentPackets = () => del.page.evaluate(async () => {
      for (const s of (await window.rostrum.pc.getStats()).values())
        if (s.type === 'outbound-rtp' && s.kind === 'audio') return s.packetsSent;
      return 0;
    });
    assert.ok(await waitFor(async () => (await sentPackets()) > 20, 5_000), 'the microphone sends no RTP');
    assert.equal(await del.page.evaluate(() => window.rostrum.pc.localDescription.sdp), sdp, 'renegotiated for the microphone');
    assert.match(await text(del.page, '#floor-status'), /You have the floor/);
    await del.page.keyboard.press('Enter'); // the focus is on Mute
    assert.equal(await del.page.getAttribute('#mute', 'aria-pressed'), 'true');
    assert.equal(await del.page.evaluate(() => window.rostrum.micStream.getAudioTracks()[0].enabled), false);
    await op.page.focus('#revoke');
    await op.page.keyboard.press('Enter');
    await del.page.waitForSelector('#floor-panel', { state: 'hidden' });
    assert.equal(await del.page.evaluate(() => window.rostrum.micSender.track), null);
    assert.equal(await del.page.evaluate(() => window.rostrum.micStream), null, 'the microphone stays open after the floor');
  });

  test('the next agenda item reaches the delegate', async () => {
    const { del, op } = pages;
    await op.page.selectOption('#item-select', '2');
    await op.page.click('#item-set');
    await del.page.waitForFunction(() => /^Item 2: /.test(document.querySelector('#agenda-item').textContent));
  });

  test('interpreter: live, cough, slow down — seen by the operator', async () => {
    const { op } = pages;
    const fr = await signIn('fr', '/interpreter.html', 'WTPF-0007', 'floor-4407');
    await fr.page.click('#listen');
    await fr.page.waitForFunction(() => document.querySelector('#listen-status').dataset.key === 'int.listening');
    // the interpreter's own level shows the voice (Chromium's fake microphone
    // beeps) before the microphone is on
    const own = () => fr.page.evaluate(() => document.querySelector('#own-level').value);
    assert.ok(await waitFor(async () => (await own()) > 0.2, 4_000, 20), `own level ${await own()} with the microphone off`);
    await fr.page.click('#mic');
    await fr.page.waitForFunction(() => /Live: Claire Dubois/.test(document.querySelector('#live').textContent));
    await op.page.waitForFunction(() => /Live: Claire Dubois/.test(document.querySelector('#booths').textContent));
    // the sample's simulated es interpreter (sim_booths) is live where the relay has it
    assert.match(await text(op.page, '#booths'), /Español — Live: Simulated interpreter \(demo tone\)/);
    // the participants' list says which channel the interpreter works into
    const row = () => op.page.evaluate(() => document.querySelector('#participants tr[data-badge="WTPF-0007"]')?.textContent || '(no row)');
    assert.ok(await waitFor(async () => /Outgoing channel: Français/.test(await row()), 5_000),
      `the interpreter's row: ${await row()}`);
    await fr.page.focus('#mic');
    await fr.page.keyboard.down('Space');
    await op.page.waitForFunction(() => /cough key held/.test(document.querySelector('#booths').textContent));
    await fr.page.keyboard.up('Space');
    await op.page.waitForFunction(() => !/cough key held/.test(document.querySelector('#booths').textContent));
    assert.equal(await fr.page.getAttribute('#mic', 'aria-pressed'), 'true', 'Space pressed the microphone button');
    await fr.page.click('#slow-down');
    await op.page.waitForFunction(() => /slow down/.test(document.querySelector('#messages').textContent));
    assert.deepEqual(fr.errors, []);
  });

  test('closing the session to Member States removes an academia delegate, with a message', async () => {
    const { op } = pages;
    const acad = await signIn('acad', '/', 'WTPF-0006', 'floor-4406');
    await acad.page.click('#join');
    await acad.page.waitForFunction(() => document.querySelector('#status').textContent.includes('connected'));
    await op.page.check('#restrict');
    await acad.page.waitForSelector('#removed-panel:not([hidden])', { timeout: 5_000 });
    assert.match(await text(acad.page, '#removed-message'), /Member States only/);
    assert.equal(await acad.page.isDisabled('#join'), true, 'the removed delegate may rejoin by itself');
    await pages.del.page.waitForFunction(() => /closed session/.test(document.querySelector('#session-line').textContent));
    assert.equal(await pages.del.page.isVisible('#removed-panel'), false, 'the Member State was removed');
  });

  test('the session\'s bluesheet downloads (CSV) and lists the delegate', async () => {
    const { op } = pages;
    const [download] = await Promise.all([
      op.page.waitForEvent('download'),
      op.page.click('[data-download="bluesheet"][data-scope="session"][data-format="csv"]'),
    ]);
    const file = path.join(h.tmp, 'bluesheet.csv');
    await download.saveAs(file);
    const csv = readFileSync(file, 'utf8');
    assert.match(csv, /WTPF-0001/, csv.slice(0, 400));
    assert.match(await text(op.page, '#dl-status'), /Downloaded/);
  });

  test('axe (WCAG 2.1 A/AA) on the working operator console, English and Arabic', async (t) => {
    const { op } = pages;
    mkdirSync(OUT, { recursive: true });
    for (const lang of ['en', 'ar']) {
      await op.page.selectOption('#ui-lang', lang);
      await op.page.screenshot({ path: path.join(OUT, `operator-working-${lang}.png`), fullPage: true });
      const r = await new AxeBuilder({ page: op.page }).withTags(AXE_TAGS).analyze();
      t.diagnostic(`axe, working operator console (${lang}): ${r.violations.length} violations, ${r.passes.length} rules passed`);
      assert.deepEqual(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], lang);
    }
    console.log(`screenshots: ${path.join(OUT, 'operator-working-en.png')} ${path.join(OUT, 'operator-working-ar.png')}`);
    assert.deepEqual(op.errors, []);
    assert.deepEqual(pages.del.errors, []);
  });

  test('chair: the same console with the queue and the agenda only', async () => {
    const chair = await signIn('chair', '/operator.html', 'WTPF-0003', 'floor-4403');
    await chair.page.waitForFunction(() => document.querySelector('#eyebrow').textContent === 'Chair console');
    for (const [sel, visible] of [['#sess-heading', false], ['#parts-heading', false], ['#dl-heading', false],
      ['#booths-heading', false], ['#queue-add-form', false], ['#queue-heading', true], ['#item-heading', true], ['#msgs-heading', true]])
      assert.equal(await chair.page.isVisible(sel), visible, `${sel} visible: ${!visible}`);
  });
});
