/* SPDX-License-Identifier: Apache-2.0 */
/* Short-term level meter for one signal (a product or a live microphone):
 * RMS and sample peak in dBFS over a sliding window, and a true-peak
 * estimate (dBTP) from 4x oversampling with the interpolation filter of
 * ITU-R BS.1770-4 Annex 2. Pure: no allocation, no clock; the caller embeds
 * the struct (one per signal) and feeds it every frame it produces.
 *
 * Convention: 0 dBFS is a sample of magnitude 1.0, and RMS is not weighted,
 * so a full-scale sine reads 0 dBFS peak and -3.01 dBFS RMS (as
 * tests/integration/tone.c does). Silence reads AUDIO_SILENCE_DBFS (-120),
 * never -inf, so that a reading always fits in a JSON number. */
#pragma once

#include <stddef.h>

#include "frame.h"

#define LEVEL_BLOCK 480      /* 10 ms: the window slides by whole blocks */
#define LEVEL_MAX_BLOCKS 100 /* longest window: 1 s */
#define LEVEL_TAPS 12        /* taps per polyphase branch (48-tap prototype) */
#define LEVEL_DEFAULT_WINDOW_MS 300

/* Fields are private: read them through level_read(). */
typedef struct {
  unsigned n_blocks; /* window length, in blocks */
  unsigned head;     /* slot of the next committed block */
  unsigned filled;   /* committed blocks, at most n_blocks */
  unsigned partial_n;
  double partial_sq;
  float partial_peak, partial_tp;
  double sq[LEVEL_MAX_BLOCKS]; /* sum of squares of each block */
  float peak[LEVEL_MAX_BLOCKS];
  float tp[LEVEL_MAX_BLOCKS]; /* largest oversampled magnitude of each block */
  float hist[2 * LEVEL_TAPS]; /* FIR delay line, written twice to read it contiguously */
  unsigned hist_pos;
  float fir[LEVEL_TAPS][4]; /* the interpolator, tap by tap (filled by level_init) */
} LevelMeter;

typedef struct {
  double rms_dbfs;       /* over the window; AUDIO_SILENCE_DBFS at most quiet */
  double peak_dbfs;      /* largest |sample| in the window */
  double true_peak_dbfs; /* max(sample peak, 4x oversampled peak), dBTP */
} LevelReading;

/* Resets @m to silence with a window of @window_ms (a multiple of 10, from
 * 10 to 1000). Returns 0 or -EINVAL. */
int level_init(LevelMeter *m, unsigned window_ms);

/* Clears the window and the filter history, keeping the window length. */
void level_reset(LevelMeter *m);

/* Feeds @n samples (borrowed, finite PCM). Any chunking gives the same
 * readings as whole frames. */
void level_process(LevelMeter *m, const float *pcm, size_t n);

/* Fills @out (transfer none: caller's struct) from the last window: every
 * committed block plus the block in progress. */
void level_read(const LevelMeter *m, LevelReading *out);

/* 20*log10(@linear), floored at AUDIO_SILENCE_DBFS. */
double level_to_dbfs(double linear);
