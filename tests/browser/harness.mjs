// SPDX-License-Identifier: Apache-2.0
// What the browser and signalling tests share: a temp dir with a config
// made from config/rostrum.ini plus overrides, the daemons started from the
// build dir (and restarted, or killed with -9), an observer on the relay's
// control socket, SQLite reads, and Chromium. Each test file makes one
// Harness; everything runs on loopback.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';
export const READY_TIMEOUT_MS = 15_000;
export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const build = path.resolve(repo, process.env.ROSTRUM_BUILD || 'build');
export const BADGE = 'WTPF-0001';
export const CODE = 'floor-4401'; // demo roster, config/DEMO-CODES.md

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Chromium's fake microphone (a beep, or --use-file-for-fake-audio-capture)
// and no permission prompt.
export const FAKE_MEDIA = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];

// Collects what @page logs as an error or throws (.errors).
export function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  return errors;
}

// playwright-core's chromium, or exit 77 (meson's SKIP) saying what is missing.
export async function loadChromium() {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    console.log('SKIP: playwright-core is not installed (run "npm ci" in tests/browser)');
    process.exit(77);
  }
  if (!existsSync(CHROMIUM)) {
    console.log(`SKIP: no ${CHROMIUM}`);
    process.exit(77);
  }
  return chromium;
}

// The npm package ws (scripted WebSocket clients), or SKIP (exit 77).
export async function loadWebSocket() {
  try {
    return (await import('ws')).WebSocket;
  } catch {
    console.log('SKIP: the npm package ws is not installed (run "npm ci" in tests/browser)');
    process.exit(77);
  }
}

// Polls @fn (sync or async) every @every ms until it returns a truthy value
// or @ms pass; returns its last value.
export async function waitFor(fn, ms, every = 100) {
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    const v = await fn();
    if (v) return v;
    await sleep(every);
  }
  return fn();
}

// A peer.add-able offer that never connects (no ICE agent behind it).
export const SYNTHETIC_OFFER =
  'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n' +
  'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n' +
  'a=ice-ufrag:lgUf\r\na=ice-pwd:synthetic-peer-password-0123\r\n' +
  `a=fingerprint:sha-256 ${Array(32).fill('AB').join(':')}\r\n` +
  'a=setup:actpass\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n';

export class Harness {
  constructor(prefix = 'rostrum-browser-') {
    this.tmp = mkdtempSync(path.join(tmpdir(), prefix));
    this.daemons = [];
    this.controlEvents = []; // every event line the relay broadcast (parsed)
    this.observer = null;
    this.configFile = null;
    this.baseUrl = null;
    process.on('exit', () => this.killDaemons('SIGKILL'));
  }

  // A hard bound on the whole file, whatever hangs (the test runner's own
  // timeouts cannot interrupt a stuck child process).
  hardStop(name, ms) {
    const t = setTimeout(() => {
      console.error(`${name}: hard timeout after ${ms} ms`);
      this.killDaemons('SIGKILL');
      process.exit(1);
    }, ms + 5_000);
    t.unref();
  }

  // config/rostrum.ini with the test's overrides: every key of the sample is
  // kept, so a new key gets its default from the sample, not from nowhere.
  writeConfig({ relay = {}, signalling = {} } = {}) {
    const tmp = this.tmp;
    const overrides = {
      relay: {
        control_socket: path.join(tmp, 'relay.sock'),
        bind_address: '127.0.0.1',
        floor_source: 'tone',
        floor_file: path.join(tmp, 'floor.wav'),
        metrics_port: '0',
        ...relay,
      },
      signalling: {
        listen_address: '127.0.0.1',
        listen_port: '0',
        tls_cert: path.join(tmp, 'tls', 'cert.pem'),
        tls_key: path.join(tmp, 'tls', 'key.pem'),
        web_root: path.join(repo, 'web'),
        roster: path.join(repo, 'config', 'roster.csv'),
        meetings_dir: path.join(repo, 'config', 'meetings'),
        session: 'day-1-am',
        database: path.join(tmp, 'attendance.sqlite'),
        token_key_file: path.join(tmp, 'token.key'),
        relay_socket: path.join(tmp, 'relay.sock'),
        turn_urls: '',
        turn_secret_file: path.join(tmp, 'turn.secret'),
        ...signalling,
      },
    };
    const out = [];
    let section = null;
    const seen = new Set();
    const flush = () => {
      for (const [k, v] of Object.entries(overrides[section] || {}))
        if (!seen.has(`${section}.${k}`)) out.push(`${k} = ${v}`);
    };
    for (const line of readFileSync(path.join(repo, 'config', 'rostrum.ini'), 'utf8').split('\n')) {
      const sec = line.match(/^\s*\[([^\]]+)\]/);
      const kv = line.match(/^\s*([A-Za-z0-9_]+)\s*=/);
      if (sec) {
        if (section) flush();
        section = sec[1];
        out.push(line);
      } else if (kv && section && overrides[section] && kv[1] in overrides[section]) {
        seen.add(`${section}.${kv[1]}`);
        out.push(`${kv[1]} = ${overrides[section][kv[1]]}`);
      } else {
        out.push(line);
      }
    }
    if (section) flush();
    this.configFile = path.join(tmp, 'rostrum.ini');
    writeFileSync(this.configFile, out.join('\n'));
    return this.configFile;
  }

  // Starts a daemon in the temp dir and resolves with the first stdout line
  // matching @ready (null: resolves at once); rejects on exit or after
  // READY_TIMEOUT_MS.
  startDaemon(name, exe, args, ready) {
    const child = spawn(exe, args, { cwd: this.tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    const d = { name, child, stderr: '', stdout: [] };
    this.daemons.push(d);
    child.stderr.on('data', (b) => { d.stderr = (d.stderr + b).slice(-8000); });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`${name}: not ready within ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS);
      const fail = (err) => {
        clearTimeout(timer);
        reject(new Error(`${err.message}\n--- ${name} stderr ---\n${d.stderr}`));
      };
      child.on('error', fail);
      child.on('exit', (code, sig) => fail(new Error(`${name} exited (${code ?? sig}) before ready`)));
      if (!ready) { // readiness is checked by the caller
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(null);
      }
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        d.stdout.push(line);
        const m = ready && line.match(ready);
        if (m) {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve(m);
        }
      });
    });
  }

  daemon(name) {
    return this.daemons.filter((d) => d.name === name).at(-1);
  }

  async startRelay() {
    await this.startDaemon('rostrum-relay', path.join(build, 'relay', 'rostrum-relay'),
      ['--config', this.configFile], /^relay: control socket /);
    this.observer = await this.observeControl(path.join(this.tmp, 'relay.sock'));
  }

  async startSignalling() {
    const m = await this.startDaemon('rostrum-signalling',
      path.join(build, 'signalling', 'rostrum-signalling'), ['--config', this.configFile],
      /^signalling: listening on (https:\/\/\S+)/);
    this.baseUrl = m[1];
    return this.baseUrl;
  }

  // kill -9 (or another signal) of the latest daemon @name; resolves on exit.
  kill(name, signal = 'SIGKILL') {
    const d = this.daemon(name);
    return new Promise((resolve) => {
      if (d.child.exitCode !== null || d.child.signalCode !== null) return resolve();
      d.child.once('exit', () => resolve());
      d.child.kill(signal);
    });
  }

  killDaemons(signal = 'SIGTERM') {
    for (const d of this.daemons)
      if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill(signal);
  }

  async stopDaemons() {
    this.killDaemons('SIGTERM');
    await Promise.all(this.daemons.map((d) => new Promise((resolve) => {
      if (d.child.exitCode !== null || d.child.signalCode !== null) return resolve();
      const t = setTimeout(() => { d.child.kill('SIGKILL'); resolve(); }, 3_000);
      d.child.on('exit', () => { clearTimeout(t); resolve(); });
    })));
  }

  // A second client on the relay's control socket: the relay broadcasts its
  // events to every client, so this one just reads lines.
  observeControl(socketPath) {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(socketPath);
      sock.once('error', reject);
      sock.once('connect', () => {
        sock.on('error', () => {}); // a relay that dies is reported by the assertions
        readline.createInterface({ input: sock }).on('line', (line) => {
          try {
            const msg = JSON.parse(line);
            if (msg.event) this.controlEvents.push({ ...msg, at: Date.now() });
          } catch { /* not ours to judge here */ }
        });
        resolve(sock);
      });
    });
  }

  relayStdout() {
    return this.daemon('rostrum-relay').stdout;
  }

  logs() {
    return this.daemons.map((d) => `--- ${d.name} stderr (tail) ---\n${d.stderr.slice(-3000)}`).join('\n');
  }

  sqlite(sql) {
    const out = execFileSync('sqlite3', ['-json', path.join(this.tmp, 'attendance.sqlite'), sql],
      { encoding: 'utf8', timeout: 10_000 });
    return JSON.parse(out || '[]');
  }

  // A signed-in page of @browser at @url (/, /operator.html, ...): .sent,
  // the JSON frames it sent, .got, those it received, .errors.
  async signIn(browser, url, badge, code, locale = 'en-GB') {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, locale, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const sent = [];
    const got = [];
    const errors = watchErrors(page);
    page.on('websocket', (ws) => {
      ws.on('framesent', (f) => { try { sent.push(JSON.parse(f.payload)); } catch { /* binary */ } });
      ws.on('framereceived', (f) => { try { got.push(JSON.parse(f.payload)); } catch { /* binary */ } });
    });
    await page.goto(`${this.baseUrl}${url}`);
    await page.fill('#badge', badge);
    await page.fill('#code', code);
    await page.click('#login');
    await waitFor(() => got.some((m) => m.type === 'welcome'), 5_000);
    return { context, page, sent, got, errors };
  }

  async launchChromium(chromium, extraArgs = []) {
    return chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--autoplay-policy=no-user-gesture-required', '--ignore-certificate-errors', ...extraArgs],
    });
  }

  // writeConfig(@config), the relay, signalling and a Chromium with @args.
  async startStack(chromium, config = {}, args = FAKE_MEDIA) {
    this.writeConfig(config);
    await this.startRelay();
    await this.startSignalling();
    this.browser = await this.launchChromium(chromium, args);
    return this.browser;
  }

  async cleanup() {
    if (this.browser) await this.browser.close().catch(() => {});
    this.browser = null;
    try {
      if (this.observer) this.observer.destroy();
    } finally {
      await this.stopDaemons();
      if (process.env.ROSTRUM_KEEP_TMP) console.log(`kept ${this.tmp}`);
      else rmSync(this.tmp, { recursive: true, force: true });
    }
  }
}

// In @page: an analyser per receive track (the floor is the first
// transceiver) and, every 10 ms, the FFT bins at @freqs into window.tones
// as rows { t: performance.now(), 'TRACK:HZ': dB }.
export function startToneAnalysis(page, freqs) {
  return page.evaluate(async (hz) => {
    const ctx = new AudioContext();
    await ctx.resume();
    const tracks = window.rostrum.pc.getTransceivers().map((t) => t.receiver.track);
    const analysers = tracks.map((track) => {
      const a = ctx.createAnalyser();
      a.fftSize = 2048;
      a.smoothingTimeConstant = 0;
      ctx.createMediaStreamSource(new MediaStream([track])).connect(a);
      return a;
    });
    const bins = new Float32Array(analysers[0].frequencyBinCount);
    const binHz = ctx.sampleRate / analysers[0].fftSize;
    window.tones = [];
    window.toneTimer = setInterval(() => {
      const row = { t: performance.now() };
      analysers.forEach((a, i) => {
        a.getFloatFrequencyData(bins);
        for (const f of hz) row[`${i}:${f}`] = bins[Math.round(f / binHz)];
      });
      window.tones.push(row);
    }, 10);
  }, freqs);
}

// The latest reading of @page's track @i at @hz (dB; startToneAnalysis).
export function toneLevel(page, i, hz) {
  return page.evaluate(([k]) => (window.tones.length ? window.tones.at(-1)[k] : -Infinity), [`${i}:${hz}`]);
}

// Until @page's track @i carries @hz above -60 dB (or @ms pass).
export function waitTone(page, i, hz, ms = 8_000) {
  return waitFor(async () => (await toneLevel(page, i, hz)) > -60, ms, 50);
}

export const WAV_RATE = 48000;

// A 16-bit 48 kHz WAV of @n frames of @ch channels: the header written,
// the samples (little-endian int16 from byte 44, interleaved) zero.
export function wavBuffer(n, ch) {
  const pcm = Buffer.alloc(44 + n * 2 * ch);
  pcm.write('RIFF', 0); pcm.writeUInt32LE(36 + n * 2 * ch, 4); pcm.write('WAVE', 8);
  pcm.write('fmt ', 12); pcm.writeUInt32LE(16, 16); pcm.writeUInt16LE(1, 20); pcm.writeUInt16LE(ch, 22);
  pcm.writeUInt32LE(WAV_RATE, 24); pcm.writeUInt32LE(WAV_RATE * 2 * ch, 28); pcm.writeUInt16LE(2 * ch, 32);
  pcm.writeUInt16LE(16, 34); pcm.write('data', 36); pcm.writeUInt32LE(n * 2 * ch, 40);
  return pcm;
}

// A 16-bit stereo 48 kHz WAV of @seconds: the sines @tones [{hz, amp}]
// (both channels the same: Chromium's fake capture sums a mono file's two
// channels), on for @onMs of every @onMs + @offMs with 10 ms ramps (offMs 0:
// continuous). For --use-file-for-fake-audio-capture, which loops it.
export function writeToneWav(file, tones, { seconds = 6, onMs = 1000, offMs = 0 } = {}) {
  const RATE = WAV_RATE, ch = 2, n = RATE * seconds;
  const pcm = wavBuffer(n, ch);
  const period = (onMs + offMs) / 1000, on = onMs / 1000, ramp = 0.01;
  for (let i = 0; i < n; i++) {
    const t = i / RATE, p = t % period;
    let env = 1;
    if (offMs) env = p >= on ? 0 : Math.min(1, p / ramp, (on - p) / ramp);
    let v = 0;
    for (const { hz, amp } of tones) v += amp * Math.sin(2 * Math.PI * hz * t);
    for (let c = 0; c < ch; c++) pcm.writeInt16LE(Math.round(env * v * 32767), 44 + (i * ch + c) * 2);
  }
  writeFileSync(file, pcm);
  return file;
}

// In @page: samples the inbound audio's lastPacketReceivedTimestamp every
// 10 ms; the longest step between two packets is the gap a listener heard
// (measured per peer connection). stopGapMeter returns { maxGapMs, samples }.
export function startGapMeter(page) {
  return page.evaluate(() => {
    const m = { maxGapMs: 0, last: null, samples: 0, pc: null, stop: false };
    window.gapMeter = m;
    (async () => {
      while (!m.stop) {
        const pc = window.rostrum.pc;
        if (pc && pc === m.pc) {
          for (const s of (await pc.getStats()).values()) {
            if (s.type !== 'inbound-rtp' || s.kind !== 'audio' || !s.lastPacketReceivedTimestamp) continue;
            const t = s.lastPacketReceivedTimestamp;
            if (m.last !== null && t > m.last) m.maxGapMs = Math.max(m.maxGapMs, t - m.last);
            m.last = t;
            m.samples++;
          }
        } else {
          m.pc = pc;
          m.last = null;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
  });
}

export function stopGapMeter(page) {
  return page.evaluate(() => {
    const m = window.gapMeter;
    m.stop = true;
    return { maxGapMs: m.maxGapMs, samples: m.samples };
  });
}
