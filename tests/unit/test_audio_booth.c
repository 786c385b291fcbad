/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the booth state machine (relay/audio/booth.c): handover,
 * cough, disconnect, relay loops, and a property test of "never both live"
 * over random operations. */
#include "booth.h"
#include "channel.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static Booth *
new_booth(const char *lang)
{
  BoothConfig cfg = {.lang = lang, .handover_timeout_ms = 5000};
  Booth *b = booth_new(&cfg);
  assert_non_null(b);
  return b;
}

/* fr booth with anna and ben, anna live */
static Booth *
fr_booth(void)
{
  Booth *b = new_booth("fr");
  assert_int_equal(booth_add_interpreter(b, "anna"), 0);
  assert_int_equal(booth_add_interpreter(b, "ben"), 1);
  assert_int_equal(booth_mic_on(b, "anna"), 0);
  booth_tick(b, 0);
  return b;
}

static void
roster_and_mic(void **state)
{
  char long_id[AUDIO_PEER_ID_MAX + 2];
  memset(long_id, 'x', sizeof long_id - 1);
  long_id[sizeof long_id - 1] = '\0';
  Booth *b = new_booth("fr");
  assert_int_equal(booth_add_interpreter(b, ""), -EINVAL);
  assert_int_equal(booth_add_interpreter(b, long_id), -EINVAL);
  long_id[AUDIO_PEER_ID_MAX] = '\0'; /* exactly 64 is fine */
  assert_int_equal(booth_add_interpreter(b, long_id), 0);
  assert_int_equal(booth_add_interpreter(b, long_id), -EEXIST);
  assert_int_equal(booth_add_interpreter(b, "ben"), 1);
  assert_int_equal(booth_add_interpreter(b, "carl"), -ENOSPC);
  assert_int_equal(booth_tick(b, 0), BOOTH_EV_ROSTER);
  assert_null(booth_live_peer(b));

  assert_int_equal(booth_mic_on(b, "carl"), -ENOENT);
  assert_int_equal(booth_mic_on(b, "ben"), 0);
  assert_int_equal(booth_mic_on(b, "ben"), 0);        /* idempotent */
  assert_int_equal(booth_mic_on(b, long_id), -EBUSY); /* the partner is live */
  assert_string_equal(booth_live_peer(b), "ben");
  assert_int_equal(booth_live_slot(b), 1);
  assert_true(booth_mic_is_on(b, "ben"));
  assert_false(booth_mic_is_on(b, long_id));
  assert_int_equal(booth_tick(b, 20), BOOTH_EV_LIVE);
  assert_int_equal(booth_tick(b, 40), 0);
  assert_int_equal(booth_mic_off(b, long_id), -EPERM);
  assert_int_equal(booth_mic_off(b, "ben"), 0);
  assert_null(booth_live_peer(b));
  assert_int_equal(booth_tick(b, 60), BOOTH_EV_LIVE);

  /* booth.live from the control link switches in one step */
  assert_int_equal(booth_switch_live(b, "ben"), 0);
  assert_int_equal(booth_switch_live(b, long_id), 0);
  assert_true(booth_mic_is_on(b, long_id));
  assert_false(booth_mic_is_on(b, "ben"));
  assert_int_equal(booth_switch_live(b, "nobody"), -ENOENT);
  assert_int_equal(booth_switch_live(b, NULL), 0);
  assert_int_equal(booth_live_slot(b), -1);
  booth_free(b);

  BoothConfig bad = {.lang = "FR!"};
  assert_null(booth_new(&bad));
  bad.lang = "floor";
  assert_null(booth_new(&bad));
  assert_null(booth_new(NULL));
}

static void
handover_request_accept(void **state)
{
  Booth *b = fr_booth();
  /* the partner asks, the live one accepts */
  assert_int_equal(booth_handover_request(b, "ben", 1000), 0);
  assert_string_equal(booth_handover_from(b), "ben");
  assert_int_equal(booth_handover_request(b, "anna", 1000), -EBUSY);
  assert_int_equal(booth_handover_accept(b, "ben"), -EINVAL); /* not one's own */
  assert_int_equal(booth_tick(b, 1020), BOOTH_EV_HANDOVER_REQUEST);
  assert_string_equal(booth_live_peer(b), "anna"); /* until accepted */
  assert_int_equal(booth_handover_accept(b, "anna"), 0);
  assert_string_equal(booth_live_peer(b), "ben");
  assert_null(booth_handover_from(b));
  assert_int_equal(booth_tick(b, 1040), BOOTH_EV_LIVE | BOOTH_EV_HANDOVER_ACCEPTED);

  /* the live one offers, the partner accepts */
  assert_int_equal(booth_handover_request(b, "ben", 2000), 0);
  assert_int_equal(booth_handover_accept(b, "anna"), 0);
  assert_string_equal(booth_live_peer(b), "anna");
  assert_int_equal(booth_handover_accept(b, "ben"), -EINVAL); /* nothing pending */
  booth_free(b);
}

static void
handover_decline_cancel_timeout(void **state)
{
  Booth *b = fr_booth();
  assert_int_equal(booth_handover_request(b, "ben", 0), 0);
  assert_int_equal(booth_handover_decline(b, "ben"), -EINVAL);
  assert_int_equal(booth_handover_decline(b, "anna"), 0);
  assert_string_equal(booth_live_peer(b), "anna");
  assert_int_equal(booth_tick(b, 20), BOOTH_EV_HANDOVER_REQUEST | BOOTH_EV_HANDOVER_DECLINED);

  assert_int_equal(booth_handover_request(b, "anna", 100), 0);
  assert_int_equal(booth_handover_cancel(b, "ben"), -EINVAL);
  assert_int_equal(booth_handover_cancel(b, "anna"), 0);
  assert_int_equal(booth_tick(b, 120), BOOTH_EV_HANDOVER_REQUEST | BOOTH_EV_HANDOVER_CANCELLED);

  assert_int_equal(booth_handover_request(b, "ben", 1000), 0);
  booth_tick(b, 1020);
  assert_int_equal(booth_tick(b, 5999), 0); /* 5 s timeout, not yet */
  assert_int_equal(booth_tick(b, 6000), BOOTH_EV_HANDOVER_TIMEOUT);
  assert_null(booth_handover_from(b));
  assert_int_equal(booth_handover_accept(b, "anna"), -EINVAL); /* too late */
  assert_string_equal(booth_live_peer(b), "anna");

  /* a request is moot once the live mic changes by other means */
  assert_int_equal(booth_handover_request(b, "ben", 7000), 0);
  assert_int_equal(booth_mic_off(b, "anna"), 0);
  assert_null(booth_handover_from(b));
  assert_true(booth_tick(b, 7020) & BOOTH_EV_HANDOVER_CANCELLED);
  /* no live mic: nothing to hand over, the partner just turns on */
  assert_int_equal(booth_handover_request(b, "ben", 8000), -EINVAL);
  assert_int_equal(booth_mic_on(b, "ben"), 0);
  assert_int_equal(booth_remove_interpreter(b, "anna"), 0);
  assert_int_equal(booth_handover_request(b, "ben", 9000), -ENOTCONN);
  assert_int_equal(booth_handover_request(b, "anna", 9000), -ENOENT);
  booth_free(b);
}

static void
cough_mutes_without_handover(void **state)
{
  Booth *b = fr_booth();
  assert_int_equal(booth_cough(b, "ben", true), -EPERM);
  assert_int_equal(booth_cough(b, "anna", true), 0);
  assert_true(booth_coughing(b));
  assert_string_equal(booth_live_peer(b), "anna"); /* still live */
  assert_int_equal(booth_tick(b, 20), BOOTH_EV_COUGH);
  assert_int_equal(booth_cough(b, "anna", true), 0);
  assert_int_equal(booth_tick(b, 40), 0);
  assert_int_equal(booth_cough(b, "anna", false), 0);
  assert_false(booth_coughing(b));
  assert_int_equal(booth_tick(b, 60), BOOTH_EV_COUGH);
  /* a handover releases the former live one's cough */
  booth_cough(b, "anna", true);
  booth_handover_request(b, "anna", 80);
  booth_handover_accept(b, "ben");
  assert_false(booth_coughing(b));
  booth_free(b);
}

static void
live_one_disconnects(void **state)
{
  Booth *b = fr_booth();
  booth_cough(b, "anna", true);
  booth_handover_request(b, "ben", 0);
  booth_tick(b, 0);
  assert_int_equal(booth_remove_interpreter(b, "anna"), 0);
  assert_int_equal(booth_remove_interpreter(b, "anna"), -ENOENT);
  assert_null(booth_live_peer(b));
  assert_false(booth_coughing(b));
  assert_null(booth_handover_from(b));
  assert_int_equal(booth_tick(b, 20),
                   BOOTH_EV_LIVE | BOOTH_EV_COUGH | BOOTH_EV_HANDOVER_CANCELLED | BOOTH_EV_ROSTER);
  /* the seat is free again; ben keeps slot 1 */
  assert_int_equal(booth_add_interpreter(b, "anna2"), 0);
  assert_int_equal(booth_slot_of(b, "ben"), 1);
  assert_string_equal(booth_peer(b, 0), "anna2");
  assert_null(booth_peer(b, 2));
  booth_free(b);
}

static void
relay_loops_are_refused(void **state)
{
  BoothConfig ar_cfg = {.lang = "ar", .retour = {"en", "fr"}, .n_retour = 2};
  Booth *booths[4] = {new_booth("fr"), new_booth("es"), new_booth("en"), booth_new(&ar_cfg)};
  enum { FR, ES, EN, AR };

  assert_int_equal(booth_input_would_loop((const Booth *const *)booths, 4, FR, "fr"), 1);
  assert_int_equal(booth_set_input(booths, 4, FR, "fr"), -ELOOP); /* hearing itself */
  assert_int_equal(booth_set_input(booths, 4, ES, "fr"), 0);      /* es <- fr */
  assert_int_equal(booth_set_input(booths, 4, FR, "es"), -ELOOP); /* fr <- es <- fr */
  assert_int_equal(booth_set_input(booths, 4, EN, "es"), 0);      /* en <- es <- fr */
  assert_int_equal(booth_set_input(booths, 4, FR, "en"), -ELOOP); /* fr <- en <- es <- fr */
  assert_int_equal(booth_set_input(booths, 4, FR, "de"), 0);      /* nobody makes de */
  assert_int_equal(booth_set_input(booths, 4, FR, BOOTH_INPUT_FLOOR), 0);
  assert_string_equal(booth_input(booths[ES]), "fr");
  assert_int_equal(booth_tick(booths[ES], 0), BOOTH_EV_INPUT);
  assert_int_equal(booth_set_input(booths, 4, FR, "Bad id"), -EINVAL);
  assert_int_equal(booth_set_input(booths, 4, 9, "fr"), -EINVAL);

  /* retour: ar may work into en or fr, not es */
  assert_int_equal(booth_set_output(booths, 4, AR, "es"), -EPERM);
  assert_int_equal(booth_set_input(booths, 4, AR, "en"), 0); /* ar <- en <- es <- fr */
  /* ar into fr would make fr's channel depend on ar: ar <- en <- es <- fr(ar) */
  assert_int_equal(booth_output_would_loop((const Booth *const *)booths, 4, AR, "fr"), 1);
  assert_int_equal(booth_set_output(booths, 4, AR, "fr"), -ELOOP);
  assert_int_equal(booth_set_input(booths, 4, AR, BOOTH_INPUT_FLOOR), 0);
  assert_int_equal(booth_set_output(booths, 4, AR, "fr"), 0);
  assert_string_equal(booth_output(booths[AR]), "fr");
  assert_int_equal(booth_tick(booths[AR], 0), BOOTH_EV_INPUT | BOOTH_EV_OUTPUT);
  /* now fr's channel comes from ar too: es <- fr is fine, ar <- es is a loop */
  assert_int_equal(booth_set_input(booths, 4, AR, "es"), -ELOOP);

  /* interlock: a live booth cannot switch into a channel another live booth feeds */
  booth_add_interpreter(booths[EN], "eve");
  booth_mic_on(booths[EN], "eve");
  booth_add_interpreter(booths[AR], "omar");
  booth_mic_on(booths[AR], "omar");
  assert_int_equal(booth_set_output(booths, 4, AR, "en"), -EBUSY);
  booth_mic_off(booths[EN], "eve");
  assert_int_equal(booth_set_output(booths, 4, AR, "en"), 0);
  assert_int_equal(channel_producer((const Booth *const *)booths, 4, "en"), AR);
  assert_int_equal(channel_producer((const Booth *const *)booths, 4, "ar"), -ENOENT);
  for (int i = 0; i < 4; i++)
    booth_free(booths[i]);
}

static uint32_t
rng_next(uint32_t *x)
{
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

static void
never_both_live_property(void **state)
{
  /* 20 000 random operations, a fixed seed. After each: at most one mic on,
   * the live one is seated, cough only with a live mic, a request only
   * with both seated and a live mic; the channel carries the live
   * interpreter exactly when there is one, silence exactly on cough, and
   * floor ramps that never go down nor leave [0, 1]. */
  static const char *const ids[3] = {"p0", "p1", "p2"};
  Booth *b = new_booth("fr");
  const Booth *set[1] = {b};
  Channel ch;
  ChannelOutput out, prev = {0};
  uint32_t rng = 0xdecafbad;
  uint64_t now = 0;
  unsigned switches = 0, ramps = 0, accepted = 0;

  assert_int_equal(channel_init(&ch, "fr", NULL), 0);
  for (int step = 0; step < 20000; step++) {
    const char *p = ids[rng_next(&rng) % 3];
    const char *live_before = booth_live_peer(b);
    char live_copy[AUDIO_PEER_ID_MAX + 1] = "";
    if (live_before)
      strcpy(live_copy, live_before);
    int r = 0;
    unsigned op = rng_next(&rng) % 12;
    switch (op) {
    case 0:
      r = booth_add_interpreter(b, p);
      break;
    case 1:
      r = rng_next(&rng) % 4 == 0 ? booth_remove_interpreter(b, p) : 0;
      break;
    case 2:
      r = booth_mic_on(b, p);
      break;
    case 3:
      r = booth_mic_off(b, p);
      break;
    case 4:
      r = booth_handover_request(b, p, now);
      break;
    case 5:
      r = booth_handover_accept(b, p);
      accepted += r == 0;
      if (r == 0) /* the live mic went to the partner, never to nobody */
        assert_true(booth_live_peer(b) && strcmp(booth_live_peer(b), live_copy) != 0);
      break;
    case 6:
      r = booth_handover_decline(b, p);
      break;
    case 7:
      r = booth_handover_cancel(b, p);
      break;
    case 8:
      r = booth_cough(b, p, rng_next(&rng) % 2);
      break;
    case 9:
      r = booth_switch_live(b, rng_next(&rng) % 4 ? p : NULL);
      break;
    default: {
      /* a tick; the channel sees a level that depends on the state */
      unsigned ev = booth_tick(b, now += 20);
      double level = booth_live_peer(b) && !booth_coughing(b) ? -20.0 : -120.0;
      channel_tick(&ch, set, 1, -14.0, level, &out);
      switches += (ev & BOOTH_EV_LIVE) != 0;
      bool live = booth_live_peer(b) != NULL;
      if (live) {
        assert_int_equal(out.kind, booth_coughing(b) ? CHANNEL_SILENCE : CHANNEL_INTERPRETER);
        assert_string_equal(out.peer, booth_live_peer(b));
        assert_int_equal(out.interpreter, booth_live_slot(b));
      } else {
        assert_true(out.kind == CHANNEL_FLOOR_RAMP || out.kind == CHANNEL_FLOOR_FORWARD);
        assert_null(out.peer);
        assert_true(out.gain_from >= 0.0f && out.gain_to <= 1.0f);
        assert_true(out.gain_from <= out.gain_to);
        if (out.kind == CHANNEL_FLOOR_RAMP && prev.kind == CHANNEL_FLOOR_RAMP && !out.changed)
          assert_true(out.gain_from == prev.gain_to);
        ramps += out.kind == CHANNEL_FLOOR_RAMP && out.changed;
      }
      prev = out;
      break;
    }
    }
    (void)r;
    int on = 0;
    for (int i = 0; i < 3; i++)
      on += booth_mic_is_on(b, ids[i]);
    assert_true(on <= 1);
    const char *live = booth_live_peer(b);
    if (live)
      assert_true(booth_slot_of(b, live) >= 0);
    if (booth_coughing(b))
      assert_non_null(live);
    if (booth_handover_from(b)) {
      assert_non_null(live);
      assert_non_null(booth_peer(b, 0));
      assert_non_null(booth_peer(b, 1));
    }
    /* only remove, mic on/off, accept and switch move the live mic */
    bool moved = strcmp(live_copy, live ? live : "") != 0;
    if (moved)
      assert_true(op == 1 || op == 2 || op == 3 || op == 5 || op == 9);
    if (r != 0)
      assert_false(moved); /* a refused operation changes nothing */
  }
  print_message("20000 steps: %u live changes, %u handovers accepted, %u floor ramps\n", switches,
                accepted, ramps);
  assert_true(switches > 100 && accepted > 20 && ramps > 50);
  booth_free(b);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(roster_and_mic),
      cmocka_unit_test(handover_request_accept),
      cmocka_unit_test(handover_decline_cancel_timeout),
      cmocka_unit_test(cough_mutes_without_handover),
      cmocka_unit_test(live_one_disconnects),
      cmocka_unit_test(relay_loops_are_refused),
      cmocka_unit_test(never_both_live_property),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
