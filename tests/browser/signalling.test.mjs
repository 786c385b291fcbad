// SPDX-License-Identifier: Apache-2.0
// Signalling with scripted WebSocket clients (npm 'ws') against the real
// relay and signalling, on loopback: the web origin check and CSRF on the
// login, a join whose SDP holds a control character, one badge one seat,
// and a kill -9 of signalling with seats in the relay (adopted and resumed,
// or ended "ended_by_restart"). No browser: see restart.test.mjs for that.
//
//   ROSTRUM_BUILD=build node --test signalling.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { Harness, BADGE, CODE, SYNTHETIC_OFFER, waitFor, loadWebSocket } from './harness.mjs';

const WebSocket = await loadWebSocket();

const FILE_TIMEOUT_MS = 100_000;
const h = new Harness('rostrum-signalling-');
h.hardStop('signalling.test', FILE_TIMEOUT_MS);

let origin = null; // the page's own origin, e.g. https://127.0.0.1:40123

function request(method, urlPath, { body, headers = {} } = {}) {
  const url = new URL(urlPath, h.baseUrl);
  if (body !== undefined) headers = { ...headers, 'content-length': Buffer.byteLength(body) };
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(data); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, json, text: data });
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function login(badge, code) {
  const r = await request('POST', '/api/login', {
    body: JSON.stringify({ badge, code }),
    headers: { 'content-type': 'application/json', origin },
  });
  assert.equal(r.status, 200, `login ${badge}: ${r.text}`);
  return r.json.token;
}

// A WebSocket client that records every message; resolves once open, or
// rejects with the HTTP status of a refused handshake.
function connect(headers = { origin }) {
  const url = h.baseUrl.replace(/^https/, 'wss') + 'ws';
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, rejectUnauthorized: false, handshakeTimeout: 5_000 });
    ws.messages = [];
    ws.on('message', (data) => ws.messages.push(JSON.parse(data.toString())));
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (req, res) => reject(Object.assign(new Error('refused'), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

async function next(ws, pred, ms = 5_000) {
  const m = await waitFor(() => ws.messages.find(pred), ms, 20);
  assert.ok(m, `no matching message within ${ms} ms; got ${JSON.stringify(ws.messages)}`);
  return m;
}

async function join(ws, token, offer = SYNTHETIC_OFFER) {
  ws.messages.length = 0; // only this join's answer
  ws.send(JSON.stringify({ type: 'join', token, offer }));
  return next(ws, (m) => m.type === 'joined' || m.type === 'error');
}

describe('signalling', { timeout: FILE_TIMEOUT_MS }, () => {
  before(async () => {
    h.writeConfig();
    await h.startRelay();
    await h.startSignalling();
    origin = h.baseUrl.replace(/\/$/, '');
  });
  after(() => h.cleanup());

  test('the WebSocket refuses foreign, null and missing origins', async () => {
    for (const headers of [{ origin: 'https://evil.example' }, { origin: 'null' }, {},
      { origin: origin.replace('https:', 'http:') }]) {
      await assert.rejects(connect(headers), (err) => {
        assert.ok(err.status === 403 || err.status === 400 || err.status === undefined,
          `handshake with ${JSON.stringify(headers)}: status ${err.status}`);
        return true;
      }, `a WebSocket with ${JSON.stringify(headers)} was accepted`);
    }
    const ws = await connect();
    ws.close();
  });

  test('login refuses text/plain and a foreign Origin (CSRF)', async () => {
    const body = JSON.stringify({ badge: BADGE, code: CODE });
    let r = await request('POST', '/api/login', { body, headers: { 'content-type': 'text/plain', origin } });
    assert.equal(r.status, 415, r.text);
    r = await request('POST', '/api/login', { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(r.status, 415, r.text);
    r = await request('POST', '/api/login', {
      body, headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
    });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error, 'forbidden_origin');
    // none of these counted as a failed attempt: the right code still works
    assert.ok(await login(BADGE, CODE));
  });

  test('an offer with U+001F is refused at once as bad_request, not after 10 s', async () => {
    const token = await login('WTPF-0006', 'floor-4406');
    const ws = await connect();
    const t0 = Date.now();
    const reply = await join(ws, token, SYNTHETIC_OFFER.replace('s=-', 's=\u001f'));
    const ms = Date.now() - t0;
    assert.equal(reply.type, 'error', JSON.stringify(reply));
    assert.equal(reply.code, 'bad_request', JSON.stringify(reply));
    assert.ok(ms < 2_000, `the refusal took ${ms} ms`);
    // and the connection still works: a good offer joins
    const ok = await join(ws, token);
    assert.equal(ok.type, 'joined', JSON.stringify(ok));
    ws.close();
  });

  test('one badge, one seat: the newer join supersedes the older', async () => {
    const token = await login('WTPF-0002', 'floor-4402');
    const first = await connect();
    const a = await join(first, token);
    assert.equal(a.type, 'joined', JSON.stringify(a));
    const second = await connect();
    const b = await join(second, token);
    assert.equal(b.type, 'joined', JSON.stringify(b));
    const sup = await next(first, (m) => m.type === 'superseded');
    assert.match(sup.message, /another device/);
    const rows = await waitFor(() => {
      const r = h.sqlite("SELECT kind, peer, reason FROM attendance_event WHERE badge = 'WTPF-0002' ORDER BY id");
      return r.length === 3 ? r : null;
    }, 3_000);
    assert.deepEqual(rows.map((r) => [r.kind, r.peer, r.reason]),
      [['join', a.peer, null], ['leave', a.peer, 'superseded'], ['join', b.peer, null]],
      'intervals of one badge must not overlap');
    first.close();
    second.close();
  });

  test('a kill -9 of signalling keeps the relay\'s seats: resumed, or ended by restart', async () => {
    const tokenA = await login('WTPF-0004', 'floor-4404');
    const tokenB = await login('WTPF-0005', 'floor-4405');
    const wsA = await connect();
    const wsB = await connect();
    const a = await join(wsA, tokenA);
    const b = await join(wsB, tokenB);
    assert.equal(a.type, 'joined');
    assert.equal(b.type, 'joined');
    await h.kill('rostrum-signalling');
    // B's peer disappears from the relay while signalling is down
    h.observer.write(JSON.stringify({ v: 1, id: 900, type: 'peer.remove', peer: b.peer }) + '\n');
    await h.startSignalling();
    origin = h.baseUrl.replace(/\/$/, '');
    const ws = await connect();
    let r;
    for (let i = 0; i < 20; i++) { // not_ready until the reconcile is done
      ws.messages.length = 0;
      ws.send(JSON.stringify({ type: 'resume', token: tokenA, peer: a.peer }));
      r = await next(ws, (m) => m.type === 'resumed' || m.type === 'error');
      if (r.type !== 'error' || r.code !== 'not_ready') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(r.type, 'resumed', JSON.stringify(r));
    assert.equal(r.peer, a.peer);
    // B cannot resume: its seat ended with the reason
    const ws2 = await connect();
    ws2.send(JSON.stringify({ type: 'resume', token: tokenB, peer: b.peer }));
    const rb = await next(ws2, (m) => m.type === 'error');
    assert.equal(rb.code, 'unknown_seat', JSON.stringify(rb));
    // someone else's token cannot take A's seat
    ws2.send(JSON.stringify({ type: 'resume', token: tokenB, peer: a.peer }));
    const rc = await next(ws2, (m) => m.type === 'error' && m !== rb);
    assert.equal(rc.code, 'unknown_seat', JSON.stringify(rc));
    const rows = h.sqlite(`SELECT badge, kind, reason FROM attendance_event WHERE peer IN ('${a.peer}', '${b.peer}') ORDER BY id`);
    assert.deepEqual(rows.map((x) => [x.badge, x.kind, x.reason]),
      [['WTPF-0004', 'join', null], ['WTPF-0005', 'join', null], ['WTPF-0005', 'leave', 'ended_by_restart']],
      'A\'s interval stays open and B\'s is closed by the restart');
    // A's resumed seat is a normal one: leave closes it
    ws.send(JSON.stringify({ type: 'leave' }));
    await next(ws, (m) => m.type === 'left');
    const last = h.sqlite(`SELECT kind, reason FROM attendance_event WHERE peer = '${a.peer}' ORDER BY id DESC LIMIT 1`);
    assert.deepEqual(last, [{ kind: 'leave', reason: 'left' }]);
    for (const s of [wsA, wsB, ws, ws2]) s.close();
  });
});
