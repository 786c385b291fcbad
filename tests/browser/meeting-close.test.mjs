// SPDX-License-Identifier: Apache-2.0
// Closing a session to Member States with real receivers: 50 observers and
// 50 Member State delegates join through signalling with ICE, DTLS and SRTP
// (rostrum-loadgen, the rostrum adapter) and hear the floor; the operator
// closes the session; at each receiver the observers' last packet must come
// within 1 s of the close (p99 of 50), while every Member State keeps
// hearing to the end of the window.
//
//   ROSTRUM_BUILD=build node --test meeting-close.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { Harness, build, sleep, waitFor, loadWebSocket } from './harness.mjs';

const WebSocket = await loadWebSocket();

// a sanitized build (ROSTRUM_SANITIZED=1): fewer receivers, the same rule
const SANITIZED = process.env.ROSTRUM_SANITIZED === '1';
const PER_GROUP = SANITIZED ? 10 : 50;
const CODE = 'close-code-1';
const OPERATOR = 'CLOSE-OP';
const WINDOW_S = 14;
const FILE_TIMEOUT_MS = SANITIZED ? 220_000 : 110_000;
const loadgen = path.join(build, 'benchmarks', 'loadgen', 'rostrum-loadgen');
const h = new Harness('rostrum-meeting-close-');
h.hardStop('meeting-close.test', FILE_TIMEOUT_MS);
const monoMs = () => Number(process.hrtime.bigint() / 1000n) / 1000; // CLOCK_MONOTONIC, as loadgen's

function writeRoster(file) {
  const hash = execFileSync(path.join(build, 'signalling', 'rostrum-admin'), ['hash', CODE],
    { encoding: 'utf8' }).trim();
  const lines = ['badge,family_name,given_name,entity,category,roles,email,ldc,code_hash',
    `${OPERATOR},Operator,Close,ITU,secretariat,operator,,no,${hash}`];
  for (let i = 1; i <= PER_GROUP; i++) {
    const n = String(i).padStart(5, '0');
    lines.push(`OBS-${n},Observer,${i},Organization ${i},observer,delegate,,no,${hash}`);
    lines.push(`MS-${n},Delegate,${i},Member State ${i},member_state,delegate,,no,${hash}`);
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

function runLoadgen(prefix, csv) {
  const args = ['--adapter', 'rostrum', '--url', h.baseUrl.replace(/\/$/, ''), '--badge-prefix', prefix,
    '--code', CODE, '--listeners', String(PER_GROUP), '--duration', String(WINDOW_S),
    '--join-rate', SANITIZED ? '2' : '0',
    '--decrypt-sample', 'all', '--csv', csv, '--join-timeout', '40'];
  const child = spawn(loadgen, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.out = '';
  child.stdout.on('data', (d) => { child.out += d; });
  child.stderr.on('data', (d) => { child.out += d; });
  child.done = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return child;
}

function readCsv(file) {
  const [head, ...rows] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const keys = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [keys[i], v.replace(/"/g, '')])));
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

describe('closing a session at the receivers', { timeout: FILE_TIMEOUT_MS }, () => {
  before(async () => {
    if (!fs.existsSync(loadgen)) {
      console.log(`SKIP: ${loadgen} is not built`);
      process.exit(77);
    }
    const roster = path.join(h.tmp, 'roster.csv');
    writeRoster(roster);
    h.writeConfig({ signalling: { roster } });
    await h.startRelay();
    await h.startSignalling();
  });
  after(() => h.cleanup());

  test(`${PER_GROUP} observers stop hearing within 1 s of the close; ${PER_GROUP} Member States go on`, async () => {
    const origin = h.baseUrl.replace(/\/$/, '');
    const login = await new Promise((resolve, reject) => {
      const body = JSON.stringify({ badge: OPERATOR, code: CODE });
      const req = https.request(new URL('/api/login', h.baseUrl), {
        method: 'POST', rejectUnauthorized: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), origin },
      }, (res) => { let d = ''; res.on('data', (c) => { d += c; }); res.on('end', () => resolve(JSON.parse(d))); });
      req.on('error', reject);
      req.end(body);
    });
    const op = await new Promise((resolve, reject) => {
      const s = new WebSocket(h.baseUrl.replace(/^https/, 'wss') + 'ws', { headers: { origin }, rejectUnauthorized: false });
      s.messages = [];
      s.on('message', (d) => s.messages.push(JSON.parse(d.toString())));
      s.once('open', () => resolve(s));
      s.once('error', reject);
    });
    op.send(JSON.stringify({ type: 'hello', token: login.token }));
    const obsCsv = path.join(h.tmp, 'observers.csv');
    const msCsv = path.join(h.tmp, 'member-states.csv');
    const obs = runLoadgen('OBS-', obsCsv);
    const ms = runLoadgen('MS-', msCsv);
    // every receiver joined (the operator's participant list)
    const all = await waitFor(() => op.messages.find((m) => m.type === 'participants' && m.count === 2 * PER_GROUP), SANITIZED ? 150_000 : 60_000, 50);
    assert.ok(all, `not every receiver joined: ${JSON.stringify(op.messages.filter((m) => m.type === 'participants').map((m) => m.count))}\n${obs.out}\n${ms.out}`);
    await sleep(2_000); // they hear the floor
    const tClose = monoMs();
    op.send(JSON.stringify({ type: 'session.restrict', closed: true }));
    const [rcObs, rcMs] = await Promise.all([obs.done, ms.done]);
    const tEnd = monoMs();
    assert.ok(fs.existsSync(obsCsv) && fs.existsSync(msCsv), `loadgen wrote no CSV (${rcObs}, ${rcMs}):\n${obs.out}\n${ms.out}`);
    const o = readCsv(obsCsv), m = readCsv(msCsv);
    assert.equal(o.length, PER_GROUP);
    assert.equal(m.length, PER_GROUP);
    for (const r of [...o, ...m]) assert.ok(Number(r.last_rx_mono_ms) > 0, `${r.id} heard nothing: ${JSON.stringify(r)}`);
    const after = o.map((r) => Number(r.last_rx_mono_ms) - tClose);
    const p50 = quantile(after, 0.5), p99 = quantile(after, 0.99);
    console.log(`# close → observers' last packet: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...after).toFixed(1)} ms (${PER_GROUP} receivers)`);
    assert.ok(p99 < 1_000, `p99 ${p99} ms after the close`);
    const msGap = m.map((r) => tEnd - Number(r.last_rx_mono_ms));
    console.log(`# Member States: last packet ${Math.max(...msGap).toFixed(0)} ms before loadgen ended at most`);
    for (const r of m)
      assert.ok(Number(r.last_rx_mono_ms) > tClose + 3_000, `${r.id} stopped hearing at the close`);
    op.close();
  });
});
