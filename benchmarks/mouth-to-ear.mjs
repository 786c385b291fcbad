// SPDX-License-Identifier: Apache-2.0
// Mouth-to-ear through the relay (issue 18, "Benchmarks"; target <= 150 ms,
// ITU-T G.114): a Chromium speaker S and a Chromium listener L on loopback,
// the relay alone (no signalling: this script drives its control socket).
//
//   ROSTRUM_BUILD=build-eng node benchmarks/mouth-to-ear.mjs [--runs 5] [--beeps 60] [--jitter-ms MS]
//
// (--jitter-ms: the relay's mic_jitter_ms; default the sample config's.
// M2E_VERBOSE=1: L's NetEq second by second and every figure as JSON.)
// Each run starts the relay and Chromium afresh: the delay of a beep is set
// by the phases of S's packetiser, the relay's 20 ms tick and L's playout,
// fixed within a run, so the runs, not the beeps, sample it; the summary
// pools every beep of every run.
//
// S sends a WebAudio MediaStreamDestination (a 1 kHz beep of 50 ms every
// 503 ms, scheduled sample-exact) on a sendrecv transceiver, peer.add with
// tracks floor + mic, then floor.grant; L receives the floor (recvonly),
// plays it in an <audio> element as a delegate's page does, and an
// AudioWorklet on the same stream finds each beep's onset (first sample
// above 0.1 after 100 ms under it). The venue is silence
// (floor_source = pipeline, audiotestsrc wave=silence).
//
// Times: each page maps its AudioContext's time to performance time with
// getOutputTimestamp() (the moment a context time leaves for the output
// device), sampled every 50 ms, and adds performance.timeOrigin: both
// pages then count on the machine's clock.
//   mouth = S's beep start, when S's render thread made it: its output
//           time minus S's outputLatency (WebRTC takes a
//           MediaStreamDestination's audio at render, not at the device);
//   ear   = L's onset, when it leaves for L's output device.
// So mouth-to-ear = S's capture path (WebAudio → WebRTC, 10 ms chunks),
// Opus encode and packetisation, loopback, the relay (SRTP, jitter buffer,
// decode, mix, limiter, encode), loopback, L's NetEq jitter buffer and
// decode, and L's output buffering. A physical microphone's capture buffer
// (~10 ms) and a room's acoustic path are not in it.
// Exit 0 when the run completed (the figure is reported, not judged), 1 on
// a failure, 77 when Chromium or playwright-core is missing.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { loadavg } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Harness, CHROMIUM, repo, sleep, waitFor } from '../tests/browser/harness.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const BEEPS = Number(opt('--beeps', '60'));
const RUNS = Number(opt('--runs', '1'));
const JITTER_MS = opt('--jitter-ms', null); // default: the sample config's mic_jitter_ms
// 503 ms, not 500: the beeps start at every point of S's 20 ms packets (it
// changes no sample's delay, but nothing then depends on the packet grid)
const BEEP_EVERY_S = 0.503, BEEP_S = 0.05, BEEP_HZ = 1000, BEEP_GAIN = 0.5;
const HARD_TIMEOUT_MS = RUNS * (60_000 + BEEPS * BEEP_EVERY_S * 1000);

let chromium;
try {
  ({ chromium } = createRequire(path.join(repo, 'tests/browser/package.json'))('playwright-core'));
} catch {
  console.log('SKIP: playwright-core is not installed (run "npm ci" in tests/browser)');
  process.exit(77);
}
if (!existsSync(CHROMIUM)) {
  console.log(`SKIP: no ${CHROMIUM}`);
  process.exit(77);
}

let h = null; // the current run's
const hardStop = setTimeout(() => {
  console.error(`mouth-to-ear: hard timeout after ${HARD_TIMEOUT_MS} ms\n${h?.logs()}`);
  h?.killDaemons('SIGKILL');
  process.exit(1);
}, HARD_TIMEOUT_MS);
hardStop.unref();

// The relay's control socket: one JSON line per request, replies by id.
function control(socketPath) {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(socketPath);
    const pending = new Map();
    let nextId = 1;
    sock.once('error', reject);
    sock.once('connect', () => {
      readline.createInterface({ input: sock }).on('line', (line) => {
        const msg = JSON.parse(line);
        if (msg.event || !pending.has(msg.id)) return;
        pending.get(msg.id)(msg);
        pending.delete(msg.id);
      });
      resolve({
        request(type, fields) {
          const id = nextId++;
          sock.write(`${JSON.stringify({ v: 1, id, type, ...fields })}\n`);
          return new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error(`${type}: no reply`)), 10_000);
            pending.set(id, (m) => {
              clearTimeout(t);
              if (m.ok) res(m);
              else rej(new Error(`${type}: ${m.error} ${m.message}`));
            });
          });
        },
        close: () => sock.destroy(),
      });
    });
  });
}

// A secure context for AudioWorklet: http://localhost/ served by playwright.
const PAGE = '<!doctype html><meta charset="utf-8"><title>mouth-to-ear</title>';
const DETECTOR = `
class Onset extends AudioWorkletProcessor {
  constructor() { super(); this.quiet = 0; this.minQuiet = Math.round(0.1 * sampleRate); }
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (ch) for (let i = 0; i < ch.length; i++) {
      if (Math.abs(ch[i]) <= 0.1) { this.quiet++; continue; }
      if (this.quiet >= this.minQuiet) this.port.postMessage({ frame: currentFrame + i, v: ch[i] });
      this.quiet = 0;
    }
    return true;
  }
}
registerProcessor('onset', Onset);`;

async function openPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (m) => { if (m.type() === 'error') console.error(`[page] ${m.text()}`); });
  await page.route('http://localhost/**', (route) => route.fulfill({ contentType: 'text/html', body: PAGE }));
  await page.goto('http://localhost/');
  // the page's clock map and its peer connection helpers
  await page.evaluate(async (detector) => {
    const ctx = new AudioContext({ sampleRate: 48000, latencyHint: 'interactive' });
    await ctx.resume();
    // (a worklet's own fetch does not go through page.route: a blob URL)
    await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([detector], { type: 'text/javascript' })));
    window.m2e = { ctx, ts: [], onsets: [] };
    window.m2e.stats = [];
    setInterval(async () => { // the receive side over time: NetEq's delay, per second
      const pc = window.m2e.pc;
      if (!pc) return;
      for (const s of (await pc.getStats()).values())
        if (s.type === 'inbound-rtp' && s.kind === 'audio')
          window.m2e.stats.push({ t: performance.now(), d: s.jitterBufferDelay, tg: s.jitterBufferTargetDelay,
            n: s.jitterBufferEmittedCount, j: s.jitter, c: s.concealedSamples, r: s.packetsReceived });
    }, 1000);
    setInterval(() => {
      const t = ctx.getOutputTimestamp();
      window.m2e.ts.push({ c: t.contextTime, p: t.performanceTime, cur: ctx.currentTime, now: performance.now() });
    }, 50);
    window.m2e.detect = (node) => {
      const det = new AudioWorkletNode(ctx, 'onset');
      det.port.onmessage = (e) => window.m2e.onsets.push(e.data.frame / ctx.sampleRate);
      node.connect(det);
      const mute = ctx.createGain(); // keeps the detector pulled by the graph
      mute.gain.value = 0;
      det.connect(mute).connect(ctx.destination);
    };
    // context time → performance.timeOrigin-based ms, by the nearest sample
    window.m2e.toEpoch = (c) => {
      let best = null;
      for (const s of window.m2e.ts)
        if (s.c > 0 && (!best || Math.abs(s.c - c) < Math.abs(best.c - c))) best = s;
      return performance.timeOrigin + best.p + (c - best.c) * 1000;
    };
    window.m2e.gather = (pc) => new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      const t = setTimeout(resolve, 5000);
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') { clearTimeout(t); resolve(); }
      });
    });
  }, DETECTOR);
  return page;
}

async function speakerOffer(page) {
  return page.evaluate(async ({ hz }) => {
    const { ctx } = window.m2e;
    const osc = ctx.createOscillator();
    osc.frequency.value = hz;
    const gate = ctx.createGain();
    gate.gain.value = 0;
    const dest = ctx.createMediaStreamDestination();
    osc.connect(gate).connect(dest);
    osc.start();
    window.m2e.gate = gate;
    window.m2e.detect(gate); // S's own onsets: the schedule as rendered
    const pc = new RTCPeerConnection();
    window.m2e.pc = pc;
    pc.addTransceiver(dest.stream.getAudioTracks()[0], { direction: 'sendrecv', streams: [dest.stream] });
    await pc.setLocalDescription(await pc.createOffer());
    await window.m2e.gather(pc);
    return pc.localDescription.sdp;
  }, { hz: BEEP_HZ });
}

async function listenerOffer(page) {
  return page.evaluate(async () => {
    const { ctx } = window.m2e;
    const pc = new RTCPeerConnection();
    window.m2e.pc = pc;
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.ontrack = (ev) => {
      const stream = new MediaStream([ev.track]);
      const el = new Audio(); // as the delegate page plays it (and Chromium pulls remote audio)
      el.srcObject = stream;
      el.play().catch(() => {});
      window.m2e.el = el;
      window.m2e.detect(ctx.createMediaStreamSource(stream));
    };
    await pc.setLocalDescription(await pc.createOffer());
    await window.m2e.gather(pc);
    return pc.localDescription.sdp;
  });
}

const connected = (page) => page.evaluate(() => window.m2e.pc.connectionState === 'connected');

function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const pos = q * (sorted.length - 1), i = Math.floor(pos);
  return i + 1 < sorted.length ? sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : '—');

// One run: relay and Chromium started afresh. Returns the beeps' delays
// (sorted) and the run's table row.
async function run() {
  h = new Harness('rostrum-m2e-');
  let browser = null;
  let ctl = null;
  try {
    return await measure(h, (b) => { browser = b; }, (c) => { ctl = c; });
  } finally {
    if (ctl) ctl.close();
    if (browser) await browser.close();
    await h.cleanup();
  }
}

async function measure(h, setBrowser, setCtl) {
  h.writeConfig({
    relay: {
      floor_source: 'pipeline',
      floor_pipeline: 'audiotestsrc wave=silence is-live=true samplesperbuffer=960',
      sim_booths: '',
      ...(JITTER_MS ? { mic_jitter_ms: JITTER_MS } : {}),
    },
  });
  const jitterMs = readFileSync(h.configFile, 'utf8').match(/^mic_jitter_ms\s*=\s*(\d+)/m)?.[1] ?? 'default';
  await h.startRelay();
  const ctl = await control(path.join(h.tmp, 'relay.sock'));
  setCtl(ctl);
  const browser = await h.launchChromium(chromium);
  setBrowser(browser);
  const context = await browser.newContext();
  const S = await openPage(context);
  const L = await openPage(context);

  const offerS = await speakerOffer(S);
  const offerL = await listenerOffer(L);
  const ansS = await ctl.request('peer.add', { peer: 'm2e-s', participant: 'M2E-S', role: 'delegate',
    tracks: ['floor', 'mic'], offer: offerS });
  await S.evaluate((sdp) => window.m2e.pc.setRemoteDescription({ type: 'answer', sdp }), ansS.answer);
  const ansL = await ctl.request('peer.add', { peer: 'm2e-l', participant: 'M2E-L', role: 'delegate',
    tracks: ['floor'], offer: offerL });
  await L.evaluate((sdp) => window.m2e.pc.setRemoteDescription({ type: 'answer', sdp }), ansL.answer);
  if (!(await waitFor(async () => (await connected(S)) && (await connected(L)), 15_000)))
    throw new Error(`the pages did not connect\n${h.logs()}`);
  await ctl.request('floor.grant', { peer: 'm2e-s' });
  await sleep(2000); // the jitter buffers settle on a steady stream

  // the beeps, sample-exact on S's context clock
  const scheduled = await S.evaluate(({ n, every, len, gain }) => {
    const { ctx, gate } = window.m2e;
    const t0 = ctx.currentTime + 0.5, times = [];
    for (let i = 0; i < n; i++) {
      const t = t0 + i * every;
      gate.gain.setValueAtTime(gain, t);
      gate.gain.setValueAtTime(0, t + len);
      times.push(t);
    }
    return times;
  }, { n: BEEPS, every: BEEP_EVERY_S, len: BEEP_S, gain: BEEP_GAIN });
  const lFrom = await L.evaluate(() => performance.now());
  await sleep((0.5 + BEEPS * BEEP_EVERY_S + 1.5) * 1000);

  const sRes = await S.evaluate((times) => ({
    mouth: times.map((t) => window.m2e.toEpoch(t) - window.m2e.ctx.outputLatency * 1000),
    rendered: window.m2e.onsets.length,
    outputLatency: window.m2e.ctx.outputLatency, baseLatency: window.m2e.ctx.baseLatency,
    sampleRate: window.m2e.ctx.sampleRate,
  }), scheduled);
  const lRes = await L.evaluate(async (from) => {
    let jb = null, rtt = null;
    for (const s of (await window.m2e.pc.getStats()).values()) {
      if (s.type === 'inbound-rtp' && s.kind === 'audio')
        jb = { delayMs: 1000 * s.jitterBufferDelay / s.jitterBufferEmittedCount,
          targetMs: s.jitterBufferTargetDelay !== undefined ? 1000 * s.jitterBufferTargetDelay / s.jitterBufferEmittedCount : null,
          minimumMs: s.jitterBufferMinimumDelay !== undefined ? 1000 * s.jitterBufferMinimumDelay / s.jitterBufferEmittedCount : null,
          packets: s.packetsReceived, lost: s.packetsLost, concealed: s.concealedSamples, samples: s.totalSamplesReceived };
      if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined)
        rtt = 1000 * s.currentRoundTripTime;
    }
    // NetEq's mean delay while the beeps played (the counters are cumulative)
    const st = window.m2e.stats, a = st.find((x) => x.t >= from), b = st.at(-1);
    const beepJb = a && b && b.n > a.n ? { delayMs: 1000 * (b.d - a.d) / (b.n - a.n),
      targetMs: 1000 * (b.tg - a.tg) / (b.n - a.n) } : null;
    return { ear: window.m2e.onsets.map((c) => window.m2e.toEpoch(c)), jb, beepJb, rtt,
      outputLatency: window.m2e.ctx.outputLatency, baseLatency: window.m2e.ctx.baseLatency };
  }, lFrom);

  // the relay's own view (its engine's histogram: mic packet in → product packet out)
  const metricsUrl = h.relayStdout().map((l) => l.match(/^relay: metrics (http\S+)/)).find(Boolean)?.[1];
  const metrics = metricsUrl ? await (await fetch(metricsUrl)).text() : '';
  const metric = (re) => { const m = metrics.match(re); return m ? Number(m[1]) : NaN; };
  const relayLat = [metric(/rostrum_audio_latency_ms\{quantile="0.5"\} (\S+)/),
    metric(/rostrum_audio_latency_ms\{quantile="0.99"\} (\S+)/)];
  const lateTicks = metric(/^rostrum_audio_late_ticks_total (\S+)$/m);

  // each beep heard: the latest beep sent before it, within 400 ms
  const m2e = [];
  for (const ear of lRes.ear) {
    let best = null;
    for (const mouth of sRes.mouth) if (mouth <= ear && ear - mouth < 400) best = mouth;
    if (best !== null) m2e.push(ear - best);
  }
  m2e.sort((a, b) => a - b);
  const row = `| ${BEEPS} | ${lRes.ear.length} (${m2e.length}) | ${fmt(quantile(m2e, 0.5))} | ${fmt(quantile(m2e, 0.99))} | ${fmt(m2e[0])} | ${fmt(m2e.at(-1))} | ${fmt(lRes.beepJb?.delayMs)} / ${fmt(lRes.beepJb?.targetMs)} | ${relayLat[0]} / ${relayLat[1]} | ${lateTicks} | ${fmt(lRes.rtt)} | ${fmt(sRes.outputLatency * 1000)} / ${fmt(lRes.outputLatency * 1000)} | ${lRes.jb?.concealed ?? '—'} of ${lRes.jb?.samples ?? '—'} | ${loadavg().map((x) => x.toFixed(1)).join(' ')} |`;
  if (sRes.rendered !== BEEPS)
    console.error(`mouth-to-ear: S rendered ${sRes.rendered} of ${BEEPS} beeps`);
  if (process.env.M2E_VERBOSE) {
    const st = await L.evaluate(() => window.m2e.stats);
    for (let i = 1; i < st.length; i++) {
      const a = st[i - 1], b = st[i], n = b.n - a.n;
      console.log(`L ${(b.t / 1000).toFixed(1)} s: NetEq delay ${(1000 * (b.d - a.d) / n).toFixed(1)} ms, target ${(1000 * (b.tg - a.tg) / n).toFixed(1)} ms, jitter ${(1000 * b.j).toFixed(1)} ms, concealed +${b.c - a.c}, packets +${b.r - a.r}`);
    }
    console.log(JSON.stringify({ m2e, mouth: sRes.mouth.map((x) => x - sRes.mouth[0]), ear: lRes.ear.map((x) => x - sRes.mouth[0]) }));
  }
  if (m2e.length < Math.min(40, BEEPS))
    throw new Error(`only ${m2e.length} beeps matched\n${h.logs()}`);
  return { m2e, row, title: `Chromium ${browser.version()} → relay → Chromium, loopback, mic_jitter_ms = ${jitterMs}` };
}

let code = 0;
const rows = [], pooled = [];
let title = '';
for (let i = 0; i < RUNS; i++) {
  try {
    const r = await run();
    rows.push(`| ${i + 1} ${r.row}`);
    pooled.push(...r.m2e);
    title = r.title;
    console.error(`run ${i + 1}/${RUNS}: p50 ${fmt(quantile(r.m2e, 0.5))} ms`);
  } catch (err) {
    console.error(`mouth-to-ear: run ${i + 1}: ${err.stack || err}\n${h?.logs()}`);
    code = 1;
  }
}
pooled.sort((a, b) => a - b);
console.log(`\n### Mouth-to-ear, ${title}\n`);
console.log('| run | beeps sent | onsets heard (matched) | p50 ms | p99 ms | min ms | max ms | L NetEq delay / target during the beeps ms | relay rostrum_audio_latency_ms p50 / p99 | relay late ticks | RTT ms | S / L outputLatency ms | L concealed samples | load average |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log(`| **all** | | ${pooled.length} | **${fmt(quantile(pooled, 0.5))}** | **${fmt(quantile(pooled, 0.99))}** | ${fmt(pooled[0])} | ${fmt(pooled.at(-1))} | | | | | | | |`);
process.exit(code);
