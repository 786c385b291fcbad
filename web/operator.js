// SPDX-License-Identifier: Apache-2.0
// Operator and chair console: the session (open, close, closed to Member
// States), the agenda item, the speakers' queue (grant, revoke, reorder by
// buttons), participants (mute, remove, onsite check-in), booths and
// product levels, messages from the booths, live attendance, bluesheet and
// audit downloads. The chair gets the same page with the chair's rights:
// what the roles cannot do is hidden. Protocol: the meeting draft.
import './shell.js';
import { formatDuration, formatNumber, formatTime, has, initI18n, onLanguage, ownName, t } from './i18n.js';
import { $, MeetingLink, errorText, interpreterName, joinMedia, mountLogin, qualityVerdict, renderMeeting, show,
  showParticipant, startClock, venueMeeting } from './common.js';

// What each role may do: the page's data-needs="..." sections.
const RIGHTS = {
  operator: ['operator', 'agenda', 'queue', 'messages'],
  chair: ['agenda', 'queue', 'messages'],
};

const st = {
  token: null, me: null, roles: [], rights: new Set(), meeting: null, link: null,
  queue: { entries: [], speaking: null }, participants: null, booths: {}, levels: null,
  messages: [], pc: null,
};
window.rostrum = st;

function status(key, params) {
  $('op-status').dataset.key = key;
  $('op-status').textContent = t(key, params);
}

function send(msg) {
  if (!st.link || !st.link.send(msg)) status('int.not_connected');
}

function button(key, params, onClick, cls = 'secondary small') {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = cls;
  b.textContent = t(key);
  b.setAttribute('aria-label', t(`${key}_label`, params));
  b.addEventListener('click', onClick);
  return b;
}

function cell(row, text, lang) {
  const td = document.createElement('td');
  if (text instanceof Node) td.append(text);
  else td.textContent = text ?? '—';
  if (lang) td.lang = lang;
  row.append(td);
  return td;
}

function applyRights() {
  st.rights = new Set(st.roles.flatMap((r) => RIGHTS[r] || []));
  for (const el of document.querySelectorAll('[data-needs]')) el.hidden = !st.rights.has(el.dataset.needs);
  const chairOnly = !st.rights.has('operator') && st.rights.has('queue');
  $('eyebrow').textContent = t(chairOnly ? 'op.eyebrow_chair' : 'op.eyebrow');
  if (!st.rights.size) status('op.no_rights');
}

// ---- session and agenda ----
function renderSession() {
  const m = st.meeting || {};
  const opt = (value, text) => Object.assign(document.createElement('option'), { value, textContent: text });
  const sel = $('session-select');
  const keepS = sel.value;
  sel.replaceChildren(...(m.sessions || []).map((s) => opt(s.id, [s.day, s.start && `${s.start}–${s.end || ''}`, s.title].filter(Boolean).join(' · '))));
  if (!sel.options.length) sel.append(opt('', t('op.no_sessions')));
  sel.value = m.session?.id || keepS || sel.options[0].value;
  const open = m.session?.status === 'open';
  $('session-open').disabled = open || !(m.sessions || []).length;
  $('session-close').disabled = !open;
  $('restrict').checked = !!m.session?.closed;
  $('restrict').disabled = !m.session;
  const isel = $('item-select');
  isel.replaceChildren(...(m.agenda || []).map((i) => opt(i.id, t('meeting.item', { id: i.id, title: i.title }))));
  if (m.item) isel.value = m.item.id;
}

function setMeeting(m) {
  st.meeting = { ...(st.meeting || {}), ...m };
  renderMeeting(st.meeting);
  renderSession();
}

// ---- the queue ----
let speakTimer = null;
function renderQueue() {
  const q = st.queue;
  const tbody = $('queue').tBodies[0];
  const n = q.entries.length;
  tbody.replaceChildren(...q.entries.map((e, i) => {
    const tr = document.createElement('tr');
    tr.dataset.badge = e.badge;
    const p = { name: e.name };
    cell(tr, formatNumber(i + 1));
    cell(tr, e.name);
    cell(tr, e.entity);
    cell(tr, t(e.onsite ? 'op.onsite' : 'op.remote'));
    cell(tr, e.requested_at ? formatTime(new Date(e.requested_at)) : '—');
    const acts = document.createElement('div');
    acts.className = 'row-actions';
    acts.append(button('op.grant', p, () => send({ type: 'queue.grant', badge: e.badge }), 'primary small'));
    const up = button('op.up', p, () => send({ type: 'queue.reorder', badge: e.badge, place: i }));
    up.disabled = i === 0;
    const down = button('op.down', p, () => send({ type: 'queue.reorder', badge: e.badge, place: i + 2 }));
    down.disabled = i === n - 1;
    acts.append(up, down, button('op.remove_q', p, () => send({ type: 'queue.remove', badge: e.badge })));
    cell(tr, acts);
    return tr;
  }));
  show('queue-empty', n === 0);
  show('queue', n > 0);
  const s = q.speaking;
  $('speaking').textContent = s ? s.name : t('op.nobody');
  show('revoke', !!s);
  clearInterval(speakTimer);
  const tick = () => { $('speaking-time').textContent = s?.since ? formatDuration(Date.now() - Date.parse(s.since)) : ''; };
  tick();
  if (s) speakTimer = setInterval(tick, 1000);
}

// ---- participants ----
function qualityText(q) {
  if (!q) return '—';
  const rtt = q.rtt_ms === null || q.rtt_ms === undefined ? '—' : formatNumber(q.rtt_ms);
  return `${t(`quality.${qualityVerdict(q)}`)} (${formatNumber((q.loss || 0) * 100, 1)} %, ${rtt} ms)`;
}

function soundcheckText(sc) {
  if (!sc) return '—';
  if (sc.ok) return t('op.sc_ok');
  const bad = [sc.clipping && t('op.sc_clipping'), sc.narrowband && t('op.sc_narrowband'),
    sc.level_dbfs < -40 && t('op.sc_quiet')].filter(Boolean);
  return `${t('op.sc_problem')}: ${bad.join(', ') || formatNumber(sc.level_dbfs, 1)}`;
}

const categoryText = (c) => (has(`cat.${c}`) ? t(`cat.${c}`) : c || '—');
const roleText = (r) => {
  const m = /^interpreter:(\w+)$/.exec(r || '');
  if (m) return t('role.interpreter_of', { language: ownName(m[1]) });
  return has(`role.${r}`) ? t(`role.${r}`) : r || '—';
};

// What a participant's row says under "channel": what a delegate hears;
// for an interpreter, the channel the booth works into (its output, a
// retour included), not the monitor track the console also receives.
function channelText(p) {
  const booth = p.booth || (String(p.role).startsWith('interpreter:') ? p.role.slice(12) : null);
  if (booth) {
    const out = String(st.booths[booth]?.output || booth).replace(/^channel:/, '');
    return `${t('int.output')}: ${ownName(out)}`;
  }
  return !p.channel || p.channel === 'floor' || p.channel === 'none' ? t('delegate.floor') : ownName(p.channel);
}

function renderParticipants() {
  const list = st.participants;
  const tbody = $('participants').tBodies[0];
  show('parts-empty', !list);
  show('participants', !!list);
  $('attendance').textContent = list ? formatNumber(list.filter((p) => p.connected !== false).length) : '—';
  if (!list) return;
  tbody.replaceChildren(...list.map((p) => {
    const tr = document.createElement('tr');
    tr.dataset.badge = p.badge;
    const x = { name: p.name };
    cell(tr, p.name);
    cell(tr, p.entity);
    cell(tr, categoryText(p.category));
    cell(tr, roleText(p.role === 'interpreter' && p.booth ? `interpreter:${p.booth}` : p.role));
    cell(tr, channelText(p));
    cell(tr, [p.remote ? t('op.remote') : null, p.onsite ? t('op.onsite') : null,
      p.connected ? null : t('op.offline')].filter(Boolean).join(', '));
    cell(tr, qualityText(p.quality)).dataset.verdict = p.quality ? qualityVerdict(p.quality) : 'unknown';
    cell(tr, soundcheckText(p.soundcheck));
    const acts = document.createElement('div');
    acts.className = 'row-actions';
    acts.append(button('op.mute', x, () => send({ type: 'participant.mute', badge: p.badge })),
      button('op.remove', x, () => {
        if (window.confirm(t('op.remove_confirm', x))) send({ type: 'participant.remove', badge: p.badge });
      }));
    cell(tr, acts);
    return tr;
  }));
}

// ---- booths, levels, messages ----
function renderBooths() {
  $('booths').replaceChildren(...Object.values(st.booths).map((b) => {
    const li = document.createElement('li');
    const live = b.interpreters?.find((p) => p.badge === b.live);
    const input = b.input === 'floor' ? t('int.source_floor') : t('int.source_relay', { language: ownName(String(b.input).slice(8)) });
    const name = document.createElement('strong');
    name.textContent = `${ownName(b.code)} — `;
    li.append(name, [live ? t('int.live_is', { name: interpreterName(live) }) : t('int.nobody_live'),
      `${t('int.input')}: ${input}`, b.cough ? t('op.coughing') : null,
      typeof b.listeners === 'number' ? t('op.listeners', { n: formatNumber(b.listeners) }) : null]
      .filter(Boolean).join(' · '));
    return li;
  }));
  const tbody = $('levels').tBodies[0];
  const products = st.levels?.products || {};
  // the floor first, then the channels in the meeting's order, then the rest
  const langs = (st.meeting?.languages || []).map((l) => (typeof l === 'string' ? l : l.code));
  const rank = (name) => (name === 'floor' ? -1
    : langs.includes(name.replace(/^channel:/, '')) ? langs.indexOf(name.replace(/^channel:/, '')) : langs.length);
  const rows = Object.entries(products).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  tbody.replaceChildren(...rows.map(([name, p]) => {
    const tr = document.createElement('tr');
    cell(tr, name === 'floor' ? t('delegate.floor') : ownName(name.replace(/^channel:/, '')));
    cell(tr, `${formatNumber(p.level_dbfs, 1)} dBFS`);
    cell(tr, `${formatNumber(p.peak_dbfs, 1)} dBFS`);
    cell(tr, t(p.limiting ? 'int.limiting' : 'int.not_limiting'));
    return tr;
  }));
  show('levels', Object.keys(products).length > 0);
}

function renderMessages() {
  $('messages').replaceChildren(...st.messages.map((m) => {
    const li = document.createElement('li');
    const what = m.kind === 'slow_down' ? t('op.msg_slow_down') : m.text;
    li.textContent = `${formatTime(new Date(m.at || Date.now()))} — ${m.booth ? ownName(m.booth) : ''} ${m.from || ''}: ${what}`;
    if (m.kind === 'slow_down') li.className = 'urgent';
    return li;
  }));
  show('msgs-empty', st.messages.length === 0);
}

// ---- downloads (the token goes in a header, so fetch, then a blob) ----
async function download(ev) {
  const b = ev.currentTarget;
  const m = st.meeting || {};
  const q = new URLSearchParams({ format: b.dataset.format });
  if (b.dataset.download === 'bluesheet') {
    if (!m.session?.id) { $('dl-status').textContent = t('op.dl_no_session'); return; }
    q.set('session', m.session.id);
    if (b.dataset.scope === 'item' && m.item) q.set('item', m.item.id);
  }
  try {
    const res = await fetch(`/api/${b.dataset.download}?${q}`, { headers: { authorization: `Bearer ${st.token}` } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const url = URL.createObjectURL(await res.blob());
    const a = Object.assign(document.createElement('a'), { href: url,
      download: `${b.dataset.download}-${q.get('session') || 'all'}${q.get('item') ? `-item${q.get('item')}` : ''}.${b.dataset.format}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    $('dl-status').textContent = t('op.dl_done');
  } catch (err) {
    $('dl-status').textContent = t('op.dl_failed', { why: err.message });
  }
}

const handlers = {
  welcome(msg) {
    if (msg.roles) { st.roles = msg.roles; applyRights(); }
    if (msg.meeting) setMeeting(msg.meeting);
  },
  meeting(msg) { setMeeting(msg.meeting || msg); },
  queue(msg) {
    // 'speaking': a list in docs/websocket.md (one speaker today), an object in the draft
    const sp = Array.isArray(msg.speaking) ? msg.speaking[0] || null : msg.speaking || null;
    st.queue = { entries: msg.entries || [], speaking: sp };
    renderQueue();
  },
  participants(msg) { st.participants = msg.list || []; renderParticipants(); },
  booth(msg) { st.booths[msg.code] = msg; renderBooths(); renderParticipants(); },
  levels(msg) { st.levels = msg; renderBooths(); },
  message(msg) { st.messages.unshift(msg); st.messages.length = Math.min(st.messages.length, 50); renderMessages(); },
  joined(msg) { st.pc?.setRemoteDescription({ type: 'answer', sdp: msg.answer }).catch(() => {}); },
  media(msg) { $('listen-status').textContent = t(msg.state === 'connected' ? 'int.listening' : 'int.audio_lost'); },
  error(msg) { $('op-status').dataset.key = ''; $('op-status').textContent = errorText(msg); },
};

function onUnsupported(type) {
  if (!['hello', 'quality'].includes(type)) status('int.unsupported', { what: type });
}

async function listen() {
  $('listen').disabled = true;
  try {
    const r = await joinMedia(st.link, st.token, st.iceServers, false, (track, i) => {
      if (i === 0) { $('audio').srcObject = new MediaStream([track]); $('audio').play().catch(() => {}); }
    });
    st.pc = r.pc;
  } catch (err) {
    $('listen-status').textContent = t('int.listen_failed', { why: err.message });
    $('listen').disabled = false;
  }
}

async function onLogin(r) {
  st.token = r.token;
  st.me = r.participant;
  st.iceServers = r.iceServers;
  st.roles = r.participant.roles || [];
  showParticipant($('participant'), st.me);
  show('login-panel', false);
  show('console', true);
  applyRights();
  renderSession();
  renderQueue();
  renderParticipants();
  renderBooths();
  renderMessages();
  st.link = new MeetingLink(st.token, handlers, { onUnsupported }).connect();
}

function relabel() {
  if (!st.me) return;
  showParticipant($('participant'), st.me);
  applyRights();
  if (st.meeting) { renderMeeting(st.meeting); renderSession(); }
  renderQueue();
  renderParticipants();
  renderBooths();
  renderMessages();
  if ($('op-status').dataset.key) $('op-status').textContent = t($('op-status').dataset.key);
}

initI18n();
onLanguage(relabel);
mountLogin(onLogin);
startClock($('clock'), (d) => formatTime(d, true));
$('session-open').addEventListener('click', () => send({ type: 'session.open', session: $('session-select').value }));
$('session-close').addEventListener('click', () => send({ type: 'session.close' }));
$('restrict').addEventListener('change', () => send({ type: 'session.restrict', closed: $('restrict').checked }));
$('item-set').addEventListener('click', () => send({ type: 'agenda.set', item: $('item-select').value }));
$('revoke').addEventListener('click', () => st.queue.speaking && send({ type: 'queue.revoke', badge: st.queue.speaking.badge }));
$('queue-add-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const badge = $('queue-add-badge').value.trim();
  if (badge) send({ type: 'queue.add', badge });
});
$('checkin-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const badge = $('checkin-badge').value.trim();
  if (badge) { send({ type: 'checkin', badge, onsite: true }); status('op.checked_in', { badge }); }
});
$('checkout').addEventListener('click', () => {
  const badge = $('checkin-badge').value.trim();
  if (badge) { send({ type: 'checkin', badge, onsite: false }); status('op.checked_out', { badge }); }
});
for (const b of document.querySelectorAll('[data-download]')) b.addEventListener('click', download);
$('listen').addEventListener('click', listen);
venueMeeting().then(setMeeting).catch(() => { $('agenda-item').textContent = t('meeting.load_failed'); });
