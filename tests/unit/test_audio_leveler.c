/* SPDX-License-Identifier: Apache-2.0 */
/* The floor's loudness target (relay/audio/leveler.c): a quiet feed is
 * brought up to the target and a loud one down, slowly and within range;
 * pauses are not pumped up; off is a pass-through. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"
#include "leveler.h"
#include "level.h"

/* Runs @seconds of a 1 kHz sine at @dbfs RMS through @l; returns the
 * output's RMS over the last 300 ms. */
static double
run(Leveler *l, double dbfs, double seconds)
{
  float frame[AUDIO_FRAME];
  LevelMeter out;
  level_init(&out, 300);
  double amp = pow(10.0, dbfs / 20.0) * sqrt(2.0);
  static double phase;
  for (int f = 0; f < (int)(seconds * 50); f++) {
    for (int i = 0; i < AUDIO_FRAME; i++) {
      frame[i] = (float)(amp * sin(phase));
      phase += 2 * M_PI * 1000.0 / AUDIO_RATE;
    }
    leveler_process(l, frame, AUDIO_FRAME);
    level_process(&out, frame, AUDIO_FRAME);
  }
  LevelReading r;
  level_read(&out, &r);
  return r.rms_dbfs;
}

static void
quiet_feed_comes_up(void **state)
{
  Leveler l;
  assert_int_equal(leveler_init(&l, true, -23.0), 0);
  double after1 = run(&l, -33.0, 1.0);
  assert_true(after1 < -29.0); /* at most 3 dB in the first second: no jump */
  double settled = run(&l, -33.0, 4.0);
  assert_true(fabs(settled - -23.0) < 0.5);
  assert_true(fabs(leveler_gain_db(&l) - 10.0) < 0.5);
}

static void
loud_feed_goes_down_within_range(void **state)
{
  Leveler l;
  leveler_init(&l, true, -23.0);
  double settled = run(&l, -3.0, 10.0);
  assert_true(fabs(leveler_gain_db(&l) + LEVELER_RANGE_DB) < 0.01); /* capped */
  assert_true(fabs(settled - -15.0) < 0.5);
}

static void
pauses_are_not_pumped(void **state)
{
  Leveler l;
  leveler_init(&l, true, -23.0);
  run(&l, -23.0, 2.0);
  double g = leveler_gain_db(&l);
  run(&l, -70.0, 5.0); /* a pause (room noise) */
  assert_true(fabs(leveler_gain_db(&l) - g) < 0.01);
}

static void
off_is_pass_through(void **state)
{
  Leveler l;
  leveler_init(&l, false, -23.0);
  float frame[AUDIO_FRAME], copy[AUDIO_FRAME];
  for (int i = 0; i < AUDIO_FRAME; i++)
    frame[i] = copy[i] = (float)sin(i * 0.1) * 0.01f;
  leveler_process(&l, frame, AUDIO_FRAME);
  assert_memory_equal(frame, copy, sizeof frame);
  assert_int_equal(leveler_init(&l, true, -3.0), -EINVAL);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(quiet_feed_comes_up),
    cmocka_unit_test(loud_feed_goes_down_within_range),
    cmocka_unit_test(pauses_are_not_pumped),
    cmocka_unit_test(off_is_pass_through),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
