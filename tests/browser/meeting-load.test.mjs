// SPDX-License-Identifier: Apache-2.0
// 200 scripted WebSocket clients against the real relay and signalling on
// loopback: they log in, join, the operator switches agenda items, half of
// them ask for the floor, groups leave at set times; the per-item
// bluesheets exported over the operator API must say what the script did,
// to the second. (The kill -9 in a join storm: storm.test.mjs.)
//
//   ROSTRUM_BUILD=build node --test meeting-load.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Harness, SYNTHETIC_OFFER, waitFor, build, sleep, loadWebSocket } from './harness.mjs';

const WebSocket = await loadWebSocket();

// a sanitized build (ROSTRUM_SANITIZED=1) runs the same script with fewer clients
const SANITIZED = process.env.ROSTRUM_SANITIZED === '1';
const N = SANITIZED ? 40 : 200;
const CODE = 'load-code-1';
const OPERATOR = 'LOAD-OP';
const FILE_TIMEOUT_MS = SANITIZED ? 330_000 : 170_000;
const h = new Harness('rostrum-meeting-load-');
h.hardStop('meeting-load.test', FILE_TIMEOUT_MS);
let origin = null;
const badge = (i) => `LOAD-${String(i).padStart(4, '0')}`;

function writeRoster(file, n) {
  const hash = execFileSync(path.join(build, 'signalling', 'rostrum-admin'), ['hash', CODE],
    { encoding: 'utf8' }).trim();
  const lines = ['badge,family_name,given_name,entity,category,roles,email,ldc,code_hash',
    `${OPERATOR},Operator,Load,ITU,secretariat,operator,,no,${hash}`];
  for (let i = 0; i < n; i++)
    lines.push(`${badge(i)},Delegate,${i},Country ${i % 50},${i % 2 ? 'observer' : 'member_state'},delegate,,${i % 7 === 0 ? 'yes' : 'no'},${hash}`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

function httpsJson(method, urlPath, { body, token } = {}) {
  const url = new URL(urlPath, h.baseUrl);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers = { origin };
  if (text) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  if (token) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, rejectUnauthorized: false, timeout: 30_000 }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, text: data }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

async function login(b) {
  const r = await httpsJson('POST', '/api/login', { body: { badge: b, code: CODE } });
  assert.equal(r.status, 200, `login ${b}: ${r.text}`);
  return JSON.parse(r.text).token;
}

function open(b, token) {
  const url = h.baseUrl.replace(/^https/, 'wss') + 'ws';
  return new Promise((resolve, reject) => {
    const s = new WebSocket(url, { headers: { origin }, rejectUnauthorized: false });
    s.badge = b;
    s.token = token;
    s.messages = [];
    s.waiters = [];
    s.on('message', (d) => {
      const m = JSON.parse(d.toString());
      s.messages.push(m);
      s.waiters = s.waiters.filter((w) => !(w.pred(m) && (w.resolve(m), true)));
    });
    s.say = (m) => s.send(JSON.stringify(m));
    s.once('open', () => resolve(s));
    s.once('error', reject);
  });
}

function next(s, pred, ms = 15_000) {
  const found = s.messages.find(pred);
  if (found) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${s.badge}: nothing matching in ${ms} ms: ${JSON.stringify(s.messages.slice(-3))}`)), ms);
    s.waiters.push({ pred, resolve: (m) => { clearTimeout(t); resolve(m); } });
  });
}

// limited concurrency
async function pool(items, k, fn) {
  const out = new Array(items.length);
  let i = 0;
  await Promise.all(Array.from({ length: k }, async () => {
    while (i < items.length) { const j = i++; out[j] = await fn(items[j], j); }
  }));
  return out;
}

function parseCsv(text) {
  const rows = [];
  for (const line of text.trim().split('\n')) {
    const cells = [];
    let cur = '', q = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (q) { if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') q = false; else cur += ch; }
      else if (ch === '"') q = true;
      else if (ch === ',') { cells.push(cur); cur = ''; } else cur += ch;
    }
    cells.push(cur);
    rows.push(cells);
  }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((k, i) => [k, r[i]])));
}

const sec = (iso) => Math.floor(Date.parse(iso) / 1000);

describe('the meeting under load', { timeout: FILE_TIMEOUT_MS }, () => {
  before(async () => {
    const roster = path.join(h.tmp, 'roster.csv');
    writeRoster(roster, N);
    h.writeConfig({ signalling: { roster } });
    await h.startRelay();
    await h.startSignalling();
    origin = h.baseUrl.replace(/\/$/, '');
  });
  after(() => h.cleanup());

  test(`${N} clients: join, agenda switches, floor requests, leaves; the bluesheets match to the second`, async () => {
    const t0 = Date.now();
    const tokens = await pool(Array.from({ length: N }, (_, i) => badge(i)), 8, login);
    const opToken = await login(OPERATOR);
    console.log(`# ${N} logins in ${Date.now() - t0} ms`);
    const op = await open(OPERATOR, opToken);
    op.say({ type: 'hello', token: opToken });
    await next(op, (m) => m.type === 'welcome');
    op.say({ type: 'session.open', session: 'day-2-am' }); // the demo config has day-1-am open
    const opened = await next(op, (m) => m.type === 'error' || (m.type === 'meeting' && m.session?.id === 'day-2-am'));
    if (opened.type === 'error') { // close the config's first
      op.say({ type: 'session.close' });
      await next(op, (m) => m.type === 'meeting' && m.session?.status === 'idle');
      op.say({ type: 'session.open', session: 'day-2-am' });
      await next(op, (m) => m.type === 'meeting' && m.session?.id === 'day-2-am');
    }
    const clients = await pool(tokens.map((t, i) => [badge(i), t]), 20, ([b, t]) => open(b, t));
    const j0 = Date.now();
    const joined = await pool(clients, 50, async (c) => {
      c.say({ type: 'join', token: c.token, offer: SYNTHETIC_OFFER });
      const m = await next(c, (x) => x.type === 'joined' || x.type === 'error');
      assert.equal(m.type, 'joined', `${c.badge}: ${JSON.stringify(m)}`);
      c.joinedAt = Date.now();
      return m;
    });
    console.log(`# ${N} joins (each acknowledged after its row is durable) in ${Date.now() - j0} ms`);
    assert.equal(joined.length, N);
    const setItem = async (id) => {
      op.messages.length = 0;
      const at = Date.now();
      op.say({ type: 'agenda.set', item: id });
      await next(op, (m) => m.type === 'meeting' && m.item?.id === id);
      return at;
    };
    await sleep(1200);
    const tItem2 = await setItem('2');
    // clients 0..99 ask for the floor, in order
    for (let i = 0; i < N / 2; i++) clients[i].say({ type: 'hand', up: true });
    await Promise.all(clients.slice(0, N / 2).map((c) => next(c, (m) => m.type === 'hand' && m.place)));
    const q = await next(op, (m) => m.type === 'queue' && m.entries.length === N / 2);
    assert.deepEqual(q.entries.map((e) => e.badge), clients.slice(0, N / 2).map((c) => c.badge),
      'the list is in request order');
    await sleep(1200);
    const leave = async (group) => Promise.all(group.map(async (c) => {
      c.say({ type: 'leave' });
      await next(c, (m) => m.type === 'left');
      c.leftAt = Date.now();
    }));
    const groupB = clients.slice(N / 4, (3 * N) / 4);
    await leave(groupB);
    await sleep(1200);
    const tItem3 = await setItem('3');
    await sleep(1200);
    const rest = clients.filter((c) => !groupB.includes(c));
    await leave(rest);
    await sleep(300);

    const sheets = {};
    for (const item of ['1', '2', '3']) {
      const r = await httpsJson('GET', `/api/bluesheet?session=day-2-am&item=${item}&format=csv`, { token: opToken });
      assert.equal(r.status, 200, r.text);
      sheets[item] = new Map(parseCsv(r.text).map((row) => [row.badge, row]));
      if (item === '2') console.log(`# exported bluesheet, item 2 (first lines):\n# ${r.text.split('\n').slice(0, 4).join('\n# ')}`);
    }
    const near = (a, bMs, what) => assert.ok(Math.abs(sec(a) - Math.floor(bMs / 1000)) <= 1,
      `${what}: ${a} vs ${new Date(bMs).toISOString()}`);
    for (const c of clients) {
      const s1 = sheets['1'].get(c.badge), s2 = sheets['2'].get(c.badge), s3 = sheets['3'].get(c.badge);
      assert.ok(s1 && s2, `${c.badge} missing under item 1 or 2`);
      near(s1.first_join, c.joinedAt, `${c.badge} item 1 first join`);
      near(s1.last_leave, tItem2, `${c.badge} item 1 end (the switch)`);
      near(s2.first_join, tItem2, `${c.badge} item 2 start`);
      assert.equal(s1.category, Number(c.badge.slice(-4)) % 2 ? 'observer' : 'member_state');
      if (groupB.includes(c)) {
        near(s2.last_leave, c.leftAt, `${c.badge} left during item 2`);
        assert.equal(s3, undefined, `${c.badge} left before item 3 but is on its sheet`);
      } else {
        near(s2.last_leave, tItem3, `${c.badge} item 2 end`);
        assert.ok(s3, `${c.badge} missing under item 3`);
        near(s3.first_join, tItem3, `${c.badge} item 3 start`);
        near(s3.last_leave, c.leftAt, `${c.badge} item 3 leave`);
      }
    }
    for (const c of clients) c.close();
    op.close();
  });
});
