/* SPDX-License-Identifier: Apache-2.0 */
/* relay_config.c: the venue keys (floor_source = rtp, recording_dir,
 * venue_out) and their errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "relay_config.h"

/* Loads "[relay]\n@body"; NULL with @err's message in *message. */
static RelayConfig *
load(const char *body, char **message)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  int fd = g_file_open_tmp("rostrum-cfg-XXXXXX.ini", &path, NULL);
  assert_true(fd >= 0);
  close(fd);
  g_autofree char *text = g_strconcat("[relay]\nlanguages = en, fr\n", body, NULL);
  assert_true(g_file_set_contents(path, text, -1, NULL));
  RelayConfig *cfg = relay_config_load(path, &error);
  g_unlink(path);
  if (message)
    *message = error ? g_strdup(error->message) : NULL;
  return cfg;
}

static void
expect_error(const char *body, const char *needle)
{
  g_autofree char *message = NULL;
  RelayConfig *cfg = load(body, &message);
  assert_null(cfg);
  assert_non_null(message);
  if (!strstr(message, needle))
    fail_msg("'%s' does not say '%s'", message, needle);
}

static void
test_rtp_source(void **state)
{
  (void)state;
  g_autoptr(RelayConfig) cfg = load("floor_source = rtp\nvenue_rtp_address = 239.69.1.10\n"
                                    "venue_rtp_format = l16\nvenue_rtp_channels = 1\n"
                                    "venue_rtp_ptime_ms = 4\n",
                                    NULL);
  assert_non_null(cfg);
  assert_int_equal(cfg->floor_source, FLOOR_SOURCE_RTP);
  assert_int_equal(cfg->venue_rtp_format, VENUE_FORMAT_L16);
  assert_int_equal(cfg->venue_rtp_port, 5004);
  assert_int_equal(cfg->venue_rtp_pt, 97);
  assert_int_equal(cfg->venue_rtp_channels, 1);
  assert_int_equal(cfg->venue_rtp_ptime_ms, 4);
  assert_int_equal(cfg->venue_rtp_jitter_ms, 5);
  g_autoptr(RelayConfig) opus = load("floor_source = rtp\nvenue_rtp_address = ::1\n"
                                     "venue_rtp_format = opus\n",
                                     NULL);
  assert_non_null(opus);
  assert_int_equal(opus->venue_rtp_pt, 111);
  assert_int_equal(opus->venue_rtp_ptime_ms, 20);
  expect_error("floor_source = rtp\n", "needs venue_rtp_address");
  expect_error("floor_source = rtp\nvenue_rtp_address = venue.local\n", "an IP address");
  expect_error("venue_rtp_format = L20\n", "L24, L16 or opus");
  expect_error("venue_rtp_channels = 6\n", "venue_rtp_channels must be an integer from 1 to 2");
  expect_error("venue_rtp_pt = 200\n", "venue_rtp_pt");
  expect_error("venue_rtp_pt = 72\n", "RTCP");
  expect_error("venue_rtp_format = opus\nvenue_rtp_ptime_ms = 4\n", "10 or 20 with opus");
  expect_error("venue_rtp_jitter_ms = 0\n", "venue_rtp_jitter_ms");
  expect_error("venue_rtp_interface = nosuch0\n", "no network interface 'nosuch0'");
  expect_error("venue_out_interface = nosuch0\n", "venue_out_interface");
  g_autoptr(RelayConfig) lo = load("venue_rtp_interface = lo\nvenue_out_interface = lo\n", NULL);
  assert_non_null(lo);
}

static void
test_venue_out(void **state)
{
  (void)state;
  g_autoptr(RelayConfig) cfg =
      load("venue_out = floor:239.1.1.1:5004:L24, channel:fr:[ff02::1]:5006:opus, "
           "remote:127.0.0.1:5008:l16\nvenue_out_sdp_dir = var/sdp\nrecording_dir = var/rec\n",
           NULL);
  assert_non_null(cfg);
  assert_int_equal(cfg->n_venue_out, 3);
  assert_string_equal(cfg->venue_out[0].product, "floor");
  assert_string_equal(cfg->venue_out[0].address, "239.1.1.1");
  assert_int_equal(cfg->venue_out[0].port, 5004);
  assert_int_equal(cfg->venue_out[0].format, VENUE_FORMAT_L24);
  assert_string_equal(cfg->venue_out[1].product, "channel:fr");
  assert_string_equal(cfg->venue_out[1].address, "ff02::1");
  assert_int_equal(cfg->venue_out[1].format, VENUE_FORMAT_OPUS);
  assert_string_equal(cfg->venue_out[2].product, "remote");
  assert_int_equal(cfg->venue_out[2].format, VENUE_FORMAT_L16);
  assert_string_equal(cfg->recording_dir, "var/rec");
  const char *bad[] = {
      "venue_out = floor:239.1.1.1:5004\n",     "venue_out = floor:239.1.1.1:0:L24\n",
      "venue_out = floor:host:5004:L24\n",      "venue_out = channel:de:239.1.1.1:5004:L24\n",
      "venue_out = lobby:239.1.1.1:5004:L24\n", "venue_out = floor:[ff02::1:5004:L24\n",
      "venue_out = :239.1.1.1:5004:L24\n",      "venue_out = floor:239.1.1.1:5004:mp3\n",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
    expect_error(bad[i], "PRODUCT:ADDRESS:PORT:FORMAT");
  VenueOutSpec spec;
  assert_int_equal(venue_out_parse("channel:en:10.0.0.1:6000:L16", &spec), 0);
  assert_string_equal(spec.product, "channel:en");
  assert_int_equal(venue_out_parse("floor", &spec), -EINVAL);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rtp_source),
      cmocka_unit_test(test_venue_out),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
