/* SPDX-License-Identifier: Apache-2.0 */
/* Hearing protection: a lookahead true-peak limiter, one per product, right
 * before its Opus encoder. Mono float PCM in frames of any length (the
 * engine uses AUDIO_FRAME).
 *
 * The detector measures each input sample's neighbourhood by 4x
 * oversampling with the ITU-R BS.1770-4 interpolator (the one level.c
 * reads true peak with), so inter-sample peaks count too. The gain needed
 * to bring a peak to the ceiling is held over the lookahead window and
 * smoothed by a moving average of nearly the window's length: the gain
 * reaches its target by the time the peak leaves the delay line, with no
 * overshoot, and a signal whose true peak stays under the ceiling passes
 * with gain exactly 1 (the output is the input, delayed, bit for bit).
 * Release is exponential towards the held target. A hard clip at the
 * ceiling is the last resort; it is counted and never engages on the
 * unit tests' signals.
 *
 * The output is the input delayed by limiter_latency() samples (the
 * lookahead). Pure: no clock, no locks, one thread drives a limiter; all
 * memory is allocated by limiter_new(), processing allocates nothing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIMITER_DEFAULT_CEILING_DB (-3.0)
#define LIMITER_DEFAULT_LOOKAHEAD_MS 1.5 /* 72 samples at 48 kHz */
#define LIMITER_DEFAULT_RELEASE_MS 80.0
#define LIMITER_MAX_LOOKAHEAD_MS 20.0

typedef struct Limiter Limiter;

/* A limiter at @ceiling_db (dBFS/dBTP, -20..0), with @lookahead_ms of delay
 * (at least 13 samples, at most LIMITER_MAX_LOOKAHEAD_MS), a release time
 * constant of @release_ms (1..5000) at @rate Hz (8000..192000; the
 * interpolator is designed for 48000). Returns NULL with errno EINVAL or
 * ENOMEM. Transfer full: free with limiter_free(). */
Limiter *limiter_new(double ceiling_db, double lookahead_ms, double release_ms, int rate);
void limiter_free(Limiter *lim);

/* Limits @n samples of @frame in place (borrowed). Non-finite samples are
 * taken as silence, magnitudes over 1e6 (+120 dBFS) as 1e6. Any chunking
 * gives the same output sample for sample. */
void limiter_process(Limiter *lim, float *frame, size_t n);

/* Back to silence and unity gain, as limiter_new() left it; the settings
 * and the clip counter stay. */
void limiter_reset(Limiter *lim);

/* The largest gain reduction applied during the last limiter_process()
 * call, in dB (>= 0; 0 when the limiter left every sample untouched). */
double limiter_gain_reduction_db(const Limiter *lim);

/* Whether the last limiter_process() call reduced the gain at all. */
bool limiter_active(const Limiter *lim);

/* The delay the limiter adds, in samples. */
unsigned limiter_latency(const Limiter *lim);

/* Samples the final safety clip has had to cut since limiter_new(). */
uint64_t limiter_clipped(const Limiter *lim);
