// SPDX-License-Identifier: Apache-2.0
// Interpreter console: the booth (partner, who is live, audience), what the
// interpreter hears (source floor or relay, a second monitor channel,
// volume, bass and treble), the microphone (on/off, cough key, outgoing
// channel), handover request/accept, messages, own level and limiter, a
// clock. The microphone is captured with the browser's echo cancellation,
// noise suppression and auto gain all off (AIIC: they harm interpreters'
// sound and hearing). Protocol: the meeting draft (booth.*).
import './shell.js';
import { formatNumber, formatTime, initI18n, onLanguage, ownName, t } from './i18n.js';
import { $, MeetingLink, dbfs, errorText, interpreterName, joinMedia, meterNode, meterValue, mountLogin,
  renderMeeting, show, showParticipant, startClock, venueMeeting } from './common.js';

export const INTERPRETER_CAPTURE = { echoCancellation: false, noiseSuppression: false,
  autoGainControl: false, channelCount: 1 };
const KEY_STORE = 'rostrum.coughKey';

const st = {
  token: null, me: null, meeting: null, link: null, pc: null, micSender: null,
  stream: null, ctx: null, booth: null, micOn: false, cough: false,
  coughKey: localStorage.getItem(KEY_STORE) || 'Space', listening: false,
  input: 'floor', monitor: null, output: null, statusKey: null,
};
window.rostrum = st;

const boothOf = (roles) => (roles || []).map((r) => /^interpreter:(\w+)$/.exec(r)).find(Boolean)?.[1] || null;

function note(el, key, params) {
  $(el).dataset.key = key;
  $(el).textContent = t(key, params);
}

function send(msg) {
  if (!st.link || !st.link.send(msg)) note('int-status', 'int.not_connected');
}

// ---- what the interpreter hears: track -> bass -> treble -> volume ----
const hear = { nodes: [], meters: [] };

function hearTrack(track, index) {
  // Chromium pulls a remote track into Web Audio only while an element plays it
  const el = index === 0 ? $('audio-input') : new Audio();
  el.srcObject = new MediaStream([track]);
  el.muted = true;
  el.play().catch(() => {});
  const ctx = st.ctx;
  const src = ctx.createMediaStreamSource(el.srcObject);
  const gain = ctx.createGain();
  if (index === 0) {
    const bass = ctx.createBiquadFilter();
    bass.type = 'lowshelf';
    bass.frequency.value = 250;
    const treble = ctx.createBiquadFilter();
    treble.type = 'highshelf';
    treble.frequency.value = 4000;
    src.connect(bass).connect(treble).connect(gain).connect(ctx.destination);
    hear.bass = bass;
    hear.treble = treble;
    hear.input = gain;
    hear.meters.push(meterNode(ctx, gain, (rms) => { $('input-level').value = meterValue(dbfs(rms * 1.4)); }));
  } else {
    src.connect(gain).connect(ctx.destination);
    hear.monitor = gain;
  }
  applyHearing();
}

function applyHearing() {
  if (hear.input) hear.input.gain.value = Number($('volume').value) / 100;
  if (hear.bass) hear.bass.gain.value = Number($('bass').value);
  if (hear.treble) hear.treble.gain.value = Number($('treble').value);
  if (hear.monitor) hear.monitor.gain.value = Number($('monitor-volume').value) / 100;
  for (const [id, unit] of [['bass', ' dB'], ['treble', ' dB']])
    $(id).setAttribute('aria-valuetext', `${formatNumber(Number($(id).value))}${unit}`);
  for (const id of ['volume', 'monitor-volume'])
    $(id).setAttribute('aria-valuetext', `${formatNumber(Number($(id).value))} %`);
}

async function startListening() {
  $('listen').disabled = true;
  note('listen-status', 'int.connecting');
  try {
    st.ctx = st.ctx || new AudioContext();
    await st.ctx.resume();
    st.stream = await navigator.mediaDevices.getUserMedia({ audio: INTERPRETER_CAPTURE, video: false });
    st.micSettings = st.stream.getAudioTracks()[0].getSettings();
    applyMicTrack();
    // the meter reads a clone: it shows the voice while the microphone is off
    // too (a clone copies `enabled`, and applyMicTrack() has just disabled
    // the sending track if the microphone is off)
    const meterTrack = st.stream.getAudioTracks()[0].clone();
    meterTrack.enabled = true;
    const meterStream = new MediaStream([meterTrack]);
    hear.meters.push(meterNode(st.ctx, st.ctx.createMediaStreamSource(meterStream), (rms, peak) => {
      $('own-level').value = meterValue(dbfs(Math.max(rms * 1.4, peak * 0.7)));
    }));
    const r = await joinMedia(st.link, st.token, st.iceServers, true, hearTrack);
    st.pc = r.pc;
    st.micSender = r.micSender;
    await st.micSender.replaceTrack(st.stream.getAudioTracks()[0]).catch(() => {});
  } catch (err) {
    note('listen-status', 'int.listen_failed', { why: err.message || err.name });
    $('listen').disabled = false;
  }
}

// The microphone sends sound only while it is on and the cough key is up;
// the server mutes the channel too ('booth.cough'), this is the local half.
function applyMicTrack() {
  for (const tr of st.stream?.getAudioTracks() || []) tr.enabled = st.micOn && !st.cough;
}

// ---- microphone, cough, output ----
function renderMic() {
  const b = $('mic');
  b.setAttribute('aria-pressed', String(st.micOn));
  b.textContent = t(st.micOn ? 'int.mic_on' : 'int.mic_off');
  b.classList.toggle('live', st.micOn);
  $('cough').setAttribute('aria-pressed', String(st.cough));
  $('cough').classList.toggle('held', st.cough);
  const key = $('cough-key').selectedOptions[0]?.textContent || st.coughKey;
  $('cough-help').textContent = t('int.cough_help', { key });
  renderBothLive();
}

function setMic(on) {
  st.micOn = on;
  applyMicTrack();
  send({ type: 'booth.mic', on });
  renderMic();
}

function setCough(held) {
  if (st.cough === held) return;
  st.cough = held;
  applyMicTrack();
  send({ type: 'booth.cough', held });
  renderMic();
}

const typing = (el) => el && (el.tagName === 'INPUT' && el.type === 'text' || el.tagName === 'TEXTAREA');

function onKey(ev) {
  if (ev.code !== st.coughKey || typing(document.activeElement) || $('console').hidden) return;
  ev.preventDefault(); // the cough key neither scrolls nor presses the focused button
  if (ev.type === 'keydown' && !ev.repeat) setCough(true);
  if (ev.type === 'keyup') setCough(false);
}

// ---- the booth ----
function renderBooth() {
  const b = st.booth;
  $('booth-code').textContent = b ? ownName(b.code) : '—';
  const list = $('booth-people');
  list.replaceChildren(...(b?.interpreters || []).map((p) => {
    const li = document.createElement('li');
    const parts = [interpreterName(p), p.badge === st.me?.badge ? t('int.you') : null,
      t(p.connected ? 'int.connected' : 'int.not_connected_person'),
      p.mic ? t('int.mic_is_on') : null, b.live === p.badge ? t('int.is_live') : null];
    li.textContent = parts.filter(Boolean).join(' · ');
    if (b.live === p.badge) li.className = 'is-live';
    return li;
  }));
  const live = b?.interpreters?.find((p) => p.badge === b.live);
  $('live').textContent = live ? t('int.live_is', { name: interpreterName(live) }) : t('int.nobody_live');
  $('listeners').textContent = b && typeof b.listeners === 'number' ? formatNumber(b.listeners) : '—';
  renderHandover();
  renderBothLive();
}

function renderBothLive() {
  const on = (st.booth?.interpreters || []).filter((p) => p.mic).length;
  const partnerOn = (st.booth?.interpreters || []).some((p) => p.mic && p.badge !== st.me?.badge);
  show('both-live', on >= 2 || (st.micOn && partnerOn));
}

function renderHandover() {
  const mine = st.me?.badge;
  // docs/websocket.md: {from, timeout_ms} (the partner is the other one); the draft: {from, to}
  const h = st.booth?.handover ? { to: st.booth.handover.from === mine ? null : mine, ...st.booth.handover } : null;
  const name = (badge) => st.booth?.interpreters?.find((p) => p.badge === badge)?.name || badge;
  show('handover-accept', !!h && h.to === mine);
  show('handover-decline', !!h && h.to === mine);
  show('handover-cancel', !!h && h.from === mine);
  $('handover-request').disabled = !!h;
  if (!h) note('handover-status', 'int.handover_none');
  else if (h.to === mine) note('handover-status', 'int.handover_offered', { name: name(h.from) });
  else {
    const partner = h.to || st.booth?.interpreters?.find((p) => p.badge !== mine)?.badge;
    note('handover-status', 'int.handover_waiting', { name: name(partner) || '—' });
  }
}

function fillSources() {
  const langs = (st.meeting?.languages || []).map((l) => l.code);
  const mine = st.booth?.code || boothOf(st.me?.roles);
  const opt = (value, text, lang) => {
    const o = document.createElement('option');
    o.value = value;
    o.textContent = text;
    if (lang) o.lang = lang;
    return o;
  };
  $('input').replaceChildren(opt('floor', t('int.source_floor')),
    ...langs.filter((c) => c !== mine).map((c) => opt(`channel:${c}`, t('int.source_relay', { language: ownName(c) }))));
  $('input').value = st.booth?.input || st.input;
  $('monitor').replaceChildren(opt('', t('int.monitor_none')), opt('floor', t('int.source_floor')),
    ...langs.map((c) => opt(`channel:${c}`, ownName(c), c)));
  $('monitor').value = st.monitor ?? '';
  // the A/B languages this booth may work into; the booth's own first
  const outs = st.booth?.outputs || (mine ? [mine] : []);
  $('output').replaceChildren(...outs.map((c) => opt(c, ownName(c), c)));
  if (st.booth?.output) $('output').value = st.booth.output;
  $('output').disabled = outs.length < 2;
}

const handlers = {
  welcome(msg) {
    if (msg.roles) st.me.roles = msg.roles;
    if (msg.meeting) setMeeting(msg.meeting);
  },
  meeting(msg) { setMeeting(msg.meeting || msg); },
  booth(msg) {
    st.booth = msg;
    st.input = msg.input || st.input;
    // the server's word on my microphone: a handover moves it (the one who
    // accepted goes on air, the other off), a refused 'booth.mic' undoes it
    const mine = msg.interpreters?.find((p) => p.badge === st.me?.badge);
    if (mine && typeof mine.mic === 'boolean' && mine.mic !== st.micOn) {
      st.micOn = mine.mic;
      applyMicTrack();
      renderMic();
    }
    fillSources();
    renderBooth();
  },
  levels(msg) {
    const p = msg.products?.[`channel:${st.booth?.output || st.booth?.code}`];
    if (p) {
      $('limiter').dataset.key = p.limiting ? 'int.limiting' : 'int.not_limiting';
      $('limiter').textContent = t($('limiter').dataset.key);
    }
  },
  joined(msg) {
    st.pc.setRemoteDescription({ type: 'answer', sdp: msg.answer })
      .catch((err) => note('listen-status', 'int.listen_failed', { why: err.message }));
    if (st.monitor) pickMonitor();
  },
  media(msg) {
    st.listening = msg.state === 'connected';
    note('listen-status', st.listening ? 'int.listening' : 'int.audio_lost');
    if (!st.listening) $('listen').disabled = false;
  },
  removed(msg) { note('int-status', 'removed.status'); if (msg.message) $('int-status').textContent += ` ${msg.message}`; },
  error(msg) { $('int-status').textContent = errorText(msg); },
};

function setMeeting(m) {
  st.meeting = { ...(st.meeting || {}), ...m };
  renderMeeting(st.meeting);
  fillSources();
}

function pickMonitor() {
  st.monitor = $('monitor').value || null;
  if (!st.monitor) return;
  if (!st.link.unsupported.has('booth.monitor')) send({ type: 'booth.monitor', product: st.monitor });
  // today's server: the second track is the listener's 'channel'
  if (st.pc) st.link.sendRaw({ type: 'channel', channel: st.monitor === 'floor' ? 'none' : st.monitor.slice(8) });
}

function onUnsupported(type) {
  const quiet = new Set(['hello', 'quality', 'booth.monitor']);
  if (!quiet.has(type)) note('int-status', 'int.unsupported', { what: type });
}

async function onLogin(r) {
  st.token = r.token;
  st.me = r.participant;
  st.iceServers = r.iceServers;
  showParticipant($('participant'), st.me);
  show('login-panel', false);
  show('console', true);
  const code = boothOf(st.me.roles);
  if (!code) note('int-status', 'int.not_interpreter');
  st.booth = code ? { code, interpreters: [{ badge: st.me.badge, name: st.me.name, connected: true, mic: false }],
    live: null, input: 'floor', output: code, listeners: null, handover: null } : null;
  fillSources();
  renderBooth();
  renderMic();
  st.link = new MeetingLink(st.token, handlers, { onUnsupported }).connect();
  $('listen').focus();
}

function relabel() {
  if (st.me) showParticipant($('participant'), st.me);
  if (st.meeting) renderMeeting(st.meeting);
  for (const id of ['int-status', 'listen-status', 'msg-status', 'limiter'])
    if ($(id).dataset.key) $(id).textContent = t($(id).dataset.key);
  fillSources();
  renderBooth();
  renderMic();
  applyHearing();
}

initI18n();
onLanguage(relabel);
mountLogin(onLogin);
startClock($('clock'), (d) => formatTime(d, true));
$('cough-key').value = st.coughKey;
$('cough-key').addEventListener('change', () => {
  st.coughKey = $('cough-key').value;
  try { localStorage.setItem(KEY_STORE, st.coughKey); } catch { /* storage may be off */ }
  renderMic();
});
window.addEventListener('keydown', onKey, true);
window.addEventListener('keyup', onKey, true);
window.addEventListener('blur', () => setCough(false));
$('mic').addEventListener('click', () => setMic(!st.micOn));
const cough = $('cough');
cough.addEventListener('pointerdown', () => setCough(true));
for (const ev of ['pointerup', 'pointerleave', 'pointercancel']) cough.addEventListener(ev, () => setCough(false));
cough.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' && !ev.repeat) { ev.preventDefault(); setCough(true); } });
cough.addEventListener('keyup', (ev) => { if (ev.key === 'Enter') setCough(false); });
$('listen').addEventListener('click', startListening);
$('input').addEventListener('change', () => { st.input = $('input').value; send({ type: 'booth.input', source: st.input }); });
$('monitor').addEventListener('change', pickMonitor);
$('output').addEventListener('change', () => send({ type: 'booth.output', channel: $('output').value }));
for (const id of ['volume', 'bass', 'treble', 'monitor-volume']) $(id).addEventListener('input', applyHearing);
$('handover-request').addEventListener('click', () => {
  send({ type: 'booth.handover', action: 'request' });
  note('handover-status', 'int.handover_requested');
});
$('handover-accept').addEventListener('click', () => send({ type: 'booth.handover', action: 'accept' }));
$('handover-decline').addEventListener('click', () => send({ type: 'booth.handover', action: 'decline' }));
$('handover-cancel').addEventListener('click', () => send({ type: 'booth.handover', action: 'cancel' }));
$('slow-down').addEventListener('click', () => {
  send({ type: 'message', kind: 'slow_down', text: '' });
  note('msg-status', 'int.slow_down_sent');
});
$('text-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = $('text').value.trim();
  if (!text) return;
  send({ type: 'message', kind: 'text', text });
  $('text').value = '';
  note('msg-status', 'int.text_sent');
});
venueMeeting().then(setMeeting).catch(() => { $('agenda-item').textContent = t('meeting.load_failed'); });
