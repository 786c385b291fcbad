// SPDX-License-Identifier: Apache-2.0
// The sound check of a speaker's microphone before the floor is given:
// level, peak and clipping, noise floor, and narrowband (a telephone-band
// or Bluetooth-HFP microphone: no energy above 7 kHz while speaking —
// interpreters cannot work from it). Measured on the microphone itself,
// before any codec, with an AnalyserNode over a few seconds.
//
// summarise() is pure (frames in, verdict out); measure() does the Web Audio.

export const CHECK_MS = 3000;
const FRAME_MS = 50;
// a sample at or above this is clipped (0.1 dB under full scale)
const CLIP_LEVEL = 0.989;
// clipped if more than this share of the active samples is at full scale
const CLIP_SHARE = 0.001;
// a frame is speech when its RMS is this far above the noise floor
const ACTIVE_ABOVE_NOISE_DB = 12;
// narrowband when the 7–16 kHz band lies this far under 100 Hz–7 kHz
const NARROWBAND_DB = -45;
export const THRESHOLDS = { CLIP_LEVEL, CLIP_SHARE, ACTIVE_ABOVE_NOISE_DB, NARROWBAND_DB,
  TOO_QUIET_DBFS: -40, TOO_NOISY_DBFS: -45 };

const db = (x) => (x > 0 ? 10 * Math.log10(x) : -Infinity); // of a power
const round1 = (x) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : -120);

// @frames: [{rms, peak, clipped, samples, hi, lo}] (hi, lo: band powers).
// Returns SC of the meeting draft: {level_dbfs, peak_dbfs, clipping,
// noise_dbfs, narrowband, ok} plus 'problems' (keys for the page's text).
export function summarise(frames) {
  const rmsDb = frames.map((f) => db(f.rms * f.rms)).sort((a, b) => a - b);
  const noise = rmsDb.length ? rmsDb[Math.floor(rmsDb.length * 0.1)] : -Infinity;
  const active = frames.filter((f) => db(f.rms * f.rms) > Math.max(noise + ACTIVE_ABOVE_NOISE_DB, -70));
  const sum = (k, list) => list.reduce((s, f) => s + f[k], 0);
  const peak = frames.reduce((m, f) => Math.max(m, f.peak), 0);
  const samples = sum('samples', active);
  const clipping = samples > 0 && sum('clipped', active) / samples > CLIP_SHARE;
  const level = active.length ? db(active.reduce((s, f) => s + f.rms * f.rms, 0) / active.length) : -Infinity;
  const hiLo = active.length ? db(sum('hi', active)) - db(sum('lo', active)) : -Infinity;
  const narrowband = active.length > 0 && hiLo < NARROWBAND_DB;
  const problems = [];
  if (!active.length || level < THRESHOLDS.TOO_QUIET_DBFS) problems.push('too_quiet');
  if (clipping) problems.push('clipping');
  if (narrowband) problems.push('narrowband');
  if (noise > THRESHOLDS.TOO_NOISY_DBFS) problems.push('noisy');
  return {
    level_dbfs: round1(level), peak_dbfs: round1(20 * Math.log10(peak || 1e-6)),
    clipping, noise_dbfs: round1(noise), narrowband, ok: problems.length === 0,
    high_band_db: round1(hiLo), problems,
  };
}

// Sums the power of bins [f0, f1) Hz of a dB spectrum.
function bandPower(spec, binHz, f0, f1) {
  let p = 0;
  for (let i = Math.ceil(f0 / binHz); i < Math.min(spec.length, f1 / binHz); i++)
    p += 10 ** (spec[i] / 10);
  return p;
}

// Listens to @stream for @ms and resolves with summarise()'s result;
// @onProgress(fraction, rms) while it runs.
export async function measure(ctx, stream, ms = CHECK_MS, onProgress = () => {}) {
  const src = ctx.createMediaStreamSource(stream);
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 4096;
  analyser.smoothingTimeConstant = 0;
  src.connect(analyser);
  const time = new Float32Array(analyser.fftSize);
  const spec = new Float32Array(analyser.frequencyBinCount);
  const binHz = ctx.sampleRate / analyser.fftSize;
  const top = Math.min(16000, ctx.sampleRate / 2);
  const frames = [];
  const t0 = performance.now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      analyser.getFloatTimeDomainData(time);
      analyser.getFloatFrequencyData(spec);
      // only the samples new since the last frame count towards clipping
      const fresh = Math.min(time.length, Math.round((ctx.sampleRate * FRAME_MS) / 1000));
      let sum = 0, peak = 0, clipped = 0;
      for (let i = time.length - fresh; i < time.length; i++) {
        const a = Math.abs(time[i]);
        sum += a * a;
        if (a > peak) peak = a;
        if (a >= CLIP_LEVEL) clipped++;
      }
      const rms = Math.sqrt(sum / fresh);
      frames.push({ rms, peak, clipped, samples: fresh,
        hi: bandPower(spec, binHz, 7000, top), lo: bandPower(spec, binHz, 100, 7000) });
      const done = performance.now() - t0;
      onProgress(Math.min(1, done / ms), rms);
      if (done >= ms) { clearInterval(timer); resolve(); }
    }, FRAME_MS);
  });
  src.disconnect();
  return summarise(frames);
}
