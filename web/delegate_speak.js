// SPDX-License-Identifier: Apache-2.0
// Asking for the floor and speaking: the hand ('hand' up/down and the place
// in the queue), the sound check before it (the microphone is opened only
// now, when the delegate asks to speak), and the floor: the microphone's
// track on the send-only transceiver added at join (replaceTrack, no
// renegotiation), its level, mute and the speaking time.
import { formatDuration, formatNumber, t } from './i18n.js';
import { $, dbfs, meterNode, meterValue, show } from './common.js';
import { measure } from './soundcheck.js';

// Messages of this module: an 'error' right after one of them is theirs.
export const MEETING_TYPES = new Set(['hello', 'hand', 'soundcheck', 'quality', 'mute']);

// The browser's processing on a delegate's microphone, unless the meeting
// config says otherwise (meeting.capture.delegate): echo cancellation on
// (a delegate on laptop speakers would send the interpretation back to the
// floor), noise suppression and auto gain off (their artefacts and pumping
// reach every interpreter, who work from this sound: AIIC's advice).
export const DELEGATE_CAPTURE = { echoCancellation: true, noiseSuppression: false, autoGainControl: false };

let rostrum = null;
let send = () => false;
let stream = null; // the microphone, between the delegate's request and the end of the floor
let checking = false;
let lastCheck = null;
let handState = 'down'; // down | asking | up
let place = null;
let floorSince = null;
let floorTimer = null;
let stopMicMeter = null;
let muted = false;
let handNote = null; // {key, params} of #hand-status

function capture() {
  const cfg = rostrum.meeting?.capture?.delegate || {};
  const c = { ...DELEGATE_CAPTURE };
  for (const k of Object.keys(c)) if (typeof cfg[k] === 'boolean') c[k] = cfg[k];
  return { ...c, channelCount: 1 };
}

async function openMic() {
  if (stream && stream.getAudioTracks().some((tr) => tr.readyState === 'live')) return stream;
  stream = await navigator.mediaDevices.getUserMedia({ audio: capture(), video: false });
  rostrum.micStream = stream;
  rostrum.micSettings = stream.getAudioTracks()[0].getSettings();
  return stream;
}

function closeMic() {
  if (stream) for (const tr of stream.getTracks()) tr.stop();
  stream = null;
  rostrum.micStream = null;
}

function setHandNote(key, params = {}) {
  handNote = { key, params };
  $('hand-status').textContent = t(key, params);
}

function renderHand() {
  const b = $('hand');
  b.textContent = t(handState === 'down' ? 'speak.raise' : 'speak.withdraw');
  b.setAttribute('aria-pressed', String(handState !== 'down'));
  b.disabled = checking;
  $('soundcheck').disabled = checking;
}

const fmtDb = (x) => `${formatNumber(x, 1)} dBFS`;

function renderCheck(sc) {
  const ok = (good) => t(good ? 'sc.fine' : 'sc.problem');
  $('sc-level').textContent = `${fmtDb(sc.level_dbfs)} — ${ok(!sc.problems.includes('too_quiet'))}`;
  $('sc-peak').textContent = `${fmtDb(sc.peak_dbfs)} — ${t(sc.clipping ? 'sc.clipping' : 'sc.no_clipping')}`;
  $('sc-noise').textContent = `${fmtDb(sc.noise_dbfs)} — ${ok(!sc.problems.includes('noisy'))}`;
  $('sc-bandwidth').textContent = t(sc.narrowband ? 'sc.narrowband' : 'sc.fullband');
  const ul = $('sc-problems');
  ul.replaceChildren(...sc.problems.map((p) => {
    const li = document.createElement('li');
    li.textContent = t(`sc.advice_${p}`);
    li.dataset.problem = p;
    return li;
  }));
  $('soundcheck-status').textContent = t(sc.ok ? 'sc.passed' : 'sc.failed');
  $('soundcheck-status').className = sc.ok ? 'ok' : 'bad';
  show('soundcheck-result', true);
}

// Opens the microphone, measures it, shows and sends the result; closes it
// again unless @keep (the hand goes up next) or the delegate waits or speaks.
export async function soundCheck({ keep = false } = {}) {
  if (checking) return lastCheck;
  checking = true;
  renderHand();
  show('soundcheck-panel', true);
  show('soundcheck-result', false);
  $('sc-problems').replaceChildren();
  $('soundcheck-status').className = '';
  $('soundcheck-status').textContent = t('sc.asking_permission');
  try {
    const s = await openMic();
    rostrum.audioCtx = rostrum.audioCtx || new AudioContext();
    await rostrum.audioCtx.resume();
    $('soundcheck-status').textContent = t('sc.speak_now');
    const sc = await measure(rostrum.audioCtx, s, undefined, (f) => { $('soundcheck-progress').value = f; });
    lastCheck = sc;
    rostrum.soundcheck = sc;
    renderCheck(sc);
    const { problems, high_band_db: _hb, ...wire } = sc;
    send({ type: 'soundcheck', ...wire });
    return sc;
  } catch (err) {
    $('soundcheck-status').textContent = t('sc.no_mic', { why: err.name || err.message });
    $('soundcheck-status').className = 'bad';
    return null;
  } finally {
    checking = false;
    if (!keep && handState === 'down' && !floorSince) closeMic();
    renderHand();
  }
}

async function toggleHand() {
  if (handState !== 'down') {
    handState = 'down';
    place = null;
    send({ type: 'hand', up: false });
    setHandNote('speak.hand_down');
    if (!floorSince) closeMic();
    renderHand();
    return;
  }
  const sc = await soundCheck({ keep: true });
  if (!sc) return;
  handState = 'asking';
  renderHand();
  if (send({ type: 'hand', up: true })) setHandNote('speak.asking');
  else setHandNote(rostrum.unsupported.has('hand') ? 'speak.unavailable' : 'speak.not_connected');
}

// 'hand' from the server: the place in the queue, or null.
export function handPlace(p) {
  place = p ?? null;
  if (place) {
    handState = 'up';
    setHandNote('speak.place', { place: formatNumber(place) });
  } else if (!floorSince) {
    handState = 'down';
    setHandNote('speak.hand_down');
  }
  renderHand();
}

function renderFloorTime() {
  if (floorSince) $('speaking-time').textContent = formatDuration(Date.now() - floorSince);
}

// 'floor' from the server.
export async function floor(granted, since) {
  if (granted) {
    floorSince = since ? Date.parse(since) || Date.now() : Date.now();
    show('floor-panel', true);
    clearInterval(floorTimer);
    floorTimer = setInterval(renderFloorTime, 500);
    renderFloorTime();
    try {
      const s = await openMic();
      const track = s.getAudioTracks()[0];
      muted = false;
      track.enabled = true;
      if (!rostrum.micSender) throw new Error(t('floor.no_path'));
      await rostrum.micSender.replaceTrack(track);
      const ctx = rostrum.audioCtx || (rostrum.audioCtx = new AudioContext());
      stopMicMeter?.();
      stopMicMeter = meterNode(ctx, ctx.createMediaStreamSource(s), (rms, peak) => {
        $('mic-level').value = meterValue(dbfs(Math.max(rms * 1.4, peak * 0.7)));
      });
      $('floor-status').textContent = t('floor.granted');
    } catch (err) {
      $('floor-status').textContent = t('floor.mic_failed', { why: err.message || err.name });
    }
    renderMute();
    $('mute').focus();
  } else {
    endFloor();
    handPlace(null);
  }
}

function endFloor() {
  const had = floorSince !== null;
  floorSince = null;
  clearInterval(floorTimer);
  stopMicMeter?.();
  stopMicMeter = null;
  if (rostrum.micSender) rostrum.micSender.replaceTrack(null).catch(() => {});
  show('floor-panel', false);
  if (had) {
    closeMic();
    setHandNote('floor.ended');
  }
}

function renderMute() {
  $('mute').textContent = t(muted ? 'floor.unmute' : 'floor.mute');
  $('mute').setAttribute('aria-pressed', String(muted));
}

function toggleMute() {
  muted = !muted;
  for (const tr of stream?.getAudioTracks() || []) tr.enabled = !muted;
  send({ type: 'mute', on: muted });
  renderMute();
  $('floor-status').textContent = t(muted ? 'floor.muted' : 'floor.granted');
}

// The server does not know @type (yet).
export function unsupported(type) {
  if (type === 'hand') {
    handState = 'down';
    setHandNote('speak.unavailable');
    renderHand();
  }
}

// The server refused @type with @text.
export function refused(type, text) {
  if (type === 'hand') {
    handState = 'down';
    handNote = null;
    $('hand-status').textContent = text;
    renderHand();
  } else if (type === 'mute') {
    $('floor-status').textContent = text;
  }
}

export function meetingChanged() {}

// The media ended (left, removed, lost): no floor without it.
export function mediaEnded() {
  if (floorSince) endFloor();
}

// Re-renders this module's text in a new language.
export function relabel() {
  renderHand();
  if (handNote) setHandNote(handNote.key, handNote.params);
  if (floorSince) renderMute();
  if (lastCheck && !checking) renderCheck(lastCheck);
}

export function init(r, sender) {
  rostrum = r;
  send = sender;
  rostrum.speak = { soundCheck, floor, handPlace };
  $('hand').addEventListener('click', toggleHand);
  $('soundcheck').addEventListener('click', () => soundCheck());
  $('mute').addEventListener('click', toggleMute);
  handNote = { key: 'speak.hand_down', params: {} };
  renderHand();
}
