/* SPDX-License-Identifier: Apache-2.0 */
#include "tone.h"

#include <math.h>

double
tone_goertzel(const float *samples, size_t n, double rate, double freq)
{
  double w = 2.0 * M_PI * freq / rate;
  double coeff = 2.0 * cos(w);
  double s1 = 0.0, s2 = 0.0;

  if (n == 0)
    return 0.0;
  for (size_t i = 0; i < n; i++) {
    double s0 = (double)samples[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return power / ((double)n * (double)n / 4.0);
}

double
tone_rms_dbfs(const float *samples, size_t n)
{
  double sum = 0.0;
  for (size_t i = 0; i < n; i++)
    sum += (double)samples[i] * (double)samples[i];
  if (n == 0 || sum == 0.0)
    return -INFINITY;
  return 10.0 * log10(sum / (double)n);
}

/* Goertzel over a Hann-windowed copy, computed on the fly. The window halves
 * the amplitude on average: compensate so a full-scale sine stays ~1.0. */
static double
tone_goertzel_hann(const float *samples, size_t n, double rate, double freq)
{
  double w = 2.0 * M_PI * freq / rate;
  double coeff = 2.0 * cos(w);
  double s1 = 0.0, s2 = 0.0;

  if (n < 2)
    return 0.0;
  for (size_t i = 0; i < n; i++) {
    double hann = 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)(n - 1));
    double s0 = (double)samples[i] * hann + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return power / ((double)n * (double)n / 16.0);
}

int
tone_check(const float *samples, size_t n, double rate, double freq, const double *probes,
           size_t n_probes, double min_ratio, double min_dbfs, ToneResult *out)
{
  ToneResult r = {0};
  r.target_energy = tone_goertzel_hann(samples, n, rate, freq);
  for (size_t i = 0; i < n_probes; i++) {
    double e = tone_goertzel_hann(samples, n, rate, probes[i]);
    if (e > r.probe_max)
      r.probe_max = e;
  }
  r.ratio = r.probe_max > 0.0 ? r.target_energy / r.probe_max : INFINITY;
  r.rms_dbfs = tone_rms_dbfs(samples, n);
  if (out)
    *out = r;
  return r.ratio >= min_ratio && r.rms_dbfs >= min_dbfs && r.target_energy > 0.0;
}

void
tone_default_probes(double freq, double probes[3])
{
  /* non-harmonic ratios, so neither the tone nor its octave lands on a probe */
  probes[0] = freq * 0.62;
  probes[1] = freq * 1.37;
  probes[2] = freq * 2.71;
}
