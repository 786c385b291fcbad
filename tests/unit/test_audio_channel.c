/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of what a language channel carries (relay/audio/channel.c):
 * interpreter, cough silence, level-matched floor ramp, forwarding. */
#include "booth.h"
#include "channel.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define FLOOR_DB (-14.0)

static Booth *
fr_booth(void)
{
  BoothConfig cfg = {.lang = "fr"};
  Booth *b = booth_new(&cfg);
  assert_non_null(b);
  assert_int_equal(booth_add_interpreter(b, "anna"), 0);
  assert_int_equal(booth_add_interpreter(b, "ben"), 1);
  return b;
}

static void
tick(Channel *ch, Booth *b, double channel_db, ChannelOutput *out)
{
  const Booth *set[1] = {b};
  booth_tick(b, 0);
  channel_tick(ch, set, 1, FLOOR_DB, channel_db, out);
}

static void
interpreter_cough_and_pause(void **state)
{
  Booth *b = fr_booth();
  Channel ch;
  ChannelOutput o;
  assert_int_equal(channel_init(&ch, "fr", NULL), 0);

  tick(&ch, b, -120, &o); /* nobody ever on: the floor, forwarded at once */
  assert_int_equal(o.kind, CHANNEL_FLOOR_FORWARD);
  assert_true(o.changed);
  assert_true(o.gain_from == 1.0f && o.gain_to == 1.0f);
  assert_int_equal(o.booth, -1);
  tick(&ch, b, -120, &o);
  assert_false(o.changed);

  booth_mic_on(b, "anna");
  tick(&ch, b, -120, &o); /* at once, no ramp down of the floor */
  assert_int_equal(o.kind, CHANNEL_INTERPRETER);
  assert_true(o.changed);
  assert_string_equal(o.peer, "anna");
  assert_int_equal(o.booth, 0);
  assert_int_equal(o.interpreter, 0);
  /* a pause of the live interpreter is silence from the interpreter, not floor */
  for (int i = 0; i < 100; i++) {
    tick(&ch, b, -120, &o);
    assert_int_equal(o.kind, CHANNEL_INTERPRETER);
    assert_false(o.changed);
  }
  booth_cough(b, "anna", true);
  tick(&ch, b, -20, &o);
  assert_int_equal(o.kind, CHANNEL_SILENCE);
  assert_true(o.changed);
  assert_string_equal(o.peer, "anna");
  booth_cough(b, "anna", false);
  tick(&ch, b, -120, &o);
  assert_int_equal(o.kind, CHANNEL_INTERPRETER);

  /* handover: the partner, from the next frame */
  booth_handover_request(b, "ben", 0);
  booth_handover_accept(b, "anna");
  tick(&ch, b, -20, &o);
  assert_int_equal(o.kind, CHANNEL_INTERPRETER);
  assert_true(o.changed);
  assert_string_equal(o.peer, "ben");
  assert_int_equal(o.interpreter, 1);
  booth_free(b);
}

static void
ramp_is_level_matched_monotone_and_bounded(void **state)
{
  Booth *b = fr_booth();
  Channel ch;
  ChannelOutput o;
  ChannelConfig cfg;
  channel_config_default(&cfg);
  assert_int_equal(channel_init(&ch, "fr", &cfg), 0);
  booth_mic_on(b, "anna");
  tick(&ch, b, -26, &o);

  /* the interpreter at -26 dBFS, the floor at -14: start 12 dB down */
  booth_mic_off(b, "anna");
  float last = 0.0f;
  for (unsigned k = 0; k < cfg.ramp_frames; k++) {
    tick(&ch, b, -26, &o);
    assert_int_equal(o.kind, CHANNEL_FLOOR_RAMP);
    assert_int_equal(o.changed, k == 0);
    if (k == 0) {
      assert_true(fabs(o.gain_from - pow(10.0, -12.0 / 20.0)) < 1e-4);
    } else {
      assert_true(o.gain_from == last); /* continuous from frame to frame */
    }
    assert_true(o.gain_from < o.gain_to);
    assert_true(o.gain_from >= 0.0f && o.gain_to <= 1.0f);
    last = o.gain_to;
  }
  assert_true(last == 1.0f);
  tick(&ch, b, -26, &o);
  assert_int_equal(o.kind, CHANNEL_FLOOR_FORWARD);
  assert_true(o.changed);

  /* a mic coming on mid-ramp is the interpreter at once */
  booth_mic_on(b, "ben");
  tick(&ch, b, -120, &o);
  booth_mic_off(b, "ben");
  tick(&ch, b, -120, &o); /* ben was silent: the ramp starts from 0 */
  assert_int_equal(o.kind, CHANNEL_FLOOR_RAMP);
  assert_true(o.gain_from == 0.0f);
  tick(&ch, b, -120, &o);
  booth_mic_on(b, "ben");
  tick(&ch, b, -120, &o);
  assert_int_equal(o.kind, CHANNEL_INTERPRETER);
  assert_string_equal(o.peer, "ben");

  /* the rule */
  assert_true(channel_ramp_start(&cfg, -120, -14) == 0.0f); /* after a pause or cough */
  assert_true(channel_ramp_start(&cfg, -51, -14) == 0.0f);
  assert_true(channel_ramp_start(&cfg, -10, -14) == cfg.ramp_start_max);  /* never a jump up */
  assert_true(channel_ramp_start(&cfg, -20, -120) == cfg.ramp_start_max); /* floor silent */
  assert_true(fabs(channel_ramp_start(&cfg, -34, -14) - 0.1) < 1e-4);
  assert_true(channel_ramp_start(&cfg, NAN, -14) == 0.0f);
  booth_free(b);
}

static void
no_ramp_configured(void **state)
{
  Booth *b = fr_booth();
  Channel ch;
  ChannelOutput o;
  ChannelConfig cfg;
  channel_config_default(&cfg);
  cfg.ramp_frames = 0;
  assert_int_equal(channel_init(&ch, "fr", &cfg), 0);
  booth_mic_on(b, "anna");
  tick(&ch, b, -20, &o);
  booth_remove_interpreter(b, "anna"); /* the live one disconnects */
  tick(&ch, b, -20, &o);
  assert_int_equal(o.kind, CHANNEL_FLOOR_FORWARD);
  assert_true(o.changed);

  cfg.ramp_start_max = 2.0f;
  assert_int_equal(channel_init(&ch, "fr", &cfg), -EINVAL);
  assert_int_equal(channel_init(&ch, "", NULL), -EINVAL);
  assert_int_equal(channel_init(&ch, "a-very-long-channel-id", NULL), -EINVAL);
  booth_free(b);
}

static void
retour_feeds_another_channel(void **state)
{
  BoothConfig en_cfg = {.lang = "en"};
  BoothConfig ar_cfg = {.lang = "ar", .retour = {"en"}, .n_retour = 1};
  Booth *booths[2] = {booth_new(&en_cfg), booth_new(&ar_cfg)};
  const Booth *const *set = (const Booth *const *)booths;
  Channel en, ar;
  ChannelOutput o;
  channel_init(&en, "en", NULL);
  channel_init(&ar, "ar", NULL);
  booth_add_interpreter(booths[1], "omar");
  assert_int_equal(booth_set_output(booths, 2, 1, "en"), 0);
  booth_mic_on(booths[1], "omar");
  channel_tick(&en, set, 2, FLOOR_DB, -120, &o);
  assert_int_equal(o.kind, CHANNEL_INTERPRETER);
  assert_int_equal(o.booth, 1);
  assert_string_equal(o.peer, "omar");
  channel_tick(&ar, set, 2, FLOOR_DB, -120, &o);
  assert_int_equal(o.kind, CHANNEL_FLOOR_FORWARD);
  booth_free(booths[0]);
  booth_free(booths[1]);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(interpreter_cough_and_pause),
      cmocka_unit_test(ramp_is_level_matched_monotone_and_bounded),
      cmocka_unit_test(no_ramp_configured),
      cmocka_unit_test(retour_feeds_another_channel),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
