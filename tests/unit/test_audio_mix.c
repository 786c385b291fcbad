/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the floor bus (relay/audio/mix.c): distinct sine tones as
 * voices, checked with the Goertzel helper of tests/integration/tone.c. */
#include "mix.h"
#include "tone.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define TICKS 5
#define LEN (TICKS * AUDIO_FRAME)

/* Multiples of 50 Hz: whole periods in one 960-sample frame, so the
 * Goertzel sees no leakage. */
#define F_VENUE 600.0
#define F_A 1000.0
#define F_B 1650.0
#define F_C 2400.0

typedef struct {
  double freq, amp;
  float frame[AUDIO_FRAME];
} Voice;

static void
voice_fill(Voice *v, unsigned tick)
{
  for (unsigned n = 0; n < AUDIO_FRAME; n++) {
    double t = (double)(tick * AUDIO_FRAME + n) / AUDIO_RATE;
    v->frame[n] = (float)(v->amp * sin(2.0 * M_PI * v->freq * t));
  }
}

static double
energy(const float *x, double freq)
{
  return tone_goertzel(x, LEN, AUDIO_RATE, freq);
}

/* venue + A, B, C; A and B are speakers. Records the total and A's and B's
 * mix-minus over TICKS frames. */
static void
run_floor(float *total, float *minus_a, float *minus_b, double *max_err_a)
{
  Voice v[4] = {{F_VENUE, 0.3, {0}}, {F_A, 0.25, {0}}, {F_B, 0.2, {0}}, {F_C, 0.15, {0}}};
  MixBus *bus = mix_bus_new(MIX_DEFAULT_CAPACITY);
  assert_non_null(bus);
  int venue = mix_bus_add(bus, 1.0f, false);
  int a = mix_bus_add(bus, 1.0f, true);
  int b = mix_bus_add(bus, 1.0f, true);
  int c = mix_bus_add(bus, 1.0f, false);
  int ids[4] = {venue, a, b, c};
  assert_true(venue >= 0 && a >= 0 && b >= 0 && c >= 0);
  assert_int_equal(mix_bus_count(bus), 4);
  assert_null(mix_bus_minus(bus, venue));
  assert_null(mix_bus_minus(bus, c));

  *max_err_a = 0.0;
  for (unsigned t = 0; t < TICKS; t++) {
    for (unsigned i = 0; i < 4; i++) {
      voice_fill(&v[i], t);
      assert_int_equal(mix_bus_set_input(bus, ids[i], v[i].frame), 0);
    }
    assert_int_equal(mix_bus_run(bus), 4);
    memcpy(total + t * AUDIO_FRAME, mix_bus_total(bus), sizeof(float) * AUDIO_FRAME);
    memcpy(minus_a + t * AUDIO_FRAME, mix_bus_minus(bus, a), sizeof(float) * AUDIO_FRAME);
    memcpy(minus_b + t * AUDIO_FRAME, mix_bus_minus(bus, b), sizeof(float) * AUDIO_FRAME);
    for (unsigned n = 0; n < AUDIO_FRAME; n++) {
      /* A hears exactly the others: compare with their sum in double */
      double others = (double)v[0].frame[n] + (double)v[2].frame[n] + (double)v[3].frame[n];
      double err = fabs((double)minus_a[t * AUDIO_FRAME + n] - others);
      if (err > *max_err_a)
        *max_err_a = err;
    }
  }
  mix_bus_free(bus);
}

static float total_buf[LEN], minus_a_buf[LEN], minus_b_buf[LEN];

static void
total_has_every_voice(void **state)
{
  double err;
  run_floor(total_buf, minus_a_buf, minus_b_buf, &err);
  assert_true(fabs(energy(total_buf, F_VENUE) - 0.09) < 1e-3);
  assert_true(fabs(energy(total_buf, F_A) - 0.0625) < 1e-3);
  assert_true(fabs(energy(total_buf, F_B) - 0.04) < 1e-3);
  assert_true(fabs(energy(total_buf, F_C) - 0.0225) < 1e-3);
}

static void
speaker_does_not_hear_self(void **state)
{
  double err;
  run_floor(total_buf, minus_a_buf, minus_b_buf, &err);
  print_message("A's mix-minus: energy at A %.3g, max error vs the others' sum %.3g\n",
                energy(minus_a_buf, F_A), err);
  assert_true(err < 1e-6);
  assert_true(energy(minus_a_buf, F_A) < 1e-12);
  assert_true(fabs(energy(minus_a_buf, F_VENUE) - 0.09) < 1e-3);
  assert_true(fabs(energy(minus_a_buf, F_B) - 0.04) < 1e-3);
  assert_true(fabs(energy(minus_a_buf, F_C) - 0.0225) < 1e-3);
}

static void
two_speakers_hear_each_other(void **state)
{
  double err;
  run_floor(total_buf, minus_a_buf, minus_b_buf, &err);
  assert_true(energy(minus_a_buf, F_A) < 1e-12);
  assert_true(fabs(energy(minus_a_buf, F_B) - 0.04) < 1e-3);
  assert_true(energy(minus_b_buf, F_B) < 1e-12);
  assert_true(fabs(energy(minus_b_buf, F_A) - 0.0625) < 1e-3);
}

static void
lone_speaker_hears_exact_silence(void **state)
{
  float x[AUDIO_FRAME];
  MixBus *bus = mix_bus_new(4);
  int a = mix_bus_add(bus, 0.7f, true);
  for (unsigned n = 0; n < AUDIO_FRAME; n++)
    x[n] = (float)sin(0.1 * n) * 0.9f;
  mix_bus_set_input(bus, a, x);
  assert_int_equal(mix_bus_run(bus), 1);
  for (unsigned n = 0; n < AUDIO_FRAME; n++)
    assert_true(mix_bus_minus(bus, a)[n] == 0.0f);
  assert_true(fabsf(mix_bus_total(bus)[100] - 0.7f * x[100]) < 1e-6f);
  mix_bus_free(bus);
}

static void
every_source_a_speaker_at_capacity(void **state)
{
  /* 64 speakers with distinct constant levels: each hears the sum of the
   * other 63, within 1e-6, never itself */
  float in[MIX_DEFAULT_CAPACITY][AUDIO_FRAME];
  int ids[MIX_DEFAULT_CAPACITY];
  double sum = 0.0;
  MixBus *bus = mix_bus_new(MIX_DEFAULT_CAPACITY);
  for (int i = 0; i < MIX_DEFAULT_CAPACITY; i++) {
    ids[i] = mix_bus_add(bus, 1.0f, true);
    assert_int_equal(ids[i], i);
    for (unsigned n = 0; n < AUDIO_FRAME; n++)
      in[i][n] = (float)(i + 1) * 1e-3f * (n % 2 ? 1.0f : -1.0f);
    sum += (double)in[i][0];
    mix_bus_set_input(bus, ids[i], in[i]);
  }
  assert_int_equal(mix_bus_add(bus, 1.0f, true), -ENOSPC);
  assert_int_equal(mix_bus_run(bus), MIX_DEFAULT_CAPACITY);
  for (int i = 0; i < MIX_DEFAULT_CAPACITY; i++)
    assert_true(fabs((double)mix_bus_minus(bus, ids[i])[0] - (sum - (double)in[i][0])) < 1e-6);
  mix_bus_free(bus);
}

static void
add_remove_between_ticks(void **state)
{
  float x[AUDIO_FRAME], y[AUDIO_FRAME];
  for (unsigned n = 0; n < AUDIO_FRAME; n++) {
    x[n] = 0.25f;
    y[n] = 0.5f;
  }
  MixBus *bus = mix_bus_new(2);
  int a = mix_bus_add(bus, 1.0f, true);
  int b = mix_bus_add(bus, 1.0f, true);
  assert_int_equal(mix_bus_add(bus, 1.0f, false), -ENOSPC);
  mix_bus_set_input(bus, a, x);
  mix_bus_set_input(bus, b, y);
  assert_int_equal(mix_bus_run(bus), 2);
  assert_true(mix_bus_total(bus)[0] == 0.75f);
  assert_true(mix_bus_minus(bus, a)[0] == 0.5f);

  /* inputs are forgotten after a run: b alone is set, a is silent */
  mix_bus_set_input(bus, b, y);
  assert_int_equal(mix_bus_run(bus), 1);
  assert_true(mix_bus_total(bus)[0] == 0.5f);
  assert_true(mix_bus_minus(bus, a)[0] == 0.5f);
  assert_true(mix_bus_minus(bus, b)[0] == 0.0f);

  assert_int_equal(mix_bus_remove(bus, a), 0);
  assert_int_equal(mix_bus_remove(bus, a), -ENOENT);
  assert_int_equal(mix_bus_set_input(bus, a, x), -ENOENT);
  assert_null(mix_bus_minus(bus, a));
  assert_int_equal(mix_bus_count(bus), 1);
  int c = mix_bus_add(bus, 1.0f, false); /* the freed slot is reused */
  assert_int_equal(c, a);
  assert_null(mix_bus_minus(bus, c));
  assert_int_equal(mix_bus_set_speaker(bus, c, true), 0);
  assert_non_null(mix_bus_minus(bus, c));
  mix_bus_set_input(bus, b, y);
  mix_bus_set_input(bus, c, x);
  mix_bus_run(bus);
  assert_true(mix_bus_minus(bus, c)[0] == 0.5f);
  mix_bus_free(bus);
}

static void
gains_ramp_and_bad_input(void **state)
{
  float x[AUDIO_FRAME];
  for (unsigned n = 0; n < AUDIO_FRAME; n++)
    x[n] = 0.5f;
  MixBus *bus = mix_bus_new(4);
  assert_int_equal(mix_bus_add(bus, -1.0f, false), -EINVAL);
  assert_int_equal(mix_bus_add(bus, NAN, false), -EINVAL);
  assert_int_equal(mix_bus_add(bus, MIX_GAIN_MAX * 2, false), -EINVAL);
  int a = mix_bus_add(bus, 0.5f, false);
  assert_int_equal(mix_bus_set_gain(bus, a, NAN), -EINVAL);
  assert_int_equal(mix_bus_set_gain(bus, 3, 1.0f), -ENOENT);
  mix_bus_set_input(bus, a, x);
  mix_bus_run(bus);
  assert_true(mix_bus_total(bus)[0] == 0.25f);

  /* 0.5 -> 0: a linear ramp over the frame, ending at 0 */
  assert_int_equal(mix_bus_set_gain(bus, a, 0.0f), 0);
  mix_bus_set_input(bus, a, x);
  mix_bus_run(bus);
  const float *t = mix_bus_total(bus);
  assert_true(t[0] < 0.25f && t[0] > 0.24f);
  for (unsigned n = 1; n < AUDIO_FRAME; n++)
    assert_true(t[n] <= t[n - 1]);
  assert_true(t[AUDIO_FRAME - 1] == 0.0f);

  /* NaN counts as silence, huge values are clamped */
  mix_bus_set_gain(bus, a, 1.0f);
  mix_bus_run(bus);
  x[0] = NAN;
  x[1] = INFINITY;
  x[2] = -1e30f;
  mix_bus_set_input(bus, a, x);
  mix_bus_run(bus);
  t = mix_bus_total(bus);
  assert_true(t[0] == 0.0f);
  assert_true(t[1] == MIX_INPUT_MAX);
  assert_true(t[2] == -MIX_INPUT_MAX);
  mix_bus_free(bus);

  assert_null(mix_bus_new(0));
  assert_int_equal(errno, EINVAL);
  assert_null(mix_bus_new(MIX_MAX_CAPACITY + 1));
  mix_bus_free(NULL);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(total_has_every_voice),
      cmocka_unit_test(speaker_does_not_hear_self),
      cmocka_unit_test(two_speakers_hear_each_other),
      cmocka_unit_test(lone_speaker_hears_exact_silence),
      cmocka_unit_test(every_source_a_speaker_at_capacity),
      cmocka_unit_test(add_remove_between_ticks),
      cmocka_unit_test(gains_ramp_and_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
