/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the true-peak limiter (relay/audio/limiter.c), checked as
 * audio: sample peak and 4x-oversampled true peak of the output (read with
 * level.c's BS.1770 meter), gain reduction, and the output against the
 * input delayed by the lookahead. */
#include "level.h"
#include "limiter.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define SECONDS 3
#define N (AUDIO_RATE * SECONDS)
#define CEILING_DB (-3.0)
#define TP_SLACK_DB 0.1

static float lim_in[N], lim_out[N], lim_alt[N];

typedef struct {
  double peak_db, true_peak_db;
} Peaks;

/* Sample and true peak of @x, read through the level meter one window (1 s)
 * at a time so that the whole buffer is covered. */
static Peaks
lim_peaks(const float *x, size_t n)
{
  LevelMeter m;
  LevelReading r;
  Peaks p = {AUDIO_SILENCE_DBFS, AUDIO_SILENCE_DBFS};
  assert_int_equal(level_init(&m, 1000), 0);
  for (size_t off = 0; off < n; off += AUDIO_RATE) {
    size_t len = n - off < AUDIO_RATE ? n - off : AUDIO_RATE;
    level_process(&m, x + off, len);
    level_read(&m, &r);
    p.peak_db = fmax(p.peak_db, r.peak_dbfs);
    p.true_peak_db = fmax(p.true_peak_db, r.true_peak_dbfs);
  }
  return p;
}

/* Runs @x through @lim in engine frames into @out; returns the largest gain
 * reduction any frame reported. */
static double
lim_run(Limiter *lim, const float *x, float *out, size_t n)
{
  double worst = 0.0;
  memcpy(out, x, n * sizeof *out);
  for (size_t off = 0; off < n; off += AUDIO_FRAME) {
    limiter_process(lim, out + off, n - off < AUDIO_FRAME ? n - off : AUDIO_FRAME);
    worst = fmax(worst, limiter_gain_reduction_db(lim));
  }
  return worst;
}

static void
lim_square(float *x, size_t n, unsigned half_period, float amp)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (i / half_period) % 2 ? -amp : amp;
}

static void
lim_sine(float *x, size_t n, double freq, double amp, double phase)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (float)(amp * sin(2.0 * M_PI * freq * (double)i / AUDIO_RATE + phase));
}

static double
lim_rms_db(const float *x, size_t n)
{
  double sq = 0.0;
  for (size_t i = 0; i < n; i++)
    sq += (double)x[i] * (double)x[i];
  return level_to_dbfs(sqrt(sq / (double)n));
}

/* A voice-like signal: a 140 Hz harmonic series (12 harmonics, 1/k, fixed
 * pseudo-random phases) with a 4 Hz syllable envelope and a slow pitch
 * wobble, scaled to @rms_db. */
static void
lim_speech(float *x, size_t n, double rms_db)
{
  double phase[12];
  uint32_t seed = 12345;
  for (unsigned k = 0; k < 12; k++) {
    seed = seed * 1664525u + 1013904223u;
    phase[k] = 2.0 * M_PI * (double)(seed >> 8) / 16777216.0;
  }
  double theta = 0.0;
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / AUDIO_RATE;
    double f0 = 140.0 * (1.0 + 0.08 * sin(2.0 * M_PI * 0.7 * t));
    theta += 2.0 * M_PI * f0 / AUDIO_RATE;
    double env = 0.3 + 0.7 * (0.5 + 0.5 * sin(2.0 * M_PI * 4.0 * t));
    double v = 0.0;
    for (unsigned k = 1; k <= 12; k++)
      v += sin((double)k * theta + phase[k - 1]) / (double)k;
    x[i] = (float)(env * v);
  }
  double scale = pow(10.0, (rms_db - lim_rms_db(x, n)) / 20.0);
  for (size_t i = 0; i < n; i++)
    x[i] = (float)(x[i] * scale);
}

/* The output is the input delayed by the lookahead, sample for sample. */
static void
assert_delayed_copy(const float *in, const float *out, size_t n, unsigned delay)
{
  for (size_t i = 0; i < delay; i++)
    assert_true(out[i] == 0.0f);
  double err = 0.0;
  for (size_t i = delay; i < n; i++)
    err = fmax(err, fabs((double)out[i] - (double)in[i - delay]));
  assert_true(err <= 1e-6);
}

static Limiter *
lim_default(void)
{
  Limiter *lim =
      limiter_new(CEILING_DB, LIMITER_DEFAULT_LOOKAHEAD_MS, LIMITER_DEFAULT_RELEASE_MS, AUDIO_RATE);
  assert_non_null(lim);
  return lim;
}

static void
new_rejects_bad_settings(void **state)
{
  errno = 0;
  assert_null(limiter_new(0.5, 1.5, 80.0, AUDIO_RATE));
  assert_int_equal(errno, EINVAL);
  assert_null(limiter_new(-30.0, 1.5, 80.0, AUDIO_RATE));
  assert_null(limiter_new(NAN, 1.5, 80.0, AUDIO_RATE));
  assert_null(limiter_new(-3.0, 0.0, 80.0, AUDIO_RATE));
  assert_null(limiter_new(-3.0, 0.1, 80.0, AUDIO_RATE)); /* 5 samples: too short */
  assert_null(limiter_new(-3.0, 25.0, 80.0, AUDIO_RATE));
  assert_null(limiter_new(-3.0, 1.5, 0.0, AUDIO_RATE));
  assert_null(limiter_new(-3.0, 1.5, 80.0, 1000));
  assert_int_equal(errno, EINVAL);

  Limiter *lim = lim_default();
  assert_int_equal(limiter_latency(lim), 72);
  assert_false(limiter_active(lim));
  assert_true(limiter_gain_reduction_db(lim) == 0.0);
  limiter_free(lim);
  limiter_free(NULL);
}

/* A full-scale square: every sample at 0 dBFS, inter-sample overshoot above
 * it. Limited from the first sample (the lookahead sees it coming), and held
 * right at the ceiling, not below it. */
static void
square_at_full_scale(unsigned half_period, double freq)
{
  Limiter *lim = lim_default();
  lim_square(lim_in, N, half_period, 1.0f);
  double gr = lim_run(lim, lim_in, lim_out, N);

  Peaks in = lim_peaks(lim_in, N);
  Peaks out = lim_peaks(lim_out, N);
  Peaks settled = lim_peaks(lim_out + AUDIO_FRAME, N - AUDIO_FRAME);
  print_message("%.0f Hz square: in %.2f dBFS / %.2f dBTP, out %.3f dBFS / %.3f dBTP, GR %.2f dB\n",
                freq, in.peak_db, in.true_peak_db, out.peak_db, out.true_peak_db, gr);
  assert_true(in.peak_db > -0.01);
  assert_true(out.peak_db <= CEILING_DB);
  assert_true(out.true_peak_db <= CEILING_DB + TP_SLACK_DB);
  assert_true(settled.true_peak_db > CEILING_DB - 0.1); /* at the ceiling, not under it */
  assert_true(gr > 3.0 && gr < 3.0 + (in.true_peak_db - in.peak_db) + 0.1);
  assert_true(limiter_active(lim));
  assert_int_equal(limiter_clipped(lim), 0);
  limiter_free(lim);
}

static void
square_3k(void **state)
{
  square_at_full_scale(8, 3000.0);
}

static void
square_1k(void **state)
{
  square_at_full_scale(24, 1000.0);
}

/* Feedback-like: silence, then a 3 kHz sine 20 dB over full scale for
 * 500 ms, then silence. */
static void
burst_at_plus_20_db(void **state)
{
  Limiter *lim = lim_default();
  size_t start = AUDIO_RATE / 5, len = AUDIO_RATE / 2;
  memset(lim_in, 0, sizeof lim_in);
  lim_sine(lim_in + start, len, 3000.0, 10.0, 0.0);
  double gr = lim_run(lim, lim_in, lim_out, N);

  Peaks in = lim_peaks(lim_in, N);
  Peaks out = lim_peaks(lim_out, N);
  Peaks during = lim_peaks(lim_out + start + 2 * AUDIO_FRAME, len - 2 * AUDIO_FRAME);
  print_message("+20 dB burst: in %.2f dBFS, out %.3f dBFS / %.3f dBTP, GR %.2f dB\n", in.peak_db,
                out.peak_db, out.true_peak_db, gr);
  assert_true(in.peak_db > 19.99);
  assert_true(out.peak_db <= CEILING_DB);
  assert_true(out.true_peak_db <= CEILING_DB + TP_SLACK_DB);
  assert_true(during.true_peak_db > CEILING_DB - 0.1);
  assert_true(fabs(gr - (in.true_peak_db - CEILING_DB)) < 0.1);
  assert_int_equal(limiter_clipped(lim), 0);
  limiter_free(lim);
}

/* A sample-peak limiter lets this through: fs/4 at 45 degrees has every
 * sample at -3.01 dBFS and the waveform between them at 0 dBTP. */
static void
inter_sample_peaks_are_limited(void **state)
{
  Limiter *lim = lim_default();
  lim_sine(lim_in, N, AUDIO_RATE / 4.0, 1.0, M_PI / 4.0);
  double gr = lim_run(lim, lim_in, lim_out, N);
  Peaks in = lim_peaks(lim_in, N);
  Peaks out = lim_peaks(lim_out, N);
  print_message("fs/4 at 45 deg: in %.2f dBFS / %.2f dBTP, out %.3f dBTP, GR %.2f dB\n", in.peak_db,
                in.true_peak_db, out.true_peak_db, gr);
  assert_true(in.peak_db < CEILING_DB && in.true_peak_db > CEILING_DB + 2.0);
  assert_true(gr > 2.0);
  assert_true(out.true_peak_db <= CEILING_DB + TP_SLACK_DB);
  limiter_free(lim);
}

/* The gain moving all the time: white noise at up to +16 dB switched on
 * and off every 10 ms, and single full-scale-plus clicks. */
static void
noise_bursts_and_clicks(void **state)
{
  Limiter *lim = lim_default();
  uint32_t seed = 1;
  for (size_t i = 0; i < N; i++) {
    seed = seed * 1664525u + 1013904223u;
    double r = (double)(seed >> 8) / 8388608.0 - 1.0;
    lim_in[i] = (i / 480) % 2 ? (float)(6.0 * r) : 0.0f;
    if (i >= N / 2)
      lim_in[i] = i % 500 == 0 ? 8.0f : 0.0f;
  }
  lim_run(lim, lim_in, lim_out, N);
  Peaks out = lim_peaks(lim_out, N);
  print_message("gated noise and clicks: out %.3f dBFS / %.3f dBTP\n", out.peak_db,
                out.true_peak_db);
  assert_true(out.peak_db <= CEILING_DB);
  assert_true(out.true_peak_db <= CEILING_DB + TP_SLACK_DB);
  assert_int_equal(limiter_clipped(lim), 0);
  limiter_free(lim);
}

/* Normal speech level (-23 dBFS RMS, peaks under -10 dBFS): no gain change
 * at all, the output is the input delayed by the lookahead. */
static void
speech_level_is_untouched(void **state)
{
  Limiter *lim = lim_default();
  lim_speech(lim_in, N, -23.0);
  Peaks in = lim_peaks(lim_in, N);
  assert_true(fabs(lim_rms_db(lim_in, N) - (-23.0)) < 0.01);
  print_message("speech-like: %.2f dBFS peak, %.2f dBTP\n", in.peak_db, in.true_peak_db);
  assert_true(in.peak_db <= -10.0);

  memcpy(lim_out, lim_in, sizeof lim_out);
  for (size_t off = 0; off < N; off += AUDIO_FRAME) {
    limiter_process(lim, lim_out + off, AUDIO_FRAME);
    assert_true(limiter_gain_reduction_db(lim) == 0.0);
    assert_false(limiter_active(lim));
  }
  unsigned d = limiter_latency(lim);
  assert_delayed_copy(lim_in, lim_out, N, d);
  double change = lim_rms_db(lim_out + d, N - d) - lim_rms_db(lim_in, N - d);
  print_message("speech at -23 dBFS RMS, %.2f dBFS peak: gain change %.6f dB\n", in.peak_db,
                change);
  assert_true(fabs(change) < 0.5);
  limiter_free(lim);
}

/* Just under the ceiling is not touched either: there is no knee. */
static void
just_under_the_ceiling_is_untouched(void **state)
{
  Limiter *lim = lim_default();
  lim_sine(lim_in, N, 1000.0, pow(10.0, (CEILING_DB - 0.2) / 20.0), 0.0);
  double gr = lim_run(lim, lim_in, lim_out, N);
  assert_true(gr == 0.0);
  assert_delayed_copy(lim_in, lim_out, N, limiter_latency(lim));
  limiter_free(lim);
}

/* After the burst the gain comes back, smoothly, to exactly unity. */
static void
gain_recovers_after_the_burst(void **state)
{
  Limiter *lim = lim_default();
  size_t len = AUDIO_RATE / 2;
  lim_speech(lim_in, N, -23.0);
  lim_sine(lim_in, len, 3000.0, 10.0, 0.0);

  double gr_at[N / AUDIO_FRAME];
  memcpy(lim_out, lim_in, sizeof lim_out);
  for (size_t f = 0; f < N / AUDIO_FRAME; f++) {
    limiter_process(lim, lim_out + f * AUDIO_FRAME, AUDIO_FRAME);
    gr_at[f] = limiter_gain_reduction_db(lim);
  }
  size_t end = len / AUDIO_FRAME; /* first frame after the burst */
  print_message("release: GR %.2f dB in the burst, %.2f / %.2f / %.3f dB 100 / 200 / 300 ms "
                "after, %.4f dB at 1 s\n",
                gr_at[end - 1], gr_at[end + 5], gr_at[end + 10], gr_at[end + 15], gr_at[end + 50]);
  assert_true(gr_at[end - 1] > 22.9);
  for (size_t f = end + 1; f < N / AUDIO_FRAME; f++)
    assert_true(gr_at[f] <= gr_at[f - 1]);
  assert_true(gr_at[end + 5] < 6.0);  /* 100 ms */
  assert_true(gr_at[end + 15] < 0.5); /* 300 ms */
  size_t back = end + 75;             /* 1.5 s: unity, and a plain delay again */
  for (size_t f = back; f < N / AUDIO_FRAME; f++)
    assert_true(gr_at[f] == 0.0);
  size_t from = back * AUDIO_FRAME;
  unsigned d = limiter_latency(lim);
  for (size_t i = from; i < N; i++)
    assert_true(lim_out[i] == lim_in[i - d]);
  assert_false(limiter_active(lim));
  assert_int_equal(limiter_clipped(lim), 0);
  limiter_free(lim);
}

/* Frames of any length give the same output, quiet stretches included. */
static void
chunking_does_not_matter(void **state)
{
  Limiter *a = lim_default(), *b = lim_default();
  lim_speech(lim_in, N, -23.0);
  lim_square(lim_in + AUDIO_RATE / 2, AUDIO_RATE / 4, 8, 1.0f);
  lim_sine(lim_in + 2 * AUDIO_RATE, AUDIO_RATE / 4, 3000.0, 10.0, 0.3);
  lim_run(a, lim_in, lim_out, N);

  static const size_t sizes[] = {1, 7, 333, 960, 1500, 72, 13};
  memcpy(lim_alt, lim_in, sizeof lim_alt);
  size_t off = 0;
  for (unsigned k = 0; off < N; k++) {
    size_t len = sizes[k % 7];
    if (len > N - off)
      len = N - off;
    limiter_process(b, lim_alt + off, len);
    off += len;
  }
  assert_memory_equal(lim_out, lim_alt, sizeof lim_out);
  limiter_free(a);
  limiter_free(b);
}

/* NaN and infinity are silence; they do not poison the gain. */
static void
non_finite_input_is_silence(void **state)
{
  Limiter *lim = lim_default();
  lim_speech(lim_in, N, -23.0);
  memcpy(lim_out, lim_in, sizeof lim_out);
  lim_out[100] = NAN;
  lim_out[200] = INFINITY;
  lim_out[300] = -INFINITY;
  limiter_process(lim, lim_out, AUDIO_FRAME);
  assert_true(limiter_gain_reduction_db(lim) == 0.0);
  unsigned d = limiter_latency(lim);
  assert_true(lim_out[100 + d] == 0.0f && lim_out[200 + d] == 0.0f && lim_out[300 + d] == 0.0f);
  assert_true(lim_out[101 + d] == lim_in[101]);
  limiter_process(lim, lim_out + AUDIO_FRAME, AUDIO_FRAME);
  assert_false(limiter_active(lim));

  limiter_process(lim, lim_out, 0); /* an empty frame changes nothing */
  assert_false(limiter_active(lim));

  /* after a reset: silence out for the lookahead, then the input */
  limiter_reset(lim);
  memcpy(lim_out, lim_in, AUDIO_FRAME * sizeof *lim_out);
  limiter_process(lim, lim_out, AUDIO_FRAME);
  assert_delayed_copy(lim_in, lim_out, AUDIO_FRAME, d);
  limiter_free(lim);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(new_rejects_bad_settings),
      cmocka_unit_test(square_3k),
      cmocka_unit_test(square_1k),
      cmocka_unit_test(burst_at_plus_20_db),
      cmocka_unit_test(inter_sample_peaks_are_limited),
      cmocka_unit_test(noise_bursts_and_clicks),
      cmocka_unit_test(speech_level_is_untouched),
      cmocka_unit_test(just_under_the_ceiling_is_untouched),
      cmocka_unit_test(gain_recovers_after_the_burst),
      cmocka_unit_test(chunking_does_not_matter),
      cmocka_unit_test(non_finite_input_is_silence),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
