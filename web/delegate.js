// SPDX-License-Identifier: Apache-2.0
// Delegate page: log in, listen to the floor and an interpretation over
// WebRTC, follow the meeting, ask for the floor (sound check first) and
// speak when given it. Protocol: docs/websocket.md and the meeting draft.
// No build step, no dependencies.
import './shell.js';
import { has, initI18n, lang, onLanguage, ownName, t } from './i18n.js';
import { $, Attribution, dbfs, errorText, isUnknownType, meterNode, meterValue, renderMeeting, show,
  showParticipant, venueMeeting, waitIceGathering, login as apiLogin } from './common.js';
import { startQuality, stopQuality } from './delegate_quality.js';
import * as speak from './delegate_speak.js';

const rostrum = {
  pc: null,
  ws: null,
  audio: $('audio'),
  audioChannel: $('audio-channel'),
  channel: 'floor', // what the page asked for: "floor" or a language code
  lowbw: false,
  token: null,
  participant: null,
  meeting: null,
  micSender: null, // the sendonly transceiver's sender (no track until the floor)
  t_login_click: null,
  t_joined: null,
  t_media_connected: null,
};
window.rostrum = rostrum;

// Back-off of the WebSocket reconnect and of a rejoin after lost media.
const RETRY_MS = [250, 500, 1000, 2000, 4000];
let meterTimer = null;
let audioCtx = null;
let joined = false;
// The seat survives a dropped WebSocket: the page keeps its media and takes
// the seat back with 'resume' (docs/websocket.md); 'superseded' or 'left'
// end it for good.
let wantSeat = false;
let seatLive = false; // the current socket holds the seat (joined or resumed on it)
let retries = 0;
let retryTimer = null;
const attribution = new Attribution();
rostrum.unsupported = new Set();
rostrum.peer = null;
rostrum.counts = { media_connected: 0, resumed: 0, rejoined: 0, ws_reconnects: 0 };

// The status line keeps its key so that a change of language re-renders it.
let statusNow = { key: 'delegate.not_joined', params: {}, kind: '' };
function setStatus(key, params = {}, kind = '') {
  statusNow = { key, params, kind };
  const el = $('status');
  el.textContent = key === 'raw' ? params.text : t(key, params);
  el.className = kind;
}
function setStatusText(text, kind = '') {
  setStatus('raw', { text }, kind);
}

// The page mixes its two tracks: the interpretation at full level, the
// original under it at the balance; with the floor chosen, the floor alone.
function applyMix() {
  const interp = rostrum.channel !== 'floor' && !rostrum.lowbw;
  const share = Number($('balance').value) / 100;
  rostrum.audio.volume = interp ? share : 1;
  rostrum.audioChannel.volume = interp ? 1 : 0;
  $('balance').setAttribute('aria-valuetext', `${$('balance').value} %`);
  $('balance').disabled = !joined || !interp;
}

function wsOpen() {
  return rostrum.ws && rostrum.ws.readyState === WebSocket.OPEN;
}

// A media message (join, resume, restart, leave, channel, lowbw): its
// errors are the media's.
function sendMedia(msg) {
  if (!wsOpen()) return false;
  attribution.clear();
  rostrum.ws.send(JSON.stringify(msg));
  return true;
}

function sendListener(msg) {
  if (joined && seatLive) sendMedia(msg);
}

// A meeting-layer message (hello, hand, soundcheck, quality, mute): sent
// whether or not joined; an 'error' that follows is put down to it.
function sendMeeting(msg) {
  if (!wsOpen() || rostrum.unsupported.has(msg.type)) return false;
  // a seat that is being resumed on a new socket is not joined there yet
  if (msg.type === 'quality' && !seatLive) return false;
  attribution.sent(msg.type);
  rostrum.ws.send(JSON.stringify(msg));
  return true;
}
rostrum.sendMeeting = sendMeeting;

function setHearing() {
  if (rostrum.channel === 'floor') setStatus('delegate.hearing_floor', {}, 'ok');
  else setStatus('delegate.hearing_channel', { language: ownName(rostrum.channel) }, 'ok');
}

function chooseChannel() {
  rostrum.channelChosen = true;
  rostrum.channel = $('channel').value;
  sendListener({ type: 'channel', channel: rostrum.channel === 'floor' ? 'none' : rostrum.channel });
  if ($('status').className === 'ok') setHearing();
  applyMix();
}

function chooseLowbw() {
  rostrum.lowbw = $('lowbw').checked;
  sendListener({ type: 'lowbw', on: rostrum.lowbw });
  applyMix();
}

// The channel list from the meeting's languages, each in its own name.
function fillChannels(languages) {
  const sel = $('channel');
  const keep = sel.value;
  for (const opt of [...sel.options]) if (opt.value !== 'floor') opt.remove();
  for (const l of languages) {
    const opt = document.createElement('option');
    opt.value = l.code;
    opt.textContent = ownName(l.code);
    opt.lang = l.code;
    sel.append(opt);
  }
  if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
  preselectChannel();
}

// Until the delegate picks one, the channel is the page's language when the
// meeting interprets into it: a French-speaking delegate signs in and
// presses "Start listening" — two clicks to French. Not for English: the
// floor is mostly English, and the en channel is the floor whenever its
// booth is off (and signalling cannot yet resume a seat on a channel after
// its own restart: docs/web.md).
function preselectChannel() {
  if (rostrum.channelChosen) return;
  const code = lang();
  if (code === 'en') return;
  if (![...$('channel').options].some((o) => o.value === code)) return;
  $('channel').value = code;
  rostrum.channel = code;
  sendListener({ type: 'channel', channel: code });
  if ($('status').className === 'ok') setHearing();
  applyMix();
}

function setMeeting(m) {
  const first = !rostrum.meeting;
  rostrum.meeting = { ...(rostrum.meeting || {}), ...m };
  renderMeeting(rostrum.meeting);
  if (m.acronym) document.title = `${m.acronym} — ${t('delegate.eyebrow')}`;
  if (first || m.languages) fillChannels(rostrum.meeting.languages || []);
  speak.meetingChanged(rostrum.meeting);
}

async function loadVenue() {
  try {
    setMeeting(await venueMeeting());
  } catch {
    $('agenda-item').textContent = t('meeting.load_failed');
  }
}

async function login(event) {
  event.preventDefault();
  rostrum.t_login_click = performance.now();
  const error = $('login-error');
  error.textContent = '';
  $('login').disabled = true;
  try {
    const r = await apiLogin($('badge').value.trim(), $('code').value);
    rostrum.token = r.token;
    rostrum.removed = false;
    rostrum.participant = r.participant;
    rostrum.iceServers = r.iceServers;
    showParticipant($('participant'), r.participant);
    $('login-panel').hidden = true;
    $('session-panel').hidden = false;
    $('speak-panel').hidden = false;
    $('join').focus();
    // the meeting's state comes before joining: 'hello' at once
    ensureSocket().catch(() => {});
  } catch (err) {
    error.textContent = err.message;
  } finally {
    $('login').disabled = false;
  }
}

function openSocket() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://${location.host}/ws`);
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error('WebSocket failed'));
  });
}

function startMeter(stream) {
  stopMeter();
  try {
    audioCtx = audioCtx || new AudioContext();
    audioCtx.resume().catch(() => {});
    // -60..0 dBFS, as the consoles' meters (a sine's RMS × 1.4 is its peak)
    const stop = meterNode(audioCtx, audioCtx.createMediaStreamSource(stream), (rms) => {
      const level = meterValue(dbfs(rms * 1.4));
      $('level').value = level;
      $('level').textContent = level.toFixed(2);
    });
    meterTimer = stop;
  } catch (err) {
    console.warn('level meter unavailable', err);
  }
}

function stopMeter() {
  if (meterTimer) meterTimer();
  meterTimer = null;
  $('level').value = 0;
}

function retryDelay() {
  return RETRY_MS[Math.min(retries++, RETRY_MS.length - 1)];
}

function scheduleRetry(fn) {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(fn, retryDelay());
}

// Media ended on the server side (relay restarted, media lost): a new
// peer connection and join with the same token, no new login.
function rejoinSoon(key, params) {
  teardown(key, params, 'bad');
  if (!wantSeat || !rostrum.token) return;
  scheduleRetry(() => {
    if (!wantSeat || joined || rostrum.pc) return;
    rostrum.counts.rejoined++;
    join();
  });
}

function teardown(key, params = {}, kind = '') {
  joined = false;
  stopMeter();
  stopQuality();
  speak.mediaEnded();
  if (rostrum.pc) rostrum.pc.close();
  rostrum.pc = null;
  rostrum.micSender = null;
  rostrum.audio.srcObject = null;
  rostrum.audioChannel.srcObject = null;
  applyMix();
  $('join').disabled = !!rostrum.removed; // removed: no rejoin without a new sign-in
  $('leave').disabled = true;
  if (key) setStatus(key, params, kind);
}

function showRemoved(msg) {
  wantSeat = false;
  rostrum.removed = msg.reason || true;
  teardown('removed.status', {}, 'bad');
  const key = `removed.${msg.reason}`;
  $('removed-message').textContent = has(key) ? t(key) : (msg.message || t('removed.generic'));
  show('removed-panel', true);
  show('speak-panel', false);
  show('floor-panel', false);
}

// An error reply that answers a meeting-layer message: shown where that
// message came from; true if it was one.
function meetingError(msg) {
  const about = attribution.of(msg);
  if (!about || !speak.MEETING_TYPES.has(about)) return false;
  if (isUnknownType(msg)) {
    rostrum.unsupported.add(about);
    speak.unsupported(about);
  } else {
    speak.refused(about, errorText(msg));
  }
  return true;
}

const handlers = {
  welcome(msg) {
    attribution.clear('hello');
    if (msg.meeting) setMeeting(msg.meeting);
    if (msg.roles && rostrum.participant) rostrum.participant.roles = msg.roles;
  },
  meeting(msg) { setMeeting(msg.meeting || msg); },
  hand(msg) { attribution.clear('hand'); speak.handPlace(msg.place); },
  floor(msg) { speak.floor(msg.granted, msg.since); },
  removed: showRemoved,
  joined(msg) {
    rostrum.t_joined = performance.now();
    joined = true;
    seatLive = true;
    sendHello(); // a rejoin on a socket that resumed nothing
    retries = 0;
    rostrum.peer = msg.peer;
    if (msg.agenda_item) setMeeting({ item: msg.agenda_item });
    setStatus('delegate.joined');
    rostrum.pc.setRemoteDescription({ type: 'answer', sdp: msg.answer }).catch((err) => {
      teardown('delegate.no_audio', { why: err.message }, 'bad');
    });
    $('leave').disabled = false;
    // a rejoin keeps what the delegate chose
    if (rostrum.channel !== 'floor') sendListener({ type: 'channel', channel: rostrum.channel });
    if (rostrum.lowbw) sendListener({ type: 'lowbw', on: true });
    applyMix();
  },
  restarted(msg) {
    if (rostrum.pc) {
      rostrum.pc.setRemoteDescription({ type: 'answer', sdp: msg.answer }).catch((err) => {
        teardown('delegate.no_resume', { why: err.message }, 'bad');
      });
    }
  },
  media(msg) {
    if (msg.state === 'connected') {
      rostrum.counts.media_connected++;
      rostrum.t_media_connected = performance.now();
      setHearing();
      startQuality(rostrum.pc, sendMeeting);
    } else {
      rejoinSoon('delegate.audio_lost');
    }
  },
  resumed(msg) {
    retries = 0;
    seatLive = true;
    if (msg.agenda_item) setMeeting({ item: msg.agenda_item });
    rostrum.counts.resumed++;
    sendHello();
    if (rostrum.pc && rostrum.pc.connectionState === 'connected') setHearing();
  },
  superseded(msg) {
    wantSeat = false;
    teardown('delegate.superseded', {}, 'bad');
  },
  left() {
    wantSeat = false;
    teardown('delegate.left');
  },
  error(msg) {
    if (meetingError(msg)) return;
    if (msg.code === 'not_ready') { // the server is starting: resume again shortly
      scheduleRetry(resumeSeat);
      return;
    }
    if (msg.code === 'unknown_seat') { // the seat ended meanwhile: a fresh join
      rejoinSoon('raw', { text: errorText(msg) });
      return;
    }
    if (msg.code === 'bad_token' || msg.code === 'expired_token') {
      wantSeat = false;
      teardown(null);
      setStatusText(errorText(msg), 'bad');
      $('session-panel').hidden = true;
      $('speak-panel').hidden = true;
      $('login-panel').hidden = false;
      $('login-error').textContent = errorText(msg);
      return;
    }
    if (msg.code === 'session_closed' || msg.code === 'forbidden') {
      if (!joined) { wantSeat = false; teardown(null); }
      setStatusText(errorText(msg), 'bad');
      return;
    }
    if (!joined && wantSeat && msg.code === 'relay_unavailable') {
      rejoinSoon('raw', { text: errorText(msg) });
      return;
    }
    if (!joined) teardown(null);
    setStatusText(errorText(msg), 'bad');
  },
};

function onServerMessage(msg) {
  const fn = handlers[msg.type];
  if (fn) fn(msg);
}

// One socket at a time: a join right after the sign-in waits for the
// socket the sign-in opened.
let socketPending = null;
function ensureSocket() {
  if (wsOpen()) return Promise.resolve(rostrum.ws);
  if (!socketPending) socketPending = connectSocket().finally(() => { socketPending = null; });
  return socketPending;
}

let helloOnSocket = false;
function sendHello() {
  if (helloOnSocket) return;
  helloOnSocket = sendMeeting({ type: 'hello', token: rostrum.token });
}

async function connectSocket() {
  const ws = await openSocket();
  rostrum.ws = ws;
  helloOnSocket = false;
  ws.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    onServerMessage(msg);
  };
  ws.onclose = () => {
    if (rostrum.ws === ws) { rostrum.ws = null; seatLive = false; }
    // the media goes on (the relay keeps the peer): reconnect and resume
    if (joined && wantSeat) {
      setStatus('delegate.ws_lost');
      scheduleRetry(resumeSeat);
    }
  };
  // a seat to take back: 'resume' first, 'hello' once it is resumed (signalling
  // answers a resume after a hello on the same socket with unknown_seat)
  if (rostrum.token && !(joined && wantSeat)) sendHello();
  return ws;
}

async function resumeSeat() {
  if (!joined || !wantSeat) return;
  try {
    await ensureSocket();
    rostrum.counts.ws_reconnects++;
    sendMedia({ type: 'resume', token: rostrum.token, peer: rostrum.peer });
  } catch {
    scheduleRetry(resumeSeat);
  }
}

// ?mic=0 leaves the microphone's m-line out of the offer (a relay or a
// server that refuses it).
const WITH_MIC = new URLSearchParams(location.search).get('mic') !== '0';

async function join() {
  wantSeat = true;
  $('join').disabled = true;
  setStatus('delegate.connecting');
  try {
    // Created in the click handler so that autoplay and Web Audio are allowed.
    audioCtx = audioCtx || new AudioContext();
    rostrum.audioCtx = audioCtx;
    // TURN (coturn) credentials come with the login; ?relay=1 forces every
    // packet through it, for networks that allow nothing else.
    const forceRelay = new URLSearchParams(location.search).get('relay') === '1';
    const pc = new RTCPeerConnection({
      iceServers: rostrum.iceServers || [],
      iceTransportPolicy: forceRelay ? 'relay' : 'all',
    });
    rostrum.pc = pc;
    // two receive tracks: the floor, and the interpretation the delegate
    // picks; a send-only one for the microphone, without a track until the
    // floor is given (replaceTrack, no renegotiation)
    const floorT = pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    if (WITH_MIC) rostrum.micSender = pc.addTransceiver('audio', { direction: 'sendonly' }).sender;
    pc.ontrack = (ev) => {
      const stream = new MediaStream([ev.track]);
      const el = ev.transceiver === floorT ? rostrum.audio : rostrum.audioChannel;
      el.srcObject = stream;
      el.play().catch(() => {});
      if (el === rostrum.audio) startMeter(stream);
      applyMix();
    };
    restarts = 0;
    pc.oniceconnectionstatechange = () => {
      if (rostrum.pc !== pc || !joined) return;
      // the network changed (Wi-Fi to mobile, a new address): keep the seat
      // with an ICE restart rather than a new join
      const state = pc.iceConnectionState;
      if (state === 'connected' && restarts > 0) setHearing();
      if (state === 'failed') restartIce();
      if (state === 'disconnected') {
        setTimeout(() => {
          if (rostrum.pc === pc && pc.iceConnectionState === 'disconnected') restartIce();
        }, 2000);
      }
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed' && rostrum.pc === pc && restarts >= MAX_RESTARTS) {
        rejoinSoon('delegate.network_failed');
      }
    };
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const tGather = performance.now();
    await waitIceGathering(pc);
    rostrum.ice_gather_ms = performance.now() - tGather;
    await ensureSocket();
    sendMedia({ type: 'join', token: rostrum.token, offer: pc.localDescription.sdp });
  } catch (err) {
    if (wantSeat) rejoinSoon('delegate.join_retry', { why: err.message });
    else teardown('delegate.join_failed', { why: err.message }, 'bad');
  }
}

const MAX_RESTARTS = 3;
let restarts = 0;

// ICE restart (docs/websocket.md 'restart'): new ICE credentials, same
// DTLS association, same seat in the meeting.
async function restartIce() {
  const pc = rostrum.pc;
  if (!pc || !joined || restarts >= MAX_RESTARTS) return;
  restarts++;
  setStatus('delegate.network_changed');
  try {
    pc.restartIce();
    await pc.setLocalDescription(await pc.createOffer());
    await waitIceGathering(pc);
    await ensureSocket();
    sendMedia({ type: 'restart', offer: pc.localDescription.sdp });
  } catch (err) {
    setStatus('delegate.no_reconnect', { why: err.message }, 'bad');
  }
}
rostrum.restartIce = restartIce;

function leave() {
  wantSeat = false;
  clearTimeout(retryTimer);
  $('leave').disabled = true;
  if (!sendMedia({ type: 'leave' })) {
    teardown('delegate.left');
  }
}

initI18n();
onLanguage(() => {
  preselectChannel();
  setStatus(statusNow.key, statusNow.params, statusNow.kind);
  if (rostrum.meeting) renderMeeting(rostrum.meeting);
  if (rostrum.participant) showParticipant($('participant'), rostrum.participant);
  speak.relabel();
});
speak.init(rostrum, sendMeeting);
$('login-form').addEventListener('submit', login);
$('join').addEventListener('click', join);
$('leave').addEventListener('click', leave);
$('channel').addEventListener('change', chooseChannel);
$('lowbw').addEventListener('change', chooseLowbw);
$('balance').addEventListener('input', applyMix);
loadVenue();
