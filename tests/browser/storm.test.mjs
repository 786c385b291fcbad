// SPDX-License-Identifier: Apache-2.0
// Durability under a join storm: 500 scripted WebSocket delegates (npm 'ws')
// join at once against the real relay and signalling; signalling is killed
// with -9 in the middle of it, then the relay too (so no seat survives).
// After both restart: every join signalling acknowledged ("joined") is in
// the database, and every interval left open is closed "ended_by_restart".
// Prints the join rate (acknowledged joins per second before the kill).
//
//   ROSTRUM_BUILD=build node --test storm.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import https from 'node:https';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { Harness, SYNTHETIC_OFFER, sleep, waitFor } from './harness.mjs';

let WebSocket;
try {
  ({ WebSocket } = await import('ws'));
} catch {
  console.log('SKIP: the npm package ws is not installed (run "npm ci" in tests/browser)');
  process.exit(77);
}

const N = 500;
const CODE = 'storm-code';
const KILL_AFTER = 200; // acknowledged joins before the kill -9
const FILE_TIMEOUT_MS = 150_000;
const h = new Harness('rostrum-storm-');
h.hardStop('storm.test', FILE_TIMEOUT_MS);
const badge = (i) => `STORM-${String(i).padStart(4, '0')}`;
let origin = null;

// A roster of N delegates sharing one low-iteration hash (PBKDF2 cost is
// not what this test measures; docs/roster.md).
function writeRoster() {
  const salt = crypto.randomBytes(16);
  const dk = crypto.pbkdf2Sync(CODE, salt, 1000, 32, 'sha256');
  const hash = `pbkdf2-sha256$1000$${salt.toString('base64')}$${dk.toString('base64')}`;
  const lines = ['badge,family_name,given_name,entity,category,roles,email,ldc,code_hash'];
  for (let i = 1; i <= N; i++) lines.push(`${badge(i)},Delegate,${i},Member State ${i},member_state,delegate,,no,${hash}`);
  const file = path.join(h.tmp, 'storm-roster.csv');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function login(b) {
  const body = JSON.stringify({ badge: b, code: CODE });
  return new Promise((resolve, reject) => {
    const req = https.request(new URL('/api/login', h.baseUrl), {
      method: 'POST', rejectUnauthorized: false, timeout: 20_000,
      headers: { 'content-type': 'application/json', origin, 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(data).token)
        : reject(new Error(`login ${b}: ${res.statusCode} ${data}`))));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

function connect() {
  const url = h.baseUrl.replace(/^https/, 'wss') + 'ws';
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { origin }, rejectUnauthorized: false, handshakeTimeout: 20_000 });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

describe('join storm', { timeout: FILE_TIMEOUT_MS }, () => {
  before(async () => {
    h.writeConfig({ signalling: { roster: writeRoster() } });
    await h.startRelay();
    await h.startSignalling();
    origin = h.baseUrl.replace(/\/$/, '');
  });
  after(() => h.cleanup());

  test('kill -9 during 500 joins: every acknowledged join is on disk, open intervals end by restart', async () => {
    const tStart = performance.now();
    const phase = (what) => console.log(`${what}: ${((performance.now() - tStart) / 1000).toFixed(1)} s`);
    const tokens = [];
    for (let i = 1; i <= N; i += 50) { // logins first, 50 at a time: not what is measured
      const batch = [];
      for (let k = i; k < i + 50 && k <= N; k++) batch.push(login(badge(k)));
      tokens.push(...await Promise.all(batch));
    }
    phase('logins done');
    const sockets = [];
    for (let i = 0; i < N; i += 100) {
      const batch = [];
      for (let k = i; k < i + 100 && k < N; k++) batch.push(connect());
      sockets.push(...await Promise.all(batch));
    }
    phase('sockets open');
    const acked = new Map(); // peer -> badge
    let killed = false;
    let killing = null;
    const t0 = performance.now();
    let tKill = 0;
    sockets.forEach((ws, i) => {
      ws.on('error', () => {});
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString());
        if (m.type !== 'joined' || killed) return;
        acked.set(m.peer, badge(i + 1));
        if (acked.size >= KILL_AFTER && !killing) {
          killed = true;
          tKill = performance.now();
          killing = h.kill('rostrum-signalling');
        }
      });
      ws.send(JSON.stringify({ type: 'join', token: tokens[i], offer: SYNTHETIC_OFFER }));
    });
    await waitFor(() => killed, 60_000, 10);
    assert.ok(killing, `only ${acked.size} joins acknowledged within 60 s`);
    await killing;
    const rate = KILL_AFTER / ((tKill - t0) / 1000);
    console.log(`join storm: ${acked.size} joins acknowledged in ${(tKill - t0).toFixed(0)} ms ` +
      `before the kill -9 (${rate.toFixed(0)} joins/s, ${N} clients at once)`);
    for (const ws of sockets) ws.terminate();

    const before = h.sqlite("SELECT count(*) AS n FROM attendance_event WHERE kind = 'join'")[0].n;
    const peers = new Set(h.sqlite("SELECT peer FROM attendance_event WHERE kind = 'join'").map((r) => r.peer));
    const missing = [...acked.keys()].filter((p) => !peers.has(p));
    assert.deepEqual(missing, [], `acknowledged joins missing from the database (${missing.length})`);
    assert.ok(before >= acked.size, `${before} join rows, ${acked.size} acknowledged`);

    phase('checked');
    // no seat survives: the relay goes too, then both come back
    await h.kill('rostrum-relay');
    await h.startRelay();
    await h.startSignalling();
    phase('restarted');
    const open = await waitFor(() => {
      const r = h.sqlite("SELECT count(*) AS n FROM attendance_event e WHERE e.kind = 'join' AND NOT EXISTS" +
        " (SELECT 1 FROM attendance_event l WHERE l.peer = e.peer AND l.id > e.id AND l.kind = 'leave')")[0].n;
      return r === 0 ? 'none' : null;
    }, 20_000, 100);
    assert.equal(open, 'none', 'every interval closed after the restart');
    const ended = h.sqlite("SELECT count(*) AS n FROM attendance_event WHERE kind = 'leave' AND reason = 'ended_by_restart'")[0].n;
    const leaves = h.sqlite("SELECT count(*) AS n FROM attendance_event WHERE kind = 'leave'")[0].n;
    assert.equal(ended, before, `${ended} of ${before} intervals ended_by_restart (${leaves} leaves in all)`);
    console.log(`after restart: ${before} join rows (>= ${acked.size} acknowledged), all ${ended} ended_by_restart`);
    await sleep(10);
  });
});
