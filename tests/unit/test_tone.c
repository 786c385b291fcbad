/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the Goertzel tone helper (tests/integration/tone.c) with
 * synthetic signals. */
#include "tone.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#define RATE 48000.0
#define N 48000

static float tonetest_buf[N];

static void
tonetest_sine(float *out, size_t n, double freq, double amp, double phase, int add)
{
  for (size_t i = 0; i < n; i++) {
    float v = (float)(amp * sin(2.0 * M_PI * freq * (double)i / RATE + phase));
    out[i] = add ? out[i] + v : v;
  }
}

/* Deterministic white noise in [-amp, amp] (xorshift, no libc rand state). */
static void
tonetest_noise(float *out, size_t n, double amp, int add)
{
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    float v = (float)(amp * ((double)x / 2147483647.5 - 1.0));
    out[i] = add ? out[i] + v : v;
  }
}

static void
test_goertzel_energy(void **state)
{
  /* full-scale sine at the probe frequency: ~1.0; half amplitude: ~0.25 */
  tonetest_sine(tonetest_buf, N, 440.0, 1.0, 0.3, 0);
  assert_float_equal(tone_goertzel(tonetest_buf, N, RATE, 440.0), 1.0, 0.01);
  tonetest_sine(tonetest_buf, N, 440.0, 0.5, 1.1, 0);
  assert_float_equal(tone_goertzel(tonetest_buf, N, RATE, 440.0), 0.25, 0.005);
  /* off-frequency (whole number of cycles): ~0 */
  assert_true(tone_goertzel(tonetest_buf, N, RATE, 660.0) < 1e-6);
  assert_true(tone_goertzel(tonetest_buf, 0, RATE, 440.0) == 0.0);
}

static void
test_rms(void **state)
{
  tonetest_sine(tonetest_buf, N, 1000.0, 1.0, 0.0, 0);
  assert_float_equal(tone_rms_dbfs(tonetest_buf, N), -3.0103, 0.01);
  tonetest_sine(tonetest_buf, N, 1000.0, 0.01, 0.0, 0);
  assert_float_equal(tone_rms_dbfs(tonetest_buf, N), -43.0103, 0.01);
  for (size_t i = 0; i < N; i++)
    tonetest_buf[i] = 0.0f;
  assert_true(isinf(tone_rms_dbfs(tonetest_buf, N)));
  assert_true(tone_rms_dbfs(tonetest_buf, N) < 0);
}

static void
test_check_detects_tone(void **state)
{
  static const double freqs[] = {440.0, 523.0, 660.0, 1000.0, 3150.5};
  for (size_t k = 0; k < sizeof freqs / sizeof freqs[0]; k++) {
    double probes[3];
    ToneResult r;
    tone_default_probes(freqs[k], probes);
    /* a non-integer number of cycles in the window: leakage must not matter */
    tonetest_sine(tonetest_buf, 40000, freqs[k], 0.25, 0.7, 0);
    tonetest_noise(tonetest_buf, 40000, 0.01, 1);
    assert_true(tone_check(tonetest_buf, 40000, RATE, freqs[k], probes, 3, 20.0, -40.0, &r));
    assert_true(r.ratio > 1000.0);
    assert_float_equal(r.rms_dbfs, -15.05, 0.2);
    assert_float_equal(r.target_energy, 0.0625, 0.003);
  }
}

static void
test_check_rejects(void **state)
{
  double probes[3];
  ToneResult r;

  /* the wrong tone: 440 Hz when 523 Hz is expected (and vice versa) */
  tone_default_probes(523.0, probes);
  tonetest_sine(tonetest_buf, N, 440.0, 0.5, 0.0, 0);
  assert_false(tone_check(tonetest_buf, N, RATE, 523.0, probes, 3, 20.0, -40.0, &r));
  assert_true(r.target_energy < 1e-4);

  /* 440 Hz present but a probe frequency is as strong: not dominant */
  tone_default_probes(440.0, probes);
  tonetest_sine(tonetest_buf, N, 440.0, 0.3, 0.0, 0);
  tonetest_sine(tonetest_buf, N, probes[1], 0.3, 0.0, 1);
  assert_false(tone_check(tonetest_buf, N, RATE, 440.0, probes, 3, 20.0, -40.0, &r));
  assert_float_equal(r.ratio, 1.0, 0.1);

  /* white noise: no dominant frequency */
  tonetest_noise(tonetest_buf, N, 0.5, 0);
  assert_false(tone_check(tonetest_buf, N, RATE, 440.0, probes, 3, 20.0, -40.0, &r));
  assert_true(r.ratio < 20.0);

  /* the right tone but too quiet (-53 dBFS) */
  tonetest_sine(tonetest_buf, N, 440.0, 0.00316, 0.0, 0);
  assert_false(tone_check(tonetest_buf, N, RATE, 440.0, probes, 3, 20.0, -40.0, &r));
  assert_true(r.ratio > 20.0);
  assert_true(r.rms_dbfs < -40.0);

  /* silence */
  for (size_t i = 0; i < N; i++)
    tonetest_buf[i] = 0.0f;
  assert_false(tone_check(tonetest_buf, N, RATE, 440.0, probes, 3, 20.0, -40.0, &r));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_goertzel_energy),
    cmocka_unit_test(test_rms),
    cmocka_unit_test(test_check_detects_tone),
    cmocka_unit_test(test_check_rejects),
  };
  return cmocka_run_group_tests_name("tone", tests, NULL, NULL);
}
