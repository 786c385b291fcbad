// SPDX-License-Identifier: Apache-2.0
// web/soundcheck.js's summarise() without a browser: frames in, the
// verdict out (speech, silence, noise, clipping, narrowband).
//
//   node --test soundcheck_summary.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repo } from './harness.mjs';

const { summarise, THRESHOLDS } = await import(pathToFileURL(path.join(repo, 'web', 'soundcheck.js')));
const SAMPLES = 2400; // 50 ms at 48 kHz
const db = (x) => 10 ** (x / 20);

// 60 frames: speech at @speech dBFS in 3 of 5 frames, @noise dBFS between;
// @hiLo the 7–16 kHz band against 100 Hz–7 kHz while speaking.
function frames({ speech = -20, noise = -70, hiLo = -25, clippedShare = 0, peak = -6 } = {}) {
  return Array.from({ length: 60 }, (_, i) => {
    const on = i % 5 < 3;
    const rms = db(on ? speech : noise);
    return { rms, peak: on ? db(peak) : rms * 1.4, samples: SAMPLES,
      clipped: on ? Math.round(clippedShare * SAMPLES) : 0, lo: rms * rms, hi: rms * rms * 10 ** (hiLo / 10) };
  });
}

test('clean speech passes', () => {
  const r = summarise(frames());
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.ok(Math.abs(r.level_dbfs + 20) < 0.5 && Math.abs(r.noise_dbfs + 70) < 0.5, JSON.stringify(r));
  assert.equal(r.peak_dbfs, -6);
});

test('silence is too quiet, and not "narrowband"', () => {
  const r = summarise(frames({ speech: -90, noise: -90 }));
  assert.deepEqual(r.problems, ['too_quiet']);
  assert.equal(r.narrowband, false);
});

test('clipping: more than 0.1 % of the speech samples at full scale', () => {
  assert.equal(summarise(frames({ clippedShare: 0.0005, peak: 0 })).clipping, false);
  const r = summarise(frames({ clippedShare: 0.01, peak: 0 }));
  assert.equal(r.clipping, true);
  assert.deepEqual(r.problems, ['clipping']);
});

test(`narrowband: the high band under ${THRESHOLDS.NARROWBAND_DB} dB`, () => {
  assert.equal(summarise(frames({ hiLo: THRESHOLDS.NARROWBAND_DB + 3 })).narrowband, false);
  const r = summarise(frames({ hiLo: -70 }));
  assert.equal(r.narrowband, true);
  assert.deepEqual(r.problems, ['narrowband']);
});

test('a noisy room', () => {
  const r = summarise(frames({ noise: -35, speech: -15 }));
  assert.ok(r.problems.includes('noisy'), JSON.stringify(r));
});
