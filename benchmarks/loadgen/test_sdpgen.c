/* SPDX-License-Identifier: Apache-2.0 */
/* The load generator's SDP: one track exactly as before, two tracks as the
 * relay's sdp_plan() takes them, and the SSRCs read back from an answer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sdp.h"
#include "sdpgen.h"

static const SdpCandidate cand = {
    .foundation = "1",
    .component = 1,
    .transport = "udp",
    .priority = 2130706431,
    .address = "198.18.0.2",
    .port = 40000,
    .type = "host",
};

static LoadgenSdpParams
params(const char *channel_mid)
{
  return (LoadgenSdpParams){
      .session_id = 42,
      .ice_ufrag = "uf",
      .ice_pwd = "pwpwpwpwpwpwpwpwpwpwpwpw",
      .fingerprint = "AB:CD",
      .setup = "actpass",
      .mid = "0",
      .payload_type = 111,
      .channel_mid = channel_mid,
      .n_candidates = 1,
      .candidates = &cand,
  };
}

/* The single-track offer, byte for byte what the load generator sent
 * before it had a channel track. */
static void
test_one_track_unchanged(void **state)
{
  static const char expected[] = "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                                 "a=group:BUNDLE 0\r\n"
                                 "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
                                 "a=ice-ufrag:uf\r\na=ice-pwd:pwpwpwpwpwpwpwpwpwpwpwpw\r\n"
                                 "a=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\n"
                                 "a=mid:0\r\na=recvonly\r\na=rtcp-mux\r\n"
                                 "a=rtpmap:111 opus/48000/2\r\n"
                                 "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
                                 "a=candidate:1 1 udp 2130706431 198.18.0.2 40000 typ host\r\n"
                                 "a=end-of-candidates\r\n";
  char buf[4096];
  LoadgenSdpParams p = params(NULL);
  int n = loadgen_sdp_print(&p, buf, sizeof buf);
  assert_int_equal(n, (int)strlen(expected));
  assert_string_equal(buf, expected);
  assert_int_equal(loadgen_sdp_print(&p, buf, 100), -ENOSPC);
}

static void
test_two_tracks_planned(void **state)
{
  char buf[4096];
  static SdpOffer offer;
  SdpPlan plan;
  LoadgenSdpParams p = params("1");
  int n = loadgen_sdp_print(&p, buf, sizeof buf);
  assert_true(n > 0);
  assert_non_null(strstr(buf, "a=group:BUNDLE 0 1\r\n"));
  assert_int_equal(sdp_parse_offer(buf, (size_t)n, &offer), 0);
  assert_int_equal(offer.n_media, 2);
  assert_int_equal(offer.n_candidates, 1);
  assert_string_equal(offer.media[1].mid, "1");
  assert_int_equal(offer.media[1].direction, SDP_DIR_RECVONLY);
  assert_int_equal(sdp_plan(&offer, SDP_ALLOW_CHANNEL, &plan), 0);
  assert_int_equal(plan.floor_index, 0);
  assert_int_equal(plan.channel_index, 1);
  assert_int_equal(plan.track[1], SDP_TRACK_CHANNEL);
  /* tracks without "channel": the second m-line is rejected */
  assert_int_equal(sdp_plan(&offer, 0, &plan), 0);
  assert_int_equal(plan.channel_index, -1);
  assert_int_equal(plan.track[1], SDP_TRACK_REJECTED);
  /* the two mids must differ */
  p.channel_mid = "0";
  assert_int_equal(loadgen_sdp_print(&p, buf, sizeof buf), -EINVAL);
}

/* The relay's answer names each track's SSRC; the listener tells the
 * tracks apart by it. */
static void
test_answer_ssrcs(void **state)
{
  char offer_text[4096], answer[8192];
  static SdpOffer offer;
  SdpPlan plan;
  uint32_t ssrc = 0;
  LoadgenSdpParams p = params("1");
  int n = loadgen_sdp_print(&p, offer_text, sizeof offer_text);
  assert_true(n > 0);
  assert_int_equal(sdp_parse_offer(offer_text, (size_t)n, &offer), 0);
  assert_int_equal(sdp_plan(&offer, SDP_ALLOW_CHANNEL, &plan), 0);
  SdpAnswerParams a = {
      .offer = &offer,
      .plan = &plan,
      .session_id = 1,
      .ice_ufrag = "ru",
      .ice_pwd = "rprprprprprprprprprprprp",
      .fingerprint = "01:02",
      .setup = SDP_SETUP_PASSIVE,
      .floor_ssrc = 4000000000u,
      .channel_ssrc = 17,
      .cname = "rostrum",
      .n_candidates = 1,
      .candidates = &cand,
  };
  assert_true(sdp_print_answer(&a, answer, sizeof answer) > 0);
  assert_int_equal(loadgen_sdp_track_ssrc(answer, "floor", &ssrc), 0);
  assert_int_equal(ssrc, 4000000000u);
  assert_int_equal(loadgen_sdp_track_ssrc(answer, "channel", &ssrc), 0);
  assert_int_equal(ssrc, 17);
  assert_int_equal(loadgen_sdp_track_ssrc(answer, "chan", &ssrc), -ENOENT);
  assert_int_equal(loadgen_sdp_track_ssrc("a=ssrc:5 msid:rostrum channelx\r\n", "channel", &ssrc),
                   -ENOENT);
  /* an answer without the channel track (tracks without "channel") */
  assert_int_equal(sdp_plan(&offer, 0, &plan), 0);
  assert_true(sdp_print_answer(&a, answer, sizeof answer) > 0);
  assert_int_equal(loadgen_sdp_track_ssrc(answer, "channel", &ssrc), -ENOENT);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_track_unchanged),
      cmocka_unit_test(test_two_tracks_planned),
      cmocka_unit_test(test_answer_ssrcs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
