// SPDX-License-Identifier: Apache-2.0
// Delegate page: log in, join the floor audio over WebRTC, leave.
// Protocol: docs/websocket.md. No build step, no dependencies.

const $ = (id) => document.getElementById(id);

const rostrum = {
  pc: null,
  ws: null,
  audio: $('audio'),
  audioChannel: $('audio-channel'),
  channel: 'floor', // what the page asked for: "floor" or a language code
  lowbw: false,
  token: null,
  participant: null,
  t_login_click: null,
  t_joined: null,
  t_media_connected: null,
};
window.rostrum = rostrum;

const ICE_GATHER_CAP_MS = 1000;
// Back-off of the WebSocket reconnect and of a rejoin after lost media.
const RETRY_MS = [250, 500, 1000, 2000, 4000];
let meterTimer = null;
let audioCtx = null;
let joined = false;
// The seat survives a dropped WebSocket: the page keeps its media and takes
// the seat back with 'resume' (docs/websocket.md); 'superseded' or 'left'
// end it for good.
let wantSeat = false;
let retries = 0;
let retryTimer = null;
rostrum.peer = null;
rostrum.counts = { media_connected: 0, resumed: 0, rejoined: 0, ws_reconnects: 0 };

function setStatus(text, kind = '') {
  const el = $('status');
  el.textContent = text;
  el.className = kind;
}

function languageName(code) {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(code);
  } catch {
    return code;
  }
}

// A language in its own name ("français", "español"), as delegates look for it.
function ownName(code) {
  try {
    const n = new Intl.DisplayNames([code], { type: 'language' }).of(code);
    return n.charAt(0).toLocaleUpperCase(code) + n.slice(1);
  } catch {
    return code;
  }
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

function sendListener(msg) {
  if (rostrum.ws && rostrum.ws.readyState === WebSocket.OPEN && joined)
    rostrum.ws.send(JSON.stringify(msg));
}

// What the delegate hears, in plain words.
function hearingText() {
  if (rostrum.channel === 'floor') return 'Audio connected — you are hearing the floor.';
  return `Audio connected — you are hearing ${ownName(rostrum.channel)}, with the floor under it.`;
}

function chooseChannel() {
  rostrum.channel = $('channel').value;
  sendListener({ type: 'channel', channel: rostrum.channel === 'floor' ? 'none' : rostrum.channel });
  if ($('status').className === 'ok') setStatus(hearingText(), 'ok');
  applyMix();
}

function chooseLowbw() {
  rostrum.lowbw = $('lowbw').checked;
  sendListener({ type: 'lowbw', on: rostrum.lowbw });
  applyMix();
}

async function loadVenue() {
  try {
    const res = await fetch('/api/venue', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const v = await res.json();
    $('meeting').textContent = v.meeting;
    $('meeting-title').textContent = v.title;
    $('meeting-where').textContent = [v.location, v.dates].filter(Boolean).join(' · ');
    document.title = `${v.meeting} — Remote participation`;
    showAgendaItem(v.current_item);
    if (Array.isArray(v.languages)) {
      $('agenda-item').title = `Languages: ${v.languages.map(languageName).join(', ')}`;
      for (const code of v.languages) {
        const opt = document.createElement('option');
        opt.value = code;
        opt.textContent = ownName(code);
        opt.lang = code;
        $('channel').append(opt);
      }
    }
  } catch (err) {
    $('agenda-item').textContent = 'The meeting information could not be loaded.';
  }
}

function showAgendaItem(item) {
  if (item) $('agenda-item').textContent = `Item ${item.id}: ${item.title}`;
}

async function login(event) {
  event.preventDefault();
  rostrum.t_login_click = performance.now();
  const badge = $('badge').value.trim();
  const code = $('code').value;
  const error = $('login-error');
  error.textContent = '';
  if (!badge || !code) {
    error.textContent = 'Please enter your badge number and access code.';
    return;
  }
  $('login').disabled = true;
  try {
    const res = await fetch('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ badge, code }),
    });
    let body = {};
    try { body = await res.json(); } catch { /* not JSON */ }
    if (!res.ok) {
      error.textContent = body.message || `Sign-in failed (HTTP ${res.status}).`;
      return;
    }
    rostrum.token = body.token;
    rostrum.participant = body.participant;
    rostrum.iceServers = body.ice_servers || [];
    const p = body.participant;
    $('participant').innerHTML = '';
    const strong = document.createElement('strong');
    strong.textContent = p.name;
    const badgeEl = document.createElement('span');
    badgeEl.className = 'nowrap';
    badgeEl.textContent = `(badge ${p.badge})`;
    $('participant').append('Signed in as ', strong, ` — ${p.entity} `, badgeEl);
    $('login-panel').hidden = true;
    $('session-panel').hidden = false;
    $('join').focus();
  } catch (err) {
    error.textContent = 'The server cannot be reached. Please check your network and try again.';
  } finally {
    $('login').disabled = false;
  }
}

function waitIceGathering(pc) {
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
    const source = audioCtx.createMediaStreamSource(stream);
    const analyser = audioCtx.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    // setInterval, not requestAnimationFrame: keeps working in background tabs.
    meterTimer = setInterval(() => {
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const x of buf) sum += x * x;
      const rms = Math.sqrt(sum / buf.length);
      const level = Math.min(1, rms * 2.5);
      $('level').value = level;
      $('level').textContent = level.toFixed(2);
    }, 50);
  } catch (err) {
    console.warn('level meter unavailable', err);
  }
}

function stopMeter() {
  if (meterTimer) clearInterval(meterTimer);
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
function rejoinSoon(text) {
  teardown(text, 'bad');
  if (!wantSeat || !rostrum.token) return;
  scheduleRetry(() => {
    if (!wantSeat || joined || rostrum.pc) return;
    rostrum.counts.rejoined++;
    join();
  });
}

function teardown(statusText, kind = '') {
  joined = false;
  stopMeter();
  if (rostrum.pc) rostrum.pc.close();
  rostrum.pc = null;
  rostrum.audio.srcObject = null;
  rostrum.audioChannel.srcObject = null;
  $('channel').disabled = true;
  $('lowbw').disabled = true;
  applyMix();
  $('join').disabled = false;
  $('leave').disabled = true;
  if (statusText) setStatus(statusText, kind);
}

function onServerMessage(msg) {
  switch (msg.type) {
    case 'joined':
      rostrum.t_joined = performance.now();
      joined = true;
      retries = 0;
      rostrum.peer = msg.peer;
      showAgendaItem(msg.agenda_item);
      setStatus('Joined — starting audio…');
      rostrum.pc.setRemoteDescription({ type: 'answer', sdp: msg.answer }).catch((err) => {
        teardown(`Audio could not start (${err.message}).`, 'bad');
      });
      $('leave').disabled = false;
      $('channel').disabled = false;
      $('lowbw').disabled = false;
      // a rejoin keeps what the delegate chose
      if (rostrum.channel !== 'floor') sendListener({ type: 'channel', channel: rostrum.channel });
      if (rostrum.lowbw) sendListener({ type: 'lowbw', on: true });
      applyMix();
      break;
    case 'restarted':
      if (rostrum.pc) {
        rostrum.pc.setRemoteDescription({ type: 'answer', sdp: msg.answer }).catch((err) => {
          teardown(`Audio could not resume (${err.message}).`, 'bad');
        });
      }
      break;
    case 'media':
      if (msg.state === 'connected') {
        rostrum.counts.media_connected++;
        rostrum.t_media_connected = performance.now();
        setStatus(hearingText(), 'ok');
      } else {
        rejoinSoon('Audio lost — reconnecting…');
      }
      break;
    case 'channel':
    case 'lowbw':
      break; // the relay switched; the page already mixes for it
    case 'resumed':
      retries = 0;
      rostrum.counts.resumed++;
      showAgendaItem(msg.agenda_item);
      if (rostrum.pc && rostrum.pc.connectionState === 'connected')
        setStatus(hearingText(), 'ok');
      break;
    case 'superseded':
      wantSeat = false;
      teardown(msg.message || 'You joined from another device.', 'bad');
      break;
    case 'left':
      wantSeat = false;
      teardown('You have left the meeting.');
      break;
    case 'error':
      if (msg.code === 'not_ready') { // the server is starting: resume again shortly
        scheduleRetry(resumeSeat);
        break;
      }
      if (msg.code === 'unknown_seat') { // the seat ended meanwhile: a fresh join
        rejoinSoon(msg.message);
        break;
      }
      if (msg.code === 'bad_token' || msg.code === 'expired_token') {
        wantSeat = false;
        teardown(null);
        setStatus(msg.message || 'An error occurred.', 'bad');
        $('session-panel').hidden = true;
        $('login-panel').hidden = false;
        $('login-error').textContent = msg.message;
        break;
      }
      if (!joined && wantSeat && msg.code === 'relay_unavailable') {
        rejoinSoon(msg.message);
        break;
      }
      if (!joined) teardown(null);
      setStatus(msg.message || 'An error occurred.', 'bad');
      break;
    default:
      break;
  }
}

async function ensureSocket() {
  if (rostrum.ws && rostrum.ws.readyState === WebSocket.OPEN) return rostrum.ws;
  const ws = await openSocket();
  rostrum.ws = ws;
  ws.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    onServerMessage(msg);
  };
  ws.onclose = () => {
    if (rostrum.ws === ws) rostrum.ws = null;
    // the media goes on (the relay keeps the peer): reconnect and resume
    if (joined && wantSeat) {
      setStatus('Connection to the server lost — reconnecting (audio continues)…');
      scheduleRetry(resumeSeat);
    }
  };
  return ws;
}

async function resumeSeat() {
  if (!joined || !wantSeat) return;
  try {
    const ws = await ensureSocket();
    rostrum.counts.ws_reconnects++;
    ws.send(JSON.stringify({ type: 'resume', token: rostrum.token, peer: rostrum.peer }));
  } catch {
    scheduleRetry(resumeSeat);
  }
}

async function join() {
  wantSeat = true;
  $('join').disabled = true;
  setStatus('Connecting…');
  try {
    // Created in the click handler so that autoplay and Web Audio are allowed.
    audioCtx = audioCtx || new AudioContext();
    // TURN (coturn) credentials come with the login; ?relay=1 forces every
    // packet through it, for networks that allow nothing else.
    const forceRelay = new URLSearchParams(location.search).get('relay') === '1';
    const pc = new RTCPeerConnection({
      iceServers: rostrum.iceServers || [],
      iceTransportPolicy: forceRelay ? 'relay' : 'all',
    });
    rostrum.pc = pc;
    // two receive tracks: the floor, and the interpretation the delegate picks
    const floorT = pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
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
      if (state === 'connected' && restarts > 0) setStatus(hearingText(), 'ok');
      if (state === 'failed') restartIce();
      if (state === 'disconnected') {
        setTimeout(() => {
          if (rostrum.pc === pc && pc.iceConnectionState === 'disconnected') restartIce();
        }, 2000);
      }
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed' && rostrum.pc === pc && restarts >= MAX_RESTARTS) {
        rejoinSoon('Audio could not be established (network) — trying again…');
      }
    };
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const tGather = performance.now();
    await waitIceGathering(pc);
    rostrum.ice_gather_ms = performance.now() - tGather;
    const ws = await ensureSocket();
    ws.send(JSON.stringify({ type: 'join', token: rostrum.token, offer: pc.localDescription.sdp }));
  } catch (err) {
    if (wantSeat) rejoinSoon(`Could not join (${err.message}) — trying again…`);
    else teardown(`Could not join: ${err.message}`, 'bad');
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
  setStatus('Network changed — reconnecting audio…');
  try {
    pc.restartIce();
    await pc.setLocalDescription(await pc.createOffer());
    await waitIceGathering(pc);
    const ws = await ensureSocket();
    ws.send(JSON.stringify({ type: 'restart', offer: pc.localDescription.sdp }));
  } catch (err) {
    setStatus(`Could not reconnect audio (${err.message}).`, 'bad');
  }
}
rostrum.restartIce = restartIce;

function leave() {
  wantSeat = false;
  clearTimeout(retryTimer);
  $('leave').disabled = true;
  if (rostrum.ws && rostrum.ws.readyState === WebSocket.OPEN) {
    rostrum.ws.send(JSON.stringify({ type: 'leave' }));
  } else {
    teardown('You have left the meeting.');
  }
}

$('login-form').addEventListener('submit', login);
$('join').addEventListener('click', join);
$('leave').addEventListener('click', leave);
$('channel').addEventListener('change', chooseChannel);
$('lowbw').addEventListener('change', chooseLowbw);
$('balance').addEventListener('input', applyMix);
loadVenue();
