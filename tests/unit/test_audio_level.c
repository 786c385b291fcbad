/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the level meter (relay/audio/level.c): RMS, sample peak and
 * BS.1770 true peak on synthetic signals. */
#include "level.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define N (AUDIO_RATE / 2)

static float level_buf[N];

static void
level_sine(float *out, size_t n, double freq, double amp, double phase)
{
  for (size_t i = 0; i < n; i++)
    out[i] = (float)(amp * sin(2.0 * M_PI * freq * (double)i / AUDIO_RATE + phase));
}

static void
level_feed_frames(LevelMeter *m, const float *x, size_t n)
{
  for (size_t off = 0; off < n; off += AUDIO_FRAME)
    level_process(m, x + off, n - off < AUDIO_FRAME ? n - off : AUDIO_FRAME);
}

static void
init_rejects_bad_windows(void **state)
{
  LevelMeter m;
  assert_int_equal(level_init(&m, 0), -EINVAL);
  assert_int_equal(level_init(&m, 5), -EINVAL);
  assert_int_equal(level_init(&m, 305), -EINVAL);
  assert_int_equal(level_init(&m, 1010), -EINVAL);
  assert_int_equal(level_init(&m, 10), 0);
  assert_int_equal(level_init(&m, 1000), 0);
  assert_int_equal(level_init(&m, LEVEL_DEFAULT_WINDOW_MS), 0);
}

static void
full_scale_sine(void **state)
{
  LevelMeter m;
  LevelReading r;
  assert_int_equal(level_init(&m, 300), 0);
  level_sine(level_buf, N, 1000.0, 1.0, 0.0); /* 48 samples a period: hits +-1 exactly */
  level_feed_frames(&m, level_buf, N);
  level_read(&m, &r);
  assert_true(fabs(r.peak_dbfs) < 0.001);
  assert_true(fabs(r.rms_dbfs - (-3.0103)) < 0.01);
  assert_true(fabs(r.true_peak_dbfs) < 0.1);
  assert_true(r.true_peak_dbfs >= r.peak_dbfs);
}

static void
inter_sample_peak(void **state)
{
  /* fs/4 at 45 degrees: every sample is +-0.7071 (-3.01 dBFS), the waveform
   * between them reaches 1.0 (0 dBTP) */
  LevelMeter m;
  LevelReading r;
  assert_int_equal(level_init(&m, 300), 0);
  level_sine(level_buf, N, AUDIO_RATE / 4.0, 1.0, M_PI / 4.0);
  level_feed_frames(&m, level_buf, N);
  level_read(&m, &r);
  assert_true(fabs(r.peak_dbfs - (-3.0103)) < 0.01);
  assert_true(r.true_peak_dbfs > r.peak_dbfs + 2.5);
  assert_true(fabs(r.true_peak_dbfs) < 0.6);
  print_message("fs/4 at 45 deg: sample peak %.2f dBFS, true peak %.2f dBTP\n", r.peak_dbfs,
                r.true_peak_dbfs);
}

static void
silence_reads_the_floor(void **state)
{
  LevelMeter m;
  LevelReading r;
  assert_int_equal(level_init(&m, 300), 0);
  level_read(&m, &r); /* nothing fed yet */
  assert_true(r.rms_dbfs == AUDIO_SILENCE_DBFS);
  for (size_t i = 0; i < N; i++)
    level_buf[i] = 0.0f;
  level_feed_frames(&m, level_buf, N);
  level_read(&m, &r);
  assert_true(r.rms_dbfs == AUDIO_SILENCE_DBFS);
  assert_true(r.peak_dbfs == AUDIO_SILENCE_DBFS);
  assert_true(r.true_peak_dbfs == AUDIO_SILENCE_DBFS);
  assert_true(level_to_dbfs(1e-9) == AUDIO_SILENCE_DBFS);
  assert_true(isfinite(level_to_dbfs(-1.0)));
}

static void
window_slides(void **state)
{
  LevelMeter m;
  LevelReading r;
  assert_int_equal(level_init(&m, 300), 0);
  level_sine(level_buf, AUDIO_RATE / 10, 1000.0, 0.5, 0.0); /* 100 ms at -6 dBFS peak */
  level_feed_frames(&m, level_buf, AUDIO_RATE / 10);
  level_read(&m, &r);
  assert_true(fabs(r.peak_dbfs - (-6.0206)) < 0.01);
  assert_true(fabs(r.rms_dbfs - (-9.0309)) < 0.01);

  for (size_t i = 0; i < N; i++)
    level_buf[i] = 0.0f;
  /* 100 ms tone in a 300 ms window (100 ms tone + 200 ms silence): 1/3 the energy */
  level_feed_frames(&m, level_buf, AUDIO_RATE / 5);
  level_read(&m, &r);
  assert_true(fabs(r.rms_dbfs - (-9.0309 - 4.7712)) < 0.05);
  assert_true(fabs(r.peak_dbfs - (-6.0206)) < 0.01);
  /* one more 100 ms: the tone has left the window */
  level_feed_frames(&m, level_buf, AUDIO_RATE / 10);
  level_read(&m, &r);
  assert_true(r.rms_dbfs == AUDIO_SILENCE_DBFS);
  assert_true(r.peak_dbfs == AUDIO_SILENCE_DBFS);

  level_sine(level_buf, AUDIO_FRAME, 1000.0, 1.0, 0.0);
  level_process(&m, level_buf, AUDIO_FRAME);
  level_reset(&m);
  level_read(&m, &r);
  assert_true(r.peak_dbfs == AUDIO_SILENCE_DBFS);
}

static void
chunking_does_not_matter(void **state)
{
  LevelMeter a, b;
  LevelReading ra, rb;
  assert_int_equal(level_init(&a, 100), 0);
  assert_int_equal(level_init(&b, 100), 0);
  level_sine(level_buf, N, 3217.0, 0.8, 0.3);
  level_feed_frames(&a, level_buf, N);
  for (size_t off = 0; off < N; off += 7)
    level_process(&b, level_buf + off, N - off < 7 ? N - off : 7);
  level_read(&a, &ra);
  level_read(&b, &rb);
  assert_true(fabs(ra.rms_dbfs - rb.rms_dbfs) < 1e-9);
  assert_true(ra.peak_dbfs == rb.peak_dbfs);
  assert_true(ra.true_peak_dbfs == rb.true_peak_dbfs);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(init_rejects_bad_windows),
      cmocka_unit_test(full_scale_sine),
      cmocka_unit_test(inter_sample_peak),
      cmocka_unit_test(silence_reads_the_floor),
      cmocka_unit_test(window_slides),
      cmocka_unit_test(chunking_does_not_matter),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
