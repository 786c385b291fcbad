// SPDX-License-Identifier: Apache-2.0
// The meeting in signalling, with scripted WebSocket clients (npm 'ws')
// against the real relay and signalling on loopback (docs/websocket.md,
// "The meeting"): hello and roles, every operator action refused to a
// delegate, the agenda switch splitting every open interval, the speakers'
// list (request order, reorder, grant → the relay's floor.grant, revoke),
// a booth (mic, cough) and closing the session to Member States: the
// others are removed from the relay within 1 s and cannot rejoin until it
// reopens.
//
//   ROSTRUM_BUILD=build node --test meeting.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import readline from 'node:readline';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Harness, SYNTHETIC_OFFER, waitFor, build, loadWebSocket } from './harness.mjs';

const WebSocket = await loadWebSocket();

const FILE_TIMEOUT_MS = 100_000;
const h = new Harness('rostrum-meeting-');
h.hardStop('meeting.test', FILE_TIMEOUT_MS);
let origin = null;

// demo roster (config/DEMO-CODES.md)
const MS_A = 'WTPF-0001';    // member state, delegate
const MS_CHAIR = 'WTPF-0003'; // member state, delegate + chair
const SECTOR = 'WTPF-0005';  // sector member: not in a closed session
const ACADEMIA = 'WTPF-0006'; // academia: not in a closed session
const FR = 'WTPF-0007';      // interpreter:fr
const OPERATOR = 'WTPF-0008';
const code = (badge) => `floor-44${badge.slice(-2)}`;

function get(urlPath, token) {
  const url = new URL(urlPath, h.baseUrl);
  return new Promise((resolve, reject) => {
    https.get(url, { rejectUnauthorized: false, timeout: 10_000,
      headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: data }));
    }).on('error', reject);
  });
}

function post(urlPath, body) {
  const url = new URL(urlPath, h.baseUrl);
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: 'POST',
      rejectUnauthorized: false,
      timeout: 10_000,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), origin },
    }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(data || 'null') }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

// A logged-in WebSocket client: messages recorded, hello said.
async function client(badge) {
  const r = await post('/api/login', { badge, code: code(badge) });
  assert.equal(r.status, 200, `login ${badge}`);
  const url = h.baseUrl.replace(/^https/, 'wss') + 'ws';
  const ws = await new Promise((resolve, reject) => {
    const s = new WebSocket(url, { headers: { origin }, rejectUnauthorized: false });
    s.messages = [];
    s.on('message', (data) => s.messages.push({ ...JSON.parse(data.toString()), at: Date.now() }));
    s.once('open', () => resolve(s));
    s.once('error', reject);
  });
  ws.token = r.json.token;
  ws.badge = badge;
  ws.say = (m) => ws.send(JSON.stringify(m));
  ws.say({ type: 'hello', token: ws.token });
  ws.welcome = await next(ws, (m) => m.type === 'welcome');
  return ws;
}

async function next(ws, pred, ms = 5_000) {
  const m = await waitFor(() => ws.messages.find(pred), ms, 10);
  assert.ok(m, `${ws.badge}: no matching message within ${ms} ms; got ${JSON.stringify(ws.messages.slice(-8))}`);
  return m;
}

// the last message of @type (pushes replace each other)
const last = (ws, type) => ws.messages.filter((m) => m.type === type).at(-1);

// the floor m-line sendrecv: the peer may send its microphone (tracks "mic")
const SPEAKER_OFFER = SYNTHETIC_OFFER.replace('a=recvonly', 'a=sendrecv');

async function join(ws) {
  ws.messages.length = 0;
  ws.say({ type: 'join', token: ws.token, offer: SPEAKER_OFFER });
  const m = await next(ws, (x) => x.type === 'joined' || x.type === 'error');
  ws.peer = m.peer;
  return m;
}

// Our own control-link client: requests with replies (the harness's
// observer only reads events).
function controlClient(socketPath) {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(socketPath);
    const waiting = new Map();
    const events = [];
    let id = 5000;
    sock.once('error', reject);
    sock.once('connect', () => {
      readline.createInterface({ input: sock }).on('line', (line) => {
        const m = JSON.parse(line);
        if (m.event) events.push(m);
        else if (waiting.has(m.id)) { waiting.get(m.id)(m); waiting.delete(m.id); }
      });
      resolve({
        events,
        request(type, fields = {}) {
          const my = ++id;
          sock.write(JSON.stringify({ v: 1, id: my, type, ...fields }) + '\n');
          return new Promise((res) => waiting.set(my, res));
        },
        close: () => sock.destroy(),
      });
    });
  });
}

let control = null;
async function relayPeers() {
  const n = control.events.length;
  const reply = await control.request('peer.list');
  assert.equal(reply.ok, true, JSON.stringify(reply));
  return control.events.slice(n).filter((e) => e.event === 'peer.present').map((e) => e.peer);
}

describe('the meeting', { timeout: FILE_TIMEOUT_MS }, () => {
  let op, chair, a, sector, academia, fr;

  before(async () => {
    // real interpreters only in the booths; the relay records per agenda item
    h.writeConfig({ relay: { sim_booths: '', recording_dir: path.join(h.tmp, 'recordings') } });
    await h.startRelay();
    await h.startSignalling();
    origin = h.baseUrl.replace(/\/$/, '');
    control = await controlClient(path.join(h.tmp, 'relay.sock'));
    op = await client(OPERATOR);
    chair = await client(MS_CHAIR);
    a = await client(MS_A);
    sector = await client(SECTOR);
    academia = await client(ACADEMIA);
    fr = await client(FR);
  });
  after(async () => {
    for (const c of [op, chair, a, sector, academia, fr]) c?.close();
    control?.close();
    await h.cleanup();
  });

  test('hello: roles from the roster, the meeting with its open session', () => {
    assert.deepEqual(op.welcome.roles, ['operator']);
    assert.deepEqual(fr.welcome.roles, ['interpreter:fr']);
    assert.equal(fr.welcome.booth, 'fr');
    assert.equal(a.welcome.category, 'member_state');
    const m = a.welcome.meeting;
    assert.equal(m.id, 'wtpf-26');
    assert.equal(m.agenda.length, 10);
    assert.equal(m.languages.length, 6);
    assert.deepEqual([m.session.id, m.session.status, m.session.closed], ['day-1-am', 'open', false]);
    assert.equal(m.item.id, '1');
    assert.deepEqual(fr.welcome.meeting.capture.interpreter,
      { echoCancellation: false, noiseSuppression: false, autoGainControl: false });
    // the operator gets the list and the booths at once
    assert.ok(last(op, 'queue'));
    assert.ok(op.messages.some((x) => x.type === 'booth' && x.code === 'fr'));
    assert.ok(fr.messages.some((x) => x.type === 'booth' && x.code === 'fr'));
    assert.ok(!a.messages.some((x) => x.type === 'queue' || x.type === 'booth'),
      'a delegate does not get the staff\'s pushes');
  });

  test('the operator sees every product\'s level and limiter, pushed once a second', async () => {
    const lv = await next(op, (m) => m.type === 'levels' && m.products?.floor && m.products['channel:fr'], 5_000);
    const f = lv.products.floor;
    assert.equal(typeof f.level_dbfs, 'number');
    assert.ok(f.level_dbfs > -40 && f.level_dbfs < -6, `floor tone level ${f.level_dbfs} dBFS`);
    assert.equal(typeof f.limiting, 'boolean');
    assert.ok(!a.messages.some((m) => m.type === 'levels'), 'a delegate does not get the levels');
  });

  test('every operator action is refused to a delegate, bad fields to anyone', async () => {
    const actions = [
      { type: 'session.open', session: 'day-1-pm' }, { type: 'session.close' },
      { type: 'session.restrict', closed: true }, { type: 'agenda.set', item: '2' },
      { type: 'queue.grant', badge: MS_A }, { type: 'queue.add', badge: MS_A },
      { type: 'participant.remove', badge: SECTOR }, { type: 'booth.mic', on: true },
    ];
    for (const m of actions) {
      a.messages.length = 0;
      a.say(m);
      const e = await next(a, (x) => x.type === 'error');
      assert.equal(e.code, 'forbidden', `${m.type}: ${JSON.stringify(e)}`);
      assert.equal(e.request, m.type, 'the error names the message it answers');
    }
    const bad = [
      [{ type: 'agenda.set', item: 7 }, 'bad_request'], [{ type: 'agenda.set', item: '99' }, 'not_found'],
      [{ type: 'session.open', session: 'day-1-pm' }, 'conflict'],
      [{ type: 'queue.grant', badge: 'NOBODY-1' }, 'not_found'],
      [{ type: 'queue.reorder', badge: MS_A, place: 'first' }, 'bad_request'],
      [{ type: 'session.restrict', closed: 'yes' }, 'bad_request'],
    ];
    for (const [m, codeWanted] of bad) {
      op.messages.length = 0;
      op.say(m);
      const e = await next(op, (x) => x.type === 'error');
      assert.equal(e.code, codeWanted, `${JSON.stringify(m)}: ${JSON.stringify(e)}`);
    }
    // a console that did not say hello
    const r = await post('/api/login', { badge: MS_A, code: code(MS_A) });
    assert.equal(r.status, 200);
    const url = h.baseUrl.replace(/^https/, 'wss') + 'ws';
    const raw = await new Promise((resolve) => {
      const s = new WebSocket(url, { headers: { origin }, rejectUnauthorized: false });
      s.messages = [];
      s.badge = 'no-hello';
      s.on('message', (d) => s.messages.push(JSON.parse(d.toString())));
      s.once('open', () => resolve(s));
    });
    raw.send(JSON.stringify({ type: 'hand', up: true }));
    const e = await next(raw, (x) => x.type === 'error');
    assert.equal(e.code, 'bad_request');
    raw.close();
  });

  test('the agenda switch splits every open interval, and every console hears of it', async () => {
    assert.equal((await join(a)).type, 'joined');
    assert.equal((await join(academia)).type, 'joined');
    assert.equal(a.messages.find((m) => m.type === 'joined').agenda_item.id, '1');
    op.say({ type: 'agenda.set', item: '3' });
    for (const c of [op, chair, a, academia, fr])
      await next(c, (m) => m.type === 'meeting' && m.item?.id === '3');
    // the relay records under the new item, and the operator is told
    const rec = await next(op, (m) => m.type === 'recording' && m.item === '3');
    assert.equal(rec.state, 'recording');
    assert.deepEqual([rec.meeting, rec.session], ['wtpf-26', 'day-1-am']);
    // one "item" event in the log (the bluesheet splits every interval there)
    const ev = await waitFor(() => h.sqlite(`SELECT badge, agenda_item, session, meeting FROM attendance_event WHERE kind = 'item'`)[0], 3_000);
    assert.deepEqual(ev, { badge: OPERATOR, agenda_item: '3', session: 'day-1-am', meeting: 'wtpf-26' });
    const joinRow = h.sqlite(`SELECT agenda_item, session, role, place FROM attendance_event WHERE badge = '${MS_A}' AND kind = 'join'`);
    assert.deepEqual(joinRow, [{ agenda_item: '1', session: 'day-1-am', role: 'delegate', place: 'remote' }]);
    // the bluesheet lists A under both items
    for (const item of ['1', '3']) {
      const csv = await get(`/api/bluesheet?session=day-1-am&item=${item}&format=csv`, op.token);
      assert.equal(csv.status, 200, csv.text);
      assert.match(csv.headers['content-type'], /text\/csv/);
      assert.ok(csv.text.includes(MS_A) && csv.text.includes(ACADEMIA), `item ${item}:\n${csv.text}`);
      if (item === '3') console.log(`# bluesheet, item 3:\n# ${csv.text.split('\n').slice(0, 3).join('\n# ')}`);
    }
    // only an operator may download it
    assert.equal((await get('/api/bluesheet?session=day-1-am', a.token)).status, 403);
    assert.equal((await get('/api/bluesheet?session=day-1-am', null)).status, 401);
    assert.equal((await get('/api/bluesheet?session=day-1-am&format=xml', op.token)).status, 400);
  });

  test('speakers\' list: request order, reorder, grant reaches the relay, revoke', async () => {
    a.say({ type: 'hand', up: true });
    assert.equal((await next(a, (m) => m.type === 'hand' && m.place === 1)).place, 1);
    academia.say({ type: 'hand', up: true });
    await next(academia, (m) => m.type === 'hand' && m.place === 2);
    // onsite delegate entered by the operator
    op.say({ type: 'queue.add', badge: MS_CHAIR });
    let q = await next(op, (m) => m.type === 'queue' && m.entries.length === 3);
    assert.deepEqual(q.entries.map((e) => [e.badge, e.onsite]),
      [[MS_A, false], [ACADEMIA, false], [MS_CHAIR, true]]); // the chair has no seat: onsite
    // chair and operator see the same list at once
    await next(chair, (m) => m.type === 'queue' && m.entries.length === 3);
    chair.say({ type: 'queue.reorder', badge: ACADEMIA, place: 1 });
    await next(a, (m) => m.type === 'hand' && m.place === 2);
    await next(academia, (m) => m.type === 'hand' && m.place === 1);
    const n = control.events.length;
    chair.say({ type: 'queue.grant', badge: ACADEMIA });
    const fl = await next(academia, (m) => m.type === 'floor' && m.granted === true);
    assert.ok(fl.since);
    q = await next(op, (m) => m.type === 'queue' && m.speaking.length === 1);
    assert.equal(q.speaking[0].badge, ACADEMIA);
    assert.deepEqual(q.entries.map((e) => e.badge), [MS_A, MS_CHAIR]);
    await next(a, (m) => m.type === 'hand' && m.place === 1 && m !== undefined);
    // the relay made the speaker's mix-minus product
    const st = await waitFor(async () => {
      const s = await control.request('audio.state');
      return s.products?.some((p) => p.name === `minus:${academia.peer}`) ? s : null;
    }, 3_000);
    assert.ok(st, 'the relay has no mix-minus for the granted speaker');
    chair.say({ type: 'queue.revoke', badge: ACADEMIA });
    await next(academia, (m) => m.type === 'floor' && m.granted === false);
    a.say({ type: 'hand', up: false });
    await next(a, (m) => m.type === 'hand' && m.place === null);
    op.say({ type: 'queue.remove', badge: MS_CHAIR });
    await next(op, (m) => m.type === 'queue' && m.entries.length === 0 && m.speaking.length === 0);
    void n;
  });

  test('a booth: the interpreter joins, turns the mic on, coughs', async () => {
    assert.equal((await join(fr)).type, 'joined');
    let b = await next(op, (m) => m.type === 'booth' && m.code === 'fr' && m.interpreters.length === 1);
    assert.equal(b.live, null);
    fr.say({ type: 'booth.mic', on: true });
    b = await next(fr, (m) => m.type === 'booth' && m.live === FR);
    assert.equal(b.interpreters[0].mic, true);
    assert.equal(b.outputs[0], 'fr');
    assert.ok(b.outputs.includes('en'), 'English retour offered');
    fr.say({ type: 'booth.cough', held: true });
    await next(op, (m) => m.type === 'booth' && m.cough === true);
    fr.say({ type: 'booth.cough', held: false });
    await next(op, (m) => m.type === 'booth' && m.live === FR && m.cough === false);
    // a handover needs a partner
    fr.messages.length = 0;
    fr.say({ type: 'booth.handover', action: 'request' });
    assert.equal((await next(fr, (m) => m.type === 'error')).code, 'conflict');
    // relay interpretation: the fr booth hears the es channel; a loop is refused
    fr.say({ type: 'booth.input', source: 'channel:es' });
    await next(op, (m) => m.type === 'booth' && m.code === 'fr' && m.input === 'channel:es');
    fr.messages.length = 0;
    fr.say({ type: 'booth.input', source: 'channel:fr' });
    assert.equal((await next(fr, (m) => m.type === 'error')).code, 'bad_request');
    fr.say({ type: 'message', kind: 'slow_down', text: '' });
    const msg = await next(chair, (m) => m.type === 'message');
    assert.deepEqual([msg.from, msg.booth, msg.kind], [FR, 'fr', 'slow_down']);
  });

  test('handover between the booth\'s two interpreters: request, accept, the relay follows; a third is refused', async () => {
    const fr2 = await client('WTPF-0024');
    const j2 = await join(fr2);
    assert.equal(j2.type, 'joined', JSON.stringify(j2));
    await next(fr, (m) => m.type === 'booth' && m.interpreters.length === 2);
    // the partner may not simply turn its mic on while the other is live
    fr2.messages.length = 0;
    fr2.say({ type: 'booth.mic', on: true });
    assert.equal((await next(fr2, (m) => m.type === 'error')).code, 'partner_live');
    // the partner asks; the live one sees the request and accepts
    fr2.say({ type: 'booth.handover', action: 'request' });
    const req = await next(fr, (m) => m.type === 'booth' && m.handover?.from === 'WTPF-0024');
    assert.equal(req.live, FR);
    const n = control.events.length;
    fr.say({ type: 'booth.handover', action: 'accept' });
    const done = await next(fr2, (m) => m.type === 'booth' && m.live === 'WTPF-0024' && m.handover === null);
    assert.deepEqual(done.interpreters.map((i) => [i.badge, i.mic]), [[FR, false], ['WTPF-0024', true]]);
    // the relay's booth.state says the same
    const st = await waitFor(() => control.events.slice(n).find((e) => e.event === 'booth.state' && e.booth === 'fr'), 3_000, 20);
    assert.ok(st, 'no booth.state from the relay');
    assert.equal(st.live, fr2.peer, JSON.stringify(st));
    // a declined request changes nothing
    fr.say({ type: 'booth.handover', action: 'request' });
    await next(fr2, (m) => m.type === 'booth' && m.handover?.from === FR);
    fr2.say({ type: 'booth.handover', action: 'decline' });
    await next(fr, (m) => m.type === 'booth' && m.handover === null && m.live === 'WTPF-0024' &&
      fr.messages.indexOf(m) > fr.messages.findIndex((x) => x.handover?.from === FR));
    // a third interpreter for the booth
    const fr3 = await client('WTPF-0025');
    const r = await join(fr3);
    assert.equal(r.type, 'error');
    assert.equal(r.code, 'booth_full');
    // the live interpreter leaves: no mic is live, the channel carries the floor
    fr2.say({ type: 'leave' });
    await next(op, (m) => m.type === 'booth' && m.code === 'fr' && m.interpreters.length === 1 && m.live === null);
    fr2.close();
    fr3.close();
  });

  test('closing the session to Member States removes the others within 1 s; they cannot rejoin', async () => {
    assert.equal((await join(sector)).type, 'joined');
    const before = await relayPeers();
    for (const c of [a, academia, sector, fr]) assert.ok(before.includes(c.peer), `${c.badge} in the relay`);
    const t0 = Date.now();
    op.say({ type: 'session.restrict', closed: true });
    for (const c of [academia, sector]) {
      const r = await next(c, (m) => m.type === 'removed', 2_000);
      assert.equal(r.reason, 'session_closed');
      assert.ok(r.at - t0 < 1_000, `${c.badge} told after ${r.at - t0} ms`);
    }
    // our peer.list may overtake signalling's peer.remove on the relay: ask until they are gone
    let peers = await relayPeers();
    while ((peers.includes(academia.peer) || peers.includes(sector.peer)) && Date.now() - t0 < 1_000)
      peers = await relayPeers();
    const took = Date.now() - t0;
    assert.ok(!peers.includes(academia.peer) && !peers.includes(sector.peer),
      'the ineligible peers are still in the relay');
    assert.ok(peers.includes(a.peer) && peers.includes(fr.peer), 'a Member State or the interpreter was removed');
    assert.ok(took < 1_000, `removal took ${took} ms`);
    console.log(`# close → ineligible peers gone from the relay: ${took} ms`);
    const rows = h.sqlite(`SELECT badge, reason FROM attendance_event WHERE kind = 'leave' AND reason = 'session_closed' ORDER BY id`);
    assert.deepEqual(rows.map((r) => r.badge).sort(), [SECTOR, ACADEMIA].sort());
    // rejoin refused with a reason, until it reopens
    const r = await join(sector);
    assert.equal(r.type, 'error');
    assert.equal(r.code, 'session_closed');
    assert.match(r.message, /closed/);
    op.say({ type: 'session.restrict', closed: false });
    await next(sector, (m) => m.type === 'meeting' && m.session?.closed === false);
    assert.equal((await join(sector)).type, 'joined');
  });

  test('closing the session files nothing under an item until the next opens', async () => {
    op.say({ type: 'session.close' });
    await next(a, (m) => m.type === 'meeting' && m.session?.status === 'idle');
    op.say({ type: 'session.open', session: 'day-1-pm' });
    const m = await next(a, (x) => x.type === 'meeting' && x.session?.id === 'day-1-pm');
    assert.equal(m.item.id, '3', 'the agenda goes on where it stopped');
    // the new session's log starts with a join of every seat still connected
    const rows = await waitFor(() => {
      const r = h.sqlite(`SELECT kind, agenda_item FROM attendance_event WHERE badge = '${MS_A}' AND session = 'day-1-pm' ORDER BY id`);
      return r.length >= 1 ? r : null;
    }, 3_000);
    assert.deepEqual(rows, [{ kind: 'join', agenda_item: '3' }]);
    const kinds = h.sqlite(`SELECT kind, session FROM attendance_event WHERE kind LIKE 'session%' ORDER BY id`);
    assert.deepEqual(kinds.map((k) => [k.kind, k.session]), [['session_open', 'day-1-am'],
      ['session_restrict', 'day-1-am'], ['session_restrict', 'day-1-am'],
      ['session_close', 'day-1-am'], ['session_open', 'day-1-pm']]);
  });

  test('onsite check-in by the operator puts the badge on the bluesheet as onsite', async () => {
    op.messages.length = 0;
    op.say({ type: 'checkin', badge: 'WTPF-0004', onsite: true });
    await next(op, (m) => m.type === 'checkin' && m.badge === 'WTPF-0004');
    const rows = await waitFor(() => h.sqlite(`SELECT kind, place, session FROM attendance_event WHERE badge = 'WTPF-0004'`)[0], 3_000);
    assert.deepEqual(rows, { kind: 'check_in', place: 'onsite', session: 'day-1-pm' });
    const csv = await get('/api/bluesheet?session=day-1-pm&format=csv', op.token);
    const line = csv.text.split('\n').find((l) => l.includes('WTPF-0004'));
    assert.ok(line && line.includes(',onsite,'), csv.text);
    a.messages.length = 0;
    a.say({ type: 'checkin', badge: 'WTPF-0004', onsite: false });
    assert.equal((await next(a, (m) => m.type === 'error')).code, 'forbidden');
  });

  test('the audit log has every operator and chair action, with who and on whom', async () => {
    const r = await get('/api/audit?format=json', op.token);
    assert.equal(r.status, 200, r.text);
    const entries = JSON.parse(r.text);
    const list = entries.audit;
    const seen = list.map((e) => [e.actor, e.action, e.target]);
    for (const want of [[OPERATOR, 'agenda.set', '3'], [MS_CHAIR, 'queue.grant', ACADEMIA],
      [MS_CHAIR, 'queue.reorder', ACADEMIA], [OPERATOR, 'session.restrict', 'day-1-am'],
      [OPERATOR, 'session.open', 'day-1-pm'], [OPERATOR, 'checkin', 'WTPF-0004']])
      assert.ok(seen.some((x) => JSON.stringify(x) === JSON.stringify(want)), `${want} not in ${JSON.stringify(seen)}`);
  });

  test('a restart of signalling goes on with the session and item where they were', async () => {
    a.messages.length = 0;
    op.say({ type: 'agenda.set', item: '5' });
    await next(a, (m) => m.type === 'meeting' && m.item?.id === '5');
    a.messages.length = 0;
    op.say({ type: 'session.restrict', closed: true });
    await next(a, (m) => m.type === 'meeting' && m.session?.closed === true);
    await h.kill('rostrum-signalling');
    await h.startSignalling();
    origin = h.baseUrl.replace(/\/$/, '');
    const again = await client(MS_A);
    const m = again.welcome.meeting;
    assert.deepEqual([m.session.id, m.session.status, m.session.closed, m.item.id], ['day-1-pm', 'open', true, '5']);
    again.close();
  });

  test('rostrum-admin revoke ends the badge\'s media within 1 s and its token no longer works', async () => {
    const admin = path.join(build, 'signalling', 'rostrum-admin');
    const lukas = await client('WTPF-0002');
    assert.equal((await join(lukas)).type, 'joined');
    const t0 = Date.now();
    execFileSync(admin, ['--database', path.join(h.tmp, 'attendance.sqlite'), 'revoke', 'WTPF-0002'],
      { encoding: 'utf8', timeout: 10_000 });
    const r = await next(lukas, (x) => x.type === 'removed', 3_000);
    assert.equal(r.reason, 'revoked');
    let peers = await relayPeers();
    while (peers.includes(lukas.peer) && Date.now() - t0 < 1_000) peers = await relayPeers();
    const took = Date.now() - t0;
    assert.ok(!peers.includes(lukas.peer), 'the revoked badge is still in the relay');
    assert.ok(took < 1_000, `revocation took ${took} ms`);
    console.log(`# revoke → media ended: ${took} ms`);
    lukas.messages.length = 0;
    lukas.say({ type: 'join', token: lukas.token, offer: SPEAKER_OFFER });
    assert.equal((await next(lukas, (x) => x.type === 'error')).code, 'bad_token');
    const login = await post('/api/login', { badge: 'WTPF-0002', code: code('WTPF-0002') });
    assert.equal(login.status, 401);
    lukas.close();
  });
});

describe('the meeting\'s booths against the relay\'s channels', { timeout: FILE_TIMEOUT_MS }, () => {
  const sigLog = (hh) => hh.daemons.find((d) => d.name === 'rostrum-signalling')?.stderr ?? '';

  test('every booth of WTPF-26 has its channel on the sample relay; a relay without four of them is named in the log', async () => {
    const ok = new Harness('rostrum-booths-');
    const short = new Harness('rostrum-booths-');
    try {
      ok.writeConfig({ relay: { sim_booths: '' } });
      await ok.startRelay();
      await ok.startSignalling();
      assert.ok(await waitFor(() => /has a channel for each of its 6 booth/.test(sigLog(ok)), 5_000),
        `no booth check in signalling's log\n${ok.logs()}`);
      assert.doesNotMatch(sigLog(ok), /no channel for booth/);
      short.writeConfig({ relay: { sim_booths: '', languages: 'en, fr', retour: '' } });
      await short.startRelay();
      await short.startSignalling();
      assert.ok(await waitFor(() => /the relay has no channel for booth\(s\) ar, zh, ru, es/.test(sigLog(short)), 5_000),
        `the missing channels are not named\n${short.logs()}`);
    } finally {
      await ok.cleanup();
      await short.cleanup();
    }
  });
});
