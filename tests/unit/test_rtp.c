/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rtp.h"

static void
plain_packet(void **state)
{
  const uint8_t pkt[] = {0x80, 0xef, 0x01, 0x02, 0, 0, 0x03, 0xc0, 0xca, 0xfe, 0xba, 0xbe,
                         1,    2,    3};
  RtpHeader h;
  assert_int_equal(rtp_parse(pkt, sizeof pkt, &h), 0);
  assert_true(h.marker);
  assert_int_equal(h.payload_type, 111);
  assert_int_equal(h.seq, 0x0102);
  assert_int_equal(h.timestamp, 960);
  assert_int_equal(h.ssrc, 0xcafebabe);
  assert_int_equal(h.header_len, 12);
  assert_int_equal(h.payload_len, 3);
  assert_false(rtp_is_rtcp(pkt, sizeof pkt));
}

static void
csrc_extension_padding(void **state)
{
  /* 1 CSRC, a one-byte-header extension with audio level id 1, 2 bytes padding */
  const uint8_t pkt[] = {0xb1, 111,  0,    1,    0,    0,    0,    0,    0,    0,    0,    1,
                         0,    0,    0,    9,    0xbe, 0xde, 0,    1,    0x10, 0x80 | 42,
                         0,    0,    0xaa, 0xbb, 0,    2};
  RtpHeader h;
  bool voice = false;
  assert_int_equal(rtp_parse(pkt, sizeof pkt, &h), 0);
  assert_int_equal(h.header_len, 24);
  assert_int_equal(h.payload_len, 2);
  assert_int_equal(rtp_audio_level(&h, 1, &voice), 42);
  assert_true(voice);
  assert_int_equal(rtp_audio_level(&h, 2, NULL), -ENOENT);
}

static void
malformed_rtp(void **state)
{
  RtpHeader h;
  const uint8_t v1[12] = {0x40};
  const uint8_t csrc_overrun[12] = {0x8f};
  const uint8_t ext_overrun[16] = {0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0xff, 0xff};
  const uint8_t pad_zero[13] = {0xa0, [12] = 0};
  const uint8_t pad_overrun[13] = {0xa0, [12] = 200};
  assert_int_equal(rtp_parse(v1, 5, &h), -EINVAL);
  assert_int_equal(rtp_parse(v1, sizeof v1, &h), -EINVAL);
  assert_int_equal(rtp_parse(csrc_overrun, sizeof csrc_overrun, &h), -EINVAL);
  assert_int_equal(rtp_parse(ext_overrun, sizeof ext_overrun, &h), -EINVAL);
  assert_int_equal(rtp_parse(pad_zero, sizeof pad_zero, &h), -EINVAL);
  assert_int_equal(rtp_parse(pad_overrun, sizeof pad_overrun, &h), -EINVAL);
}

static void
sr_round_trip(void **state)
{
  uint8_t buf[64];
  RtcpInfo info;
  assert_int_equal(rtcp_build_sr(buf, 10, 1, 2, 3, 4, 5), -ENOSPC);
  int n = rtcp_build_sr(buf, sizeof buf, 0x11223344, 0x0102030405060708ull, 960, 50, 4000);
  assert_int_equal(n, 28);
  assert_true(rtp_is_rtcp(buf, (size_t)n));
  assert_int_equal(rtcp_parse(buf, (size_t)n, &info), 0);
  assert_true(info.has_sr);
  assert_int_equal(info.sender_ssrc, 0x11223344);
  assert_int_equal(info.sr_ntp, 0x0102030405060708ull);
  assert_int_equal(info.sr_rtp_ts, 960);
  assert_int_equal(info.sr_packets, 50);
  assert_int_equal(info.sr_octets, 4000);
  assert_int_equal(info.n_reports, 0);

  /* SR + SDES as the relay sends them: a valid compound packet */
  int m = rtcp_build_sdes_cname(buf + n, sizeof buf - (size_t)n, 0x11223344, "rostrum");
  assert_int_equal(m, 20); /* 8 + 2 + 7 + null item, padded */
  assert_int_equal(rtcp_parse(buf, (size_t)(n + m), &info), 0);
  assert_int_equal(info.n_packets, 2);
  assert_int_equal(rtcp_build_sdes_cname(buf, 8, 1, "x"), -ENOSPC);
}

static void
compound_rr(void **state)
{
  /* RR with one block, then an SDES we skip */
  const uint8_t pkt[] = {
    0x81, 201, 0, 7,    0, 0, 0, 1, /* RR from ssrc 1 */
    0xca, 0xfe, 0xba, 0xbe,         /* about the floor */
    25, 0xff, 0xff, 0xfe,           /* 10 % lost, cumulative -2 */
    0, 1, 0, 10,                    /* highest seq */
    0, 0, 0, 48,                    /* jitter */
    0x00, 0x10, 0x00, 0x00,         /* LSR */
    0x00, 0x00, 0x80, 0x00,         /* DLSR: 0.5 s */
    0x81, 202, 0, 1,    0, 0, 0, 1, /* SDES (empty chunk) */
  };
  RtcpInfo info;
  assert_int_equal(rtcp_parse(pkt, sizeof pkt, &info), 0);
  assert_int_equal(info.n_packets, 2);
  assert_false(info.has_sr);
  assert_int_equal(info.n_reports, 1);
  assert_int_equal(info.reports[0].ssrc, 0xcafebabe);
  assert_int_equal(info.reports[0].fraction_lost, 25);
  assert_int_equal(info.reports[0].cumulative_lost, -2);
  assert_int_equal(info.reports[0].highest_seq, 65546);
  assert_int_equal(info.reports[0].jitter, 48);
  /* arrival 0.75 s after LSR, 0.5 s held by the peer: RTT 0.25 s */
  assert_int_equal(rtcp_rtt(&info.reports[0], 0x00100000 + 0xC000), 0x4000);
  /* a length field that overruns the datagram */
  uint8_t bad[sizeof pkt];
  memcpy(bad, pkt, sizeof pkt);
  bad[3] = 50;
  assert_int_equal(rtcp_parse(bad, sizeof bad, &info), -EINVAL);
  /* truncated inside the report block */
  bad[3] = 7;
  assert_int_equal(rtcp_parse(bad, 20, &info), -EINVAL);
}

static void
ntp_time(void **state)
{
  /* 1970-01-01 is 2208988800 s after 1900; half a second is 2^31 */
  assert_int_equal(rtp_ntp_time(0), (uint64_t)2208988800u << 32);
  assert_int_equal(rtp_ntp_time(1500000), ((uint64_t)2208988801u << 32) | 0x80000000u);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(plain_packet),   cmocka_unit_test(csrc_extension_padding),
    cmocka_unit_test(malformed_rtp),  cmocka_unit_test(sr_round_trip),
    cmocka_unit_test(compound_rr),
    cmocka_unit_test(ntp_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
