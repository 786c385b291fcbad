// SPDX-License-Identifier: Apache-2.0
// The delegate page in real Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): refused login, join and hear the floor (a 660 Hz tone,
// not the 440 Hz default), leave, and the attendance rows in SQLite.
//
//   ROSTRUM_BUILD=build node --test delegate.test.mjs
//   (or plain "node delegate.test.mjs": exit 77, "skip" for meson, when
//   playwright-core is not installed or Chromium is missing)
//
// Starts its own rostrum-relay and rostrum-signalling in a temp dir, on
// loopback, with a free HTTPS port, so several runs can go in parallel.
//
// The same file runs the relay matrix (tests/integration/meson.build) through
// the environment:
//   ROSTRUM_RELAY_OVERRIDES  JSON object of extra [relay] keys, e.g.
//                            {"srtp_profiles":"SRTP_AES128_CM_SHA1_80","dtls_role":"active"}
//   ROSTRUM_EXPECT_PROFILE   SRTP profile the relay must log and announce in
//                            peer.connected (default SRTP_AEAD_AES_128_GCM)
//   ROSTRUM_EXPECT_SETUP     a=setup of the relay's answer (default passive;
//                            active = the relay is the DTLS client)
//   ROSTRUM_EXPECT_PROTOCOL  protocol of the selected pair's local candidate
//                            and of every succeeded pair (default udp)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import path from 'node:path';
import { Harness, loadChromium, BADGE, CODE, waitFor } from './harness.mjs';

const chromium = await loadChromium();
const FILE_TIMEOUT_MS = 120_000;
const TONE_HZ = 660;
const RELAY_OVERRIDES = JSON.parse(process.env.ROSTRUM_RELAY_OVERRIDES || '{}');
const EXPECT_PROFILE = process.env.ROSTRUM_EXPECT_PROFILE || 'SRTP_AEAD_AES_128_GCM';
const EXPECT_SETUP = process.env.ROSTRUM_EXPECT_SETUP || 'passive';
const EXPECT_PROTOCOL = process.env.ROSTRUM_EXPECT_PROTOCOL || 'udp';
// ROSTRUM_TURN=1: start coturn, hand its credentials out at login and open
// the page with ?relay=1 (iceTransportPolicy 'relay'): the selected local
// candidate must then be a TURN relay candidate.
const TURN = process.env.ROSTRUM_TURN === '1';
const TURN_SECRET = 'rostrum-test-turn-secret-0123456789';
let turnPort = 0;
const LABEL = Object.keys(RELAY_OVERRIDES).length ? ` (relay ${JSON.stringify(RELAY_OVERRIDES)})` : '';

const h = new Harness('rostrum-browser-');
const tmp = h.tmp;
const controlEvents = h.controlEvents;
let browser = null;
let page = null;
let baseUrl = null;

// Hard bound on the whole file, whatever hangs (the runner's own timeouts
// cannot interrupt a stuck child process).
h.hardStop('delegate.test', FILE_TIMEOUT_MS);

// A UDP port nobody holds right now (for coturn).
function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.on('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

// Resolves once a STUN Binding request to 127.0.0.1:@port is answered
// (coturn block-buffers its log on a pipe, so its log cannot tell).
function stunReady(port) {
  const sock = dgram.createSocket('udp4');
  const req = Buffer.alloc(20);
  req.writeUInt16BE(0x0001, 0); // Binding request, no attributes
  req.writeUInt32BE(0x2112a442, 4);
  for (let i = 8; i < 20; i++) req[i] = (Math.random() * 256) | 0;
  return new Promise((resolve, reject) => {
    let tries = 0;
    const timer = setInterval(() => {
      if (++tries > 100) {
        clearInterval(timer);
        sock.close();
        reject(new Error(`coturn on port ${port} does not answer STUN`));
        return;
      }
      sock.send(req, port, '127.0.0.1');
    }, 100);
    sock.on('message', (msg) => {
      if (msg.length >= 20 && msg.readUInt16BE(0) === 0x0101) {
        clearInterval(timer);
        sock.close();
        resolve();
      }
    });
  });
}

const relayStdout = () => h.relayStdout();
const daemonLogs = () => h.logs();
const sqlite = (sql) => JSON.stringify(h.sqlite(sql));

async function login(code) {
  await page.fill('#badge', BADGE);
  await page.fill('#code', code);
  await page.click('#login');
}

// Inbound audio RTP stats of the page's peer connection (null before any).
async function inboundAudio() {
  return page.evaluate(async () => {
    const pc = window.rostrum.pc;
    if (!pc) return null;
    for (const s of (await pc.getStats()).values())
      if (s.type === 'inbound-rtp' && s.kind === 'audio')
        return { packetsReceived: s.packetsReceived, audioLevel: s.audioLevel ?? 0 };
    return null;
  });
}

describe('delegate page', { timeout: FILE_TIMEOUT_MS }, () => {
  before(async () => {
    if (TURN) {
      turnPort = await freeUdpPort();
      writeFileSync(path.join(tmp, 'turn.secret'), TURN_SECRET + '\n', { mode: 0o600 });
      await h.startDaemon('turnserver', '/usr/bin/turnserver', [
        '--use-auth-secret', `--static-auth-secret=${TURN_SECRET}`, '--realm=rostrum',
        '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${turnPort}`,
        '--min-port=49152', '--max-port=65000', '--allow-loopback-peers', '--no-cli', '--no-tls',
        '--no-dtls', '--fingerprint', `--userdb=${path.join(tmp, 'turndb')}`,
        `--pidfile=${path.join(tmp, 'turn.pid')}`, '--log-file=stdout'], null);
      await stunReady(turnPort);
    }
    h.writeConfig({
      relay: { floor_tone_hz: String(TONE_HZ), ...RELAY_OVERRIDES },
      // coturn only when this run tests TURN (ROSTRUM_TURN=1)
      signalling: { turn_urls: TURN ? `turn:127.0.0.1:${turnPort}?transport=udp` : '' },
    });
    await h.startRelay();
    baseUrl = await h.startSignalling();
    browser = await h.launchChromium(chromium);
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning')
        console.log(`[page ${msg.type()}] ${msg.text()}`);
    });
    // Inside a network namespace just made (run_udp_blocked.sh) Chromium may
    // still see its links settle: one more try after a network change
    const url = TURN ? `${baseUrl}?relay=1` : baseUrl;
    await page.goto(url).catch(async (err) => {
      if (!/ERR_NETWORK_CHANGED/.test(err.message)) throw err;
      console.log(`# ${err.message.split('\n')[0]}: loading again`);
      await page.goto(url);
    });
  });

  after(async () => {
    try {
      if (browser) await browser.close();
    } finally {
      await h.cleanup();
    }
  });

  test('a wrong access code is refused', async () => {
    await login('wrong');
    await page.waitForFunction(() => document.querySelector('#login-error').textContent.trim() !== '');
    const text = await page.textContent('#login-error');
    assert.match(text, /not correct|refused|wrong|invalid/i, `login error text: ${text}`);
    assert.equal(await page.evaluate(() => window.rostrum.token), null, 'no token after a refusal');
    assert.equal(await page.isVisible('#join'), false, 'the join button stays hidden');
  });

  test(`a delegate joins and hears the 660 Hz floor${LABEL}`, async (t) => {
    await login(CODE);
    await page.waitForSelector('#join', { state: 'visible' });
    assert.ok(await page.evaluate(() => typeof window.rostrum.token === 'string' && window.rostrum.token.length > 0));
    await page.click('#join');

    // Join time: login click -> first stats sample with audio packets, polled
    // in the page every 10 ms so the test's own round trips do not count.
    const joinMs = await page.evaluate(async () => {
      const deadline = performance.now() + 15000;
      while (performance.now() < deadline) {
        const pc = window.rostrum.pc;
        if (pc) {
          for (const s of (await pc.getStats()).values())
            if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.packetsReceived > 0)
              return performance.now() - window.rostrum.t_login_click;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      return -1;
    });
    assert.ok(joinMs > 0, `no audio packet within 15 s; status: ${await page.textContent('#status')}`);
    const timing = await page.evaluate(() => {
      const r = window.rostrum;
      return { joined: r.t_joined - r.t_login_click, media: r.t_media_connected - r.t_login_click,
        gather: r.ice_gather_ms };
    });
    const msg = `join time: ${Math.round(joinMs)} ms (login click -> first audio; joined at ` +
      `${Math.round(timing.joined)} ms, media connected at ${Math.round(timing.media)} ms, ` +
      `ICE gathering ${Math.round(timing.gather)} ms)`;
    console.log(msg);
    t.diagnostic(msg);

    await page.waitForFunction(() => document.querySelector('#status').textContent.includes('connected'));

    let stats = null;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
      stats = await inboundAudio();
      if (stats && stats.packetsReceived > 50 && stats.audioLevel > 0.01) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(stats && stats.packetsReceived > 50, `packets received: ${JSON.stringify(stats)}`);
    assert.ok(stats.audioLevel > 0.01, `audio level: ${JSON.stringify(stats)}`);

    // The tone itself: FFT of the received track. Chrome feeds WebAudio from a
    // remote track only while it also plays in an <audio> element (the page's).
    const fft = await page.evaluate(async (toneHz) => {
      const receiver = window.rostrum.pc.getReceivers().find((r) => r.track && r.track.kind === 'audio');
      const ctx = new AudioContext();
      await ctx.resume();
      const source = ctx.createMediaStreamSource(new MediaStream([receiver.track]));
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 8192;
      analyser.smoothingTimeConstant = 0;
      source.connect(analyser);
      const bins = new Float32Array(analyser.frequencyBinCount);
      const wave = new Float32Array(analyser.fftSize);
      const hzPerBin = ctx.sampleRate / analyser.fftSize;
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      // The graph starts silent; wait for samples (bounded) before reading.
      let waitedMs = 0;
      for (; waitedMs < 8000; waitedMs += 50) {
        analyser.getFloatTimeDomainData(wave);
        if (wave.some((x) => x !== 0)) break;
        await sleep(50);
      }
      await sleep(250); // let a whole FFT window fill with signal
      const readings = [];
      for (let i = 0; i < 5; i++) {
        analyser.getFloatFrequencyData(bins);
        let peak = 1;
        for (let b = 1; b < bins.length; b++) if (bins[b] > bins[peak]) peak = b;
        readings.push({
          peakHz: peak * hzPerBin,
          peakDb: bins[peak],
          at440Db: bins[Math.round(440 / hzPerBin)],
          atToneDb: bins[Math.round(toneHz / hzPerBin)],
        });
        await sleep(200);
      }
      const state = { sampleRate: ctx.sampleRate, ctxState: ctx.state, trackState: receiver.track.readyState,
        muted: receiver.track.muted, audioPaused: window.rostrum.audio.paused, waitedMs,
        meter: document.querySelector('#level').value };
      await ctx.close();
      return { ...state, readings };
    }, TONE_HZ);
    for (const r of fft.readings) {
      assert.ok(Math.abs(r.peakHz - TONE_HZ) <= 15,
        `FFT peak at ${r.peakHz.toFixed(1)} Hz, want ${TONE_HZ} ± 15 Hz: ${JSON.stringify(fft)}`);
      assert.ok(r.peakDb > -60, `peak too quiet: ${JSON.stringify(r)}`);
      assert.ok(r.peakDb - r.at440Db > 20, `440 Hz (the default) is not far below: ${JSON.stringify(r)}`);
    }
    // the page's own level meter (#level, -60..0 dBFS) shows the floor it plays
    assert.ok(fft.meter > 0.5, `the page's level meter reads ${fft.meter}: ${JSON.stringify(fft)}`);
    const r0 = fft.readings[0];
    t.diagnostic(`FFT peak ${r0.peakHz.toFixed(1)} Hz at ${r0.peakDb.toFixed(1)} dB, ` +
      `440 Hz at ${r0.at440Db.toFixed(1)} dB, ${stats.packetsReceived} packets, level ${stats.audioLevel.toFixed(3)}`);

    // What was negotiated: the relay's DTLS role (its answer's a=setup), the
    // SRTP profile (peer.connected event and the relay's log), and the
    // transport of the selected ICE pair.
    const nego = await page.evaluate(async () => {
      const pc = window.rostrum.pc;
      const all = [...(await pc.getStats()).values()];
      const byId = new Map(all.map((s) => [s.id, s]));
      const transport = all.find((s) => s.type === 'transport');
      const pairs = all.filter((s) => s.type === 'candidate-pair');
      const selected = (transport && byId.get(transport.selectedCandidatePairId)) ||
        pairs.find((p) => p.nominated && p.state === 'succeeded');
      const describe = (p) => {
        const l = byId.get(p.localCandidateId) || {};
        const r = byId.get(p.remoteCandidateId) || {};
        return { state: p.state, nominated: p.nominated, bytesSent: p.bytesSent,
          local: `${l.protocol} ${l.address}:${l.port} ${l.candidateType}${l.tcpType ? ' ' + l.tcpType : ''}`,
          localProtocol: l.protocol, localType: l.candidateType, remote: `${r.protocol} ${r.address}:${r.port} ${r.candidateType}` };
      };
      return {
        setup: (pc.remoteDescription.sdp.match(/^a=setup:(\w+)/m) || [])[1] ?? null,
        dtlsRole: transport?.dtlsRole ?? null,
        srtpCipher: transport?.srtpCipher ?? null,
        selected: selected ? describe(selected) : null,
        succeeded: pairs.filter((p) => p.state === 'succeeded').map(describe),
      };
    });
    const negoText = JSON.stringify(nego);
    t.diagnostic(`negotiated: ${negoText}`);
    assert.equal(nego.setup, EXPECT_SETUP, `relay's a=setup: ${negoText}`);
    // Chromium's own view, where it reports one
    if (nego.dtlsRole && nego.dtlsRole !== 'unknown')
      assert.equal(nego.dtlsRole, EXPECT_SETUP === 'active' ? 'server' : 'client', `browser DTLS role: ${negoText}`);
    // (the relay says OpenSSL's profile names, Chromium the IANA ones)
    const iana = { SRTP_AES128_CM_SHA1_80: 'SRTP_AES128_CM_HMAC_SHA1_80' };
    if (nego.srtpCipher)
      assert.equal(nego.srtpCipher, iana[EXPECT_PROFILE] ?? EXPECT_PROFILE, `browser SRTP cipher: ${negoText}`);
    assert.ok(nego.selected, `no selected candidate pair: ${negoText}`);
    assert.equal(nego.selected.localProtocol, EXPECT_PROTOCOL, `selected pair: ${negoText}`);
    if (TURN)
      assert.equal(nego.selected.localType, 'relay', `relay-only, yet not through TURN: ${negoText}`);
    for (const p of nego.succeeded)
      assert.equal(p.localProtocol, EXPECT_PROTOCOL, `a succeeded pair over another protocol: ${negoText}`);

    const connected = await waitFor(() => controlEvents.find((e) => e.event === 'peer.connected' &&
      e.participant === BADGE), 3_000);
    assert.ok(connected, `no peer.connected event for ${BADGE}: ${JSON.stringify(controlEvents)}`);
    assert.equal(connected.srtp_profile, EXPECT_PROFILE, `peer.connected: ${JSON.stringify(connected)}`);
    const want = `relay: peer ${connected.peer} (${BADGE}) connected, ${EXPECT_PROFILE}`;
    const logged = await waitFor(() => relayStdout().includes(want), 3_000);
    assert.ok(logged, `relay did not log "${want}"; its stdout:\n${relayStdout().join('\n')}`);
    t.diagnostic(`relay log: ${want}`);
  });

  test('an ICE restart keeps the seat and the audio', async () => {
    const before = await page.evaluate(async () => {
      const pc = window.rostrum.pc;
      let packets = 0;
      (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp') packets = s.packetsReceived; });
      return { packets, ufrag: pc.remoteDescription.sdp.match(/a=ice-ufrag:(\S+)/)[1] };
    });
    await page.evaluate(() => window.rostrum.restartIce());
    await page.waitForFunction((old) => {
      const pc = window.rostrum.pc;
      return pc && pc.signalingState === 'stable' &&
        pc.remoteDescription.sdp.match(/a=ice-ufrag:(\S+)/)[1] !== old;
    }, before.ufrag, { timeout: 10_000 });
    // audio goes on over the new credentials: 25 more packets (0.5 s)
    await page.waitForFunction(async (n) => {
      const pc = window.rostrum.pc;
      let packets = 0;
      (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp') packets = s.packetsReceived; });
      return pc.iceConnectionState === 'connected' && packets > n + 25;
    }, before.packets, { timeout: 10_000, polling: 200 });
    const restarted = await waitFor(() => relayStdout().find((l) => / restarts ICE$/.test(l)), 3_000);
    assert.ok(restarted, `the relay logged no ICE restart:\n${relayStdout().join('\n')}`);
    assert.ok(!controlEvents.some((e) => e.event === 'peer.lost'),
      `the peer was lost across the restart: ${JSON.stringify(controlEvents)}`);
  });

  test('leaving writes join and leave attendance rows', async () => {
    const status = await page.textContent('#status');
    assert.ok(await page.isEnabled('#leave'),
      `#leave is disabled, status "${status}"\n${daemonLogs()}`);
    await page.click('#leave');
    await page.waitForFunction(() => /left/i.test(document.querySelector('#status').textContent));
    const rows = JSON.parse(sqlite(
      `SELECT id, badge, kind, wall_time, peer FROM attendance_event WHERE badge = '${BADGE}' ORDER BY id`) || '[]');
    // an ICE restart of the earlier test is a "reconnect" row of the same
    // interval, and a channel change a "channel" row: one join, one leave
    const kinds = rows.map((r) => r.kind).filter((k) => k !== 'reconnect' && k !== 'channel');
    assert.deepEqual(kinds, ['join', 'leave'], `attendance rows: ${JSON.stringify(rows)}`);
    assert.ok(rows.every((r) => r.peer === rows[0].peer), 'every row of the interval names its peer');
    for (const r of rows) {
      assert.match(r.wall_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `wall_time: ${r.wall_time}`);
      assert.match(r.peer, /^p-[0-9a-f]{8}$/, `peer: ${r.peer}`);
    }
  });
});
