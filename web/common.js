// SPDX-License-Identifier: Apache-2.0
// What the three pages share: login, the meeting link (WebSocket, 'hello',
// pushes, reconnect), the meeting header, connection quality from getStats,
// level meters. Protocol: docs/websocket.md and the meeting draft (issue 19).
import { formatNumber, has, t } from './i18n.js';

export const $ = (id) => document.getElementById(id);

// An interpreter of a booth message as the consoles name it: the demo's
// simulated interpreter ([relay] sim_booths) has no name of its own.
export const interpreterName = (p) => (p.simulated ? t('int.simulated') : p.name);

export function show(el, on) {
  if (typeof el === 'string') el = $(el);
  if (el) el.hidden = !on;
}

// A server error's text in the page's language when its code is known.
export function errorText(msg) {
  const key = `error.${msg.code}`;
  return has(key) ? t(key) : (msg.message || t('error.generic'));
}

// POST /api/login. Resolves {token, participant, iceServers}; rejects with
// an Error whose message is already in the page's language.
export async function login(badge, code) {
  if (!badge || !code) throw new Error(t('login.missing'));
  let res;
  try {
    res = await fetch('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ badge, code }),
    });
  } catch {
    throw new Error(t('login.unreachable'));
  }
  let body = {};
  try { body = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const key = `login.${body.error}`;
    throw new Error(has(key) ? t(key) : (body.message || t('login.failed', { status: res.status })));
  }
  // today's server nests the participant; the meeting draft puts it at the top
  const p = body.participant || body;
  return {
    token: body.token,
    participant: { badge: p.badge, name: p.name, entity: p.entity, category: p.category,
      roles: p.roles || body.roles || [] },
    iceServers: body.ice_servers || [],
  };
}

// "Signed in as NAME — ENTITY (badge B)" into @el, without innerHTML.
export function showParticipant(el, p) {
  el.replaceChildren();
  const strong = document.createElement('strong');
  strong.textContent = p.name;
  const badge = document.createElement('span');
  badge.className = 'nowrap';
  badge.textContent = t('login.badge_of', { badge: p.badge });
  el.append(t('login.signed_in_as'), ' ', strong, ` — ${p.entity || ''} `, badge);
}

// Wires the login form every page has (#login-form, #badge, #code,
// #login, #login-error); @onLogin(result) runs after a good sign-in.
export function mountLogin(onLogin) {
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('login-error').textContent = '';
    $('login').disabled = true;
    try {
      await onLogin(await login($('badge').value.trim(), $('code').value));
    } catch (err) {
      $('login-error').textContent = err.message;
    } finally {
      $('login').disabled = false;
    }
  });
}

// Errors carry no reference to the request they answer (yet: the server
// may add 'request'); the page attributes an error to the meeting message
// it sent last if that was within ATTRIBUTE_MS.
const ATTRIBUTE_MS = 1500;
// Codes only the media messages (join, resume, restart) get.
const MEDIA_CODES = new Set(['not_ready', 'unknown_seat', 'bad_token', 'expired_token',
  'relay_unavailable', 'already_joined']);
export class Attribution {
  constructor() { this.last = null; }
  sent(type) { this.last = { type, at: performance.now() }; }
  // a media message went out, or @type was answered: the next error is not its
  clear(type) { if (!type || this.last?.type === type) this.last = null; }
  of(msg) {
    if (msg.request) return msg.request;
    if (MEDIA_CODES.has(msg.code)) return null;
    const l = this.last;
    this.last = null;
    return l && performance.now() - l.at < ATTRIBUTE_MS ? l.type : null;
  }
}

// An error that says the server does not know the message at all.
export function isUnknownType(msg) {
  return msg.code === 'unknown_type' || /unknown message type/i.test(msg.message || '');
}

const RETRY_MS = [250, 500, 1000, 2000, 4000];
const ICE_GATHER_CAP_MS = 1000;

// Resolves when @pc has gathered its candidates, or after a second at most.
export function waitIceGathering(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      pc.removeEventListener('icegatheringstatechange', check);
      clearTimeout(timer);
      resolve();
    };
    const check = () => { if (pc.iceGatheringState === 'complete') done(); };
    const timer = setTimeout(done, ICE_GATHER_CAP_MS);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

// A console's media: two receive tracks (what it hears, and a second
// one) and a send-only microphone track if @mic; the offer goes out as
// 'join' over @link. Resolves the peer connection; 'joined' is the
// caller's to handle (setRemoteDescription).
export async function joinMedia(link, token, iceServers, mic, onTrack) {
  const pc = new RTCPeerConnection({ iceServers: iceServers || [] });
  const first = pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const micT = mic ? pc.addTransceiver('audio', { direction: 'sendonly' }) : null;
  pc.ontrack = (ev) => onTrack(ev.track, ev.transceiver === first ? 0 : 1);
  await pc.setLocalDescription(await pc.createOffer());
  await waitIceGathering(pc);
  link.sendRaw({ type: 'join', token, offer: pc.localDescription.sdp });
  return { pc, micSender: micT ? micT.sender : null };
}

// The meeting link of the interpreter and operator consoles: one
// WebSocket, 'hello' with the token on every (re)connect, every push to
// @handlers[type](msg). Messages the server does not support are noted in
// .unsupported and reported once to @onUnsupported(type).
export class MeetingLink {
  constructor(token, handlers, { onState = () => {}, onUnsupported = () => {} } = {}) {
    this.token = token;
    this.handlers = handlers;
    this.onState = onState;
    this.onUnsupported = onUnsupported;
    this.ws = null;
    this.retries = 0;
    this.closed = false;
    this.unsupported = new Set();
    this.attribution = new Attribution();
    this.sentLog = []; // {type, at} of every message sent (tests read it)
  }

  connect() {
    const ws = new WebSocket(`wss://${location.host}/ws`);
    this.ws = ws;
    ws.onopen = () => {
      this.retries = 0;
      this.onState('open');
      this.send({ type: 'hello', token: this.token });
    };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (msg.type === 'welcome') this.attribution.clear('hello');
      if (msg.type === 'error') {
        const about = this.attribution.of(msg);
        if (about && isUnknownType(msg)) {
          if (!this.unsupported.has(about)) {
            this.unsupported.add(about);
            this.onUnsupported(about);
          }
          return;
        }
        msg.about = about;
      }
      const fn = this.handlers[msg.type];
      if (fn) fn(msg);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.ws = null;
      if (this.closed) return;
      this.onState('lost');
      setTimeout(() => this.connect(), RETRY_MS[Math.min(this.retries++, RETRY_MS.length - 1)]);
    };
    return this;
  }

  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    if (this.unsupported.has(msg.type) && msg.type === 'quality') return false;
    this.attribution.sent(msg.type);
    this.sentLog.push({ type: msg.type, at: Date.now() });
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  // A media message (join, channel, leave): its errors are the caller's.
  sendRaw(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.attribution.clear();
    this.sentLog.push({ type: msg.type, at: Date.now() });
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  close() {
    this.closed = true;
    if (this.ws) this.ws.close();
  }
}

// The venue file (GET /api/venue) as a MEETING of the draft, until the
// server's 'welcome' brings the real one.
export async function venueMeeting() {
  const res = await fetch('/api/venue', { cache: 'no-store' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const v = await res.json();
  const agenda = Array.isArray(v.agenda) ? v.agenda : [];
  return {
    acronym: v.meeting, title: v.title, where: [v.location, v.dates].filter(Boolean).join(' · '),
    languages: (v.languages || []).map((code) => (typeof code === 'string' ? { code } : code)),
    agenda, sessions: v.sessions || [], session: v.session ?? null,
    // today's /api/venue gives the item itself; the draft's MEETING an {id, title}
    item: (v.current_item && typeof v.current_item === 'object' ? v.current_item
      : agenda.find((i) => i.id === v.current_item)) || null,
  };
}

// The header and the meeting line every page shows (whichever of
// #meeting, #meeting-title, #meeting-where, #session-line, #agenda-item it has).
export function renderMeeting(m) {
  if (!m) return;
  const set = (id, text) => { if ($(id) && text !== undefined) $(id).textContent = text; };
  set('meeting', m.acronym);
  set('meeting-title', m.title);
  if (m.where) set('meeting-where', m.where);
  set('agenda-item', m.item ? t('meeting.item', { id: m.item.id, title: m.item.title }) : t('meeting.no_item'));
  if ($('session-line')) {
    const s = m.session;
    let text = t('meeting.no_session');
    if (s) {
      text = t(s.status === 'open' ? 'meeting.session_open' : 'meeting.session_idle', { title: s.title });
      if (s.closed) text += ` — ${t('meeting.closed')}`;
    }
    $('session-line').textContent = text;
  }
}

// Loss (fraction), round trip and jitter (ms) of a peer connection since
// the last call, from getStats; @prev keeps the counters between calls.
export async function measureQuality(pc, prev) {
  let received = 0, lost = 0, jitter = 0, n = 0, rtt = null;
  for (const s of (await pc.getStats()).values()) {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') {
      received += s.packetsReceived || 0;
      lost += Math.max(0, s.packetsLost || 0);
      if (typeof s.jitter === 'number') { jitter += s.jitter; n++; }
    }
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded' &&
        typeof s.currentRoundTripTime === 'number')
      rtt = s.currentRoundTripTime;
  }
  const dRecv = received - (prev.received || 0), dLost = lost - (prev.lost || 0);
  prev.received = received;
  prev.lost = lost;
  const total = dRecv + dLost;
  return {
    loss: total > 0 ? Math.round((dLost / total) * 1000) / 1000 : 0,
    rtt_ms: rtt === null ? null : Math.round(rtt * 1000),
    jitter_ms: n ? Math.round((jitter / n) * 1000) : null,
  };
}

// good / fair / poor: the thresholds of a conversation that still works
// (G.114's 150 ms one way; Opus with FEC hides a few % of loss).
export function qualityVerdict(q) {
  if (!q) return 'unknown';
  const rtt = q.rtt_ms ?? 0, jit = q.jitter_ms ?? 0;
  if (q.loss >= 0.08 || rtt >= 700 || jit >= 80) return 'poor';
  if (q.loss >= 0.02 || rtt >= 300 || jit >= 30) return 'fair';
  return 'good';
}

// Shows @q in #quality (numbers) and #quality-hint (plain words, an
// aria-live region: it changes only when the verdict does).
export function showQuality(q) {
  const verdict = qualityVerdict(q);
  const el = $('quality');
  if (!el) return verdict;
  el.dataset.verdict = verdict;
  el.textContent = t(`quality.${verdict}`);
  if ($('quality-numbers'))
    $('quality-numbers').textContent = q ? t('quality.numbers', {
      loss: formatNumber((q.loss || 0) * 100, 1),
      rtt: q.rtt_ms === null ? '—' : formatNumber(q.rtt_ms),
      jitter: q.jitter_ms === null ? '—' : formatNumber(q.jitter_ms),
    }) : '';
  const hint = $('quality-hint');
  if (hint && hint.dataset.verdict !== verdict) {
    hint.dataset.verdict = verdict;
    hint.textContent = t(`quality.hint_${verdict}`);
  }
  return verdict;
}

// Calls @cb(rms, peak) every 50 ms from @node (an AudioNode); returns a stop function.
export function meterNode(ctx, node, cb) {
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  node.connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  // setInterval, not requestAnimationFrame: keeps working in background tabs
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(buf);
    let sum = 0, peak = 0;
    for (const x of buf) { sum += x * x; peak = Math.max(peak, Math.abs(x)); }
    cb(Math.sqrt(sum / buf.length), peak);
  }, 50);
  return () => { clearInterval(timer); try { node.disconnect(analyser); } catch { /* gone */ } };
}

export const dbfs = (x) => (x > 0 ? 20 * Math.log10(x) : -Infinity);

// A <meter> from -60..0 dBFS to 0..1.
export function meterValue(db) {
  return Number.isFinite(db) ? Math.min(1, Math.max(0, (db + 60) / 60)) : 0;
}

// The clock every console shows (#clock), local time with seconds.
export function startClock(el, format) {
  const tick = () => { el.textContent = format(new Date()); };
  tick();
  return setInterval(tick, 1000);
}
