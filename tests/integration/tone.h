/* SPDX-License-Identifier: Apache-2.0 */
/* Tone detection for audio tests: Goertzel energy at one frequency, RMS
 * level, and a "does @freq dominate" verdict. Pure, no allocation. */
#pragma once

#include <stddef.h>

/* Energy (squared magnitude, normalised by n^2/4 so that a full-scale sine
 * at exactly @freq gives ~1.0) of @n samples at @freq Hz. */
double tone_goertzel(const float *samples, size_t n, double rate, double freq);

/* RMS level of @n samples in dBFS (full-scale sine = -3.01 dBFS); -INFINITY
 * for silence. */
double tone_rms_dbfs(const float *samples, size_t n);

typedef struct {
  double target_energy; /* energy at the expected frequency */
  double probe_max;     /* largest energy at any probe frequency */
  double ratio;         /* target_energy / probe_max (INFINITY if probe_max is 0) */
  double rms_dbfs;
} ToneResult;

/* Measures @freq against @n_probes probe frequencies (a Hann window is
 * applied first so that the probes are not hit by leakage). Returns 1 if
 * ratio >= @min_ratio and rms_dbfs >= @min_dbfs, else 0; fills @out. */
int tone_check(const float *samples, size_t n, double rate, double freq, const double *probes,
               size_t n_probes, double min_ratio, double min_dbfs, ToneResult *out);

/* Three probe frequencies away from @freq and its octave (transfer none:
 * fills @probes[3]). */
void tone_default_probes(double freq, double probes[3]);
