/* SPDX-License-Identifier: Apache-2.0 */
/* venue_rtp.c: what the venue's RTP port lets through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "venue_rtp.h"

static size_t
packet(uint8_t *buf, uint8_t pt, size_t payload_len)
{
  memset(buf, 0, 12 + payload_len);
  buf[0] = 0x80;
  buf[1] = pt;
  buf[3] = 1;
  return 12 + payload_len;
}

static void
test_l24(void **state)
{
  (void)state;
  uint8_t buf[2048];
  VenueRtpFormat f = {VENUE_RTP_L24, 2, 97, 1};
  assert_int_equal(venue_rtp_check(&f, buf, packet(buf, 97, 288)), VENUE_RTP_OK);
  /* L16 stereo 1 ms (192 bytes) is a whole number of L24 stereo frames,
   * but not 1 ms of them */
  assert_int_equal(venue_rtp_check(&f, buf, packet(buf, 97, 192)), VENUE_RTP_BAD_FORMAT);
  assert_int_equal(venue_rtp_check(&f, buf, packet(buf, 97, 287)), VENUE_RTP_BAD_FORMAT);
  assert_int_equal(venue_rtp_check(&f, buf, packet(buf, 96, 288)), VENUE_RTP_BAD_PT);
  f.ptime_ms = 4;
  f.channels = 1;
  assert_int_equal(venue_rtp_check(&f, buf, packet(buf, 97, 576)), VENUE_RTP_OK);
}

static void
test_l16(void **state)
{
  (void)state;
  uint8_t buf[2048];
  VenueRtpFormat f = {VENUE_RTP_L16, 1, 98, 4};
  assert_int_equal(venue_rtp_check(&f, buf, packet(buf, 98, 384)), VENUE_RTP_OK);
  assert_int_equal(venue_rtp_check(&f, buf, packet(buf, 98, 576)), VENUE_RTP_BAD_FORMAT);
}

static void
test_opus(void **state)
{
  (void)state;
  uint8_t buf[2048];
  VenueRtpFormat f = {VENUE_RTP_OPUS, 2, 111, 20};
  size_t n = packet(buf, 111, 40);
  buf[12] = 0xfc; /* CELT FB 20 ms, one frame */
  assert_int_equal(venue_rtp_check(&f, buf, n), VENUE_RTP_OK);
  buf[12] = 0xf4; /* 10 ms */
  assert_int_equal(venue_rtp_check(&f, buf, n), VENUE_RTP_BAD_FORMAT);
  buf[12] = 0xf1; /* two 10 ms frames */
  assert_int_equal(venue_rtp_check(&f, buf, n), VENUE_RTP_OK);
  buf[12] = 0xfb; /* code 3: count in the next byte */
  buf[13] = 0;
  assert_int_equal(venue_rtp_check(&f, buf, n), VENUE_RTP_BAD_FORMAT);
  assert_int_equal(venue_rtp_check(&f, buf, packet(buf, 111, 0)), VENUE_RTP_BAD_FORMAT);
  assert_int_equal(venue_rtp_opus_samples((const uint8_t *)"\x08", 1), 960); /* SILK 20 ms */
}

static void
test_not_rtp(void **state)
{
  (void)state;
  uint8_t buf[64] = {0};
  VenueRtpFormat f = {VENUE_RTP_L24, 2, 97, 1};
  assert_int_equal(venue_rtp_check(&f, buf, 5), VENUE_RTP_NOT_RTP);
  assert_int_equal(venue_rtp_check(&f, buf, 40), VENUE_RTP_NOT_RTP); /* version 0 */
  packet(buf, 200, 20);                                              /* RTCP SR */
  buf[1] = 200;
  assert_int_equal(venue_rtp_check(&f, buf, 32), VENUE_RTP_BAD_PT);
  assert_string_equal(venue_rtp_verdict_name(VENUE_RTP_BAD_FORMAT), "format");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_l24),
      cmocka_unit_test(test_l16),
      cmocka_unit_test(test_opus),
      cmocka_unit_test(test_not_rtp),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
