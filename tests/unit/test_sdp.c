/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sdp.h"

/* A Chromium offer for one recvonly audio transceiver (trimmed codecs). */
static const char chrome_offer[] =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:1467250027 1 udp 2122260223 192.0.2.10 46243 typ host generation 0\r\n"
    "a=candidate:3a6c4b2e-aa.local 1 udp 2122260223 x-8f1e.local 50000 typ host\r\n"
    "a=ice-ufrag:Gm4x\r\n"
    "a=ice-pwd:j0zGmMS1oOzRb1bZ8IdPZ8pO\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "ab:cd:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:"
    "67:89\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=recvonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n";

static void
parse_chrome(void **state)
{
  SdpOffer o;
  assert_int_equal(sdp_parse_offer(chrome_offer, strlen(chrome_offer), &o), 0);
  assert_string_equal(o.ice_ufrag, "Gm4x");
  assert_string_equal(o.ice_pwd, "j0zGmMS1oOzRb1bZ8IdPZ8pO");
  assert_string_equal(o.fingerprint_alg, "sha-256");
  assert_string_equal(o.fingerprint, "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:"
                                     "23:45:67:89:AB:CD:EF:01:23:45:67:89");
  assert_int_equal(o.setup, SDP_SETUP_ACTPASS);
  assert_int_equal(o.n_media, 1);
  assert_string_equal(o.media[0].mid, "0");
  assert_int_equal(o.media[0].opus_pt, 111);
  assert_int_equal(o.media[0].audio_level_ext, 1);
  assert_int_equal(o.media[0].direction, SDP_DIR_RECVONLY);
  assert_true(o.media[0].rtcp_mux);
  assert_int_equal(o.n_candidates, 2);
  assert_string_equal(o.candidates[0].address, "192.0.2.10");
  assert_int_equal(o.candidates[0].port, 46243);
  assert_int_equal(o.candidates[0].priority, 2122260223u);
  assert_string_equal(o.candidates[1].address, "x-8f1e.local");
  SdpPlan plan;
  assert_int_equal(sdp_plan(&o, 0, &plan), 0);
  assert_int_equal(plan.floor_index, 0);
  assert_int_equal(plan.channel_index, -1);
  assert_int_equal(plan.mic_index, -1);
}

static void
answer_round_trip(void **state)
{
  SdpOffer o, back;
  SdpPlan plan;
  SdpCandidate cand = {.foundation = "1", .component = 1, .transport = "udp",
                       .priority = 2130706431, .address = "127.0.0.1", .port = 40000,
                       .type = "host"};
  char buf[4096];
  assert_int_equal(sdp_parse_offer(chrome_offer, strlen(chrome_offer), &o), 0);
  assert_int_equal(sdp_plan(&o, SDP_ALLOW_MIC, &plan), 0);
  SdpAnswerParams p = {
    .offer = &o, .plan = &plan, .session_id = 42, .ice_ufrag = "rUfr",
    .ice_pwd = "relaypasswordrelaypassword", .fingerprint = "AA:BB", .setup = SDP_SETUP_PASSIVE,
    .floor_ssrc = 1234, .cname = "rostrum", .n_candidates = 1, .candidates = &cand,
  };
  int n = sdp_print_answer(&p, buf, sizeof buf);
  assert_true(n > 0);
  assert_int_equal((size_t)n, strlen(buf));
  assert_non_null(strstr(buf, "a=ice-lite\r\n"));
  assert_non_null(strstr(buf, "a=group:BUNDLE 0\r\n"));
  assert_non_null(strstr(buf, "m=audio 40000 UDP/TLS/RTP/SAVPF 111\r\n"));
  assert_non_null(strstr(buf, "a=sendonly\r\n"));
  assert_non_null(strstr(buf, "a=setup:passive\r\n"));
  assert_non_null(strstr(buf, "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n"));
  /* the answer itself parses back with what it announced */
  assert_int_equal(sdp_parse_offer(buf, (size_t)n, &back), 0);
  assert_string_equal(back.ice_ufrag, "rUfr");
  assert_int_equal(back.setup, SDP_SETUP_PASSIVE);
  assert_int_equal(back.media[0].opus_pt, 111);
  assert_int_equal(back.media[0].direction, SDP_DIR_SENDONLY);
  /* too small a buffer is an error, not a truncated answer */
  assert_int_equal(sdp_print_answer(&p, buf, 100), -ENOSPC);
}

static void
rejects_other_media(void **state)
{
  static const char offer[] = "v=0\r\n"
                              "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
                              "a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\n"
                              "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\na=rtcp-mux\r\n"
                              "a=rtpmap:96 VP8/90000\r\n"
                              "m=audio 9 UDP/TLS/RTP/SAVPF 109\r\na=mid:a\r\na=rtcp-mux\r\n"
                              "a=rtpmap:109 OPUS/48000\r\n"; /* webrtcbin's form */
  SdpOffer o;
  SdpCandidate cand = {.foundation = "1", .component = 1, .transport = "udp", .priority = 1,
                       .address = "127.0.0.1", .port = 1, .type = "host"};
  char buf[4096];
  assert_int_equal(sdp_parse_offer(offer, strlen(offer), &o), 0);
  assert_int_equal(o.n_media, 2);
  SdpPlan plan;
  assert_int_equal(sdp_plan(&o, 0, &plan), 0);
  assert_int_equal(plan.floor_index, 1);
  assert_int_equal(o.media[1].opus_pt, 109);
  SdpAnswerParams p = {.offer = &o, .plan = &plan, .ice_ufrag = "u", .ice_pwd = "p",
                       .fingerprint = "AA", .setup = SDP_SETUP_PASSIVE, .cname = "c",
                       .n_candidates = 1, .candidates = &cand};
  assert_true(sdp_print_answer(&p, buf, sizeof buf) > 0);
  assert_non_null(strstr(buf, "m=video 0 UDP/TLS/RTP/SAVPF 96\r\n"));
  assert_non_null(strstr(buf, "a=group:BUNDLE a\r\n"));
}

static void
media_level_overrides_session(void **state)
{
  static const char offer[] = "v=0\r\na=ice-ufrag:sess\r\na=ice-pwd:sessionpassword1234567\r\n"
                              "a=fingerprint:sha-256 AA:AA\r\n"
                              "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:media\r\n"
                              "a=setup:active\r\n";
  SdpOffer o;
  assert_int_equal(sdp_parse_offer(offer, strlen(offer), &o), 0);
  assert_string_equal(o.ice_ufrag, "media");
  assert_string_equal(o.ice_pwd, "sessionpassword1234567");
  assert_int_equal(o.setup, SDP_SETUP_ACTIVE);
  /* no rtpmap for opus, no rtcp-mux: nothing the relay can serve */
  SdpPlan plan;
  assert_int_equal(sdp_plan(&o, SDP_ALLOW_MIC | SDP_ALLOW_CHANNEL, &plan), -ENOENT);
}

/* An interpreter's offer: floor and a channel to receive, a microphone to
 * send (with audio levels), and one audio line too many. */
static const char three_tracks[] =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1 2 3\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
    "a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na=recvonly\r\na=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 109\r\na=mid:2\r\na=sendonly\r\na=rtcp-mux\r\n"
    "a=extmap:3 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=rtpmap:109 opus/48000/2\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:3\r\na=recvonly\r\na=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n";

static void
plan_tracks(void **state)
{
  SdpOffer o;
  SdpPlan plan;
  SdpCandidate cand = {.foundation = "u0", .component = 1, .transport = "udp", .priority = 1,
                       .address = "127.0.0.1", .port = 5000, .type = "host"};
  char buf[8192];
  assert_int_equal(sdp_parse_offer(three_tracks, strlen(three_tracks), &o), 0);
  /* a delegate: the floor only */
  assert_int_equal(sdp_plan(&o, 0, &plan), 0);
  assert_int_equal(plan.floor_index, 0);
  assert_int_equal(plan.channel_index, -1);
  assert_int_equal(plan.mic_index, -1);
  assert_int_equal(plan.track[2], SDP_TRACK_REJECTED);
  /* an interpreter: floor, channel, microphone; the fourth line rejected */
  assert_int_equal(sdp_plan(&o, SDP_ALLOW_CHANNEL | SDP_ALLOW_MIC, &plan), 0);
  assert_int_equal(plan.channel_index, 1);
  assert_int_equal(plan.mic_index, 2);
  assert_int_equal(plan.track[3], SDP_TRACK_REJECTED);
  SdpAnswerParams p = {.offer = &o, .plan = &plan, .ice_ufrag = "u", .ice_pwd = "p",
                       .fingerprint = "AA", .setup = SDP_SETUP_PASSIVE, .cname = "c",
                       .floor_ssrc = 11, .channel_ssrc = 22, .n_candidates = 1,
                       .candidates = &cand};
  assert_true(sdp_print_answer(&p, buf, sizeof buf) > 0);
  assert_non_null(strstr(buf, "a=group:BUNDLE 0 1 2\r\n"));
  assert_non_null(strstr(buf, "a=ssrc:11 msid:rostrum floor\r\n"));
  assert_non_null(strstr(buf, "a=ssrc:22 msid:rostrum channel\r\n"));
  assert_non_null(strstr(buf, "a=mid:2\r\na=extmap:3 urn:ietf:params:rtp-hdrext:ssrc-audio-level"
                              "\r\na=recvonly\r\n"));
  assert_non_null(strstr(buf, "a=fmtp:109 minptime=10;useinbandfec=1;usedtx=1;"
                              "maxaveragebitrate=32000\r\n"));
  assert_non_null(strstr(buf, "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:3"));
  /* candidates once, in the first accepted m-line */
  const char *c1 = strstr(buf, "a=candidate:");
  assert_non_null(c1);
  assert_null(strstr(c1 + 1, "a=candidate:"));
  /* and the answer parses back */
  SdpOffer back;
  assert_int_equal(sdp_parse_offer(buf, strlen(buf), &back), 0);
  assert_int_equal(back.n_media, 4);
  assert_int_equal(back.media[2].direction, SDP_DIR_RECVONLY);
  assert_int_equal(back.media[0].direction, SDP_DIR_SENDONLY);
}

static void
malformed(void **state)
{
  static const char *const bad[] = {
    "",
    "hello",
    "v=1\r\n",
    "x\r\nv=0\r\n",
    "v=0\r\nm=audio\r\n",
    "v=0\r\nm=audio 99999 UDP/TLS/RTP/SAVPF 111\r\n",
    "v=0\r\na=candidate:1 1 udp notanumber 1.2.3.4 5 typ host\r\n",
    "v=0\r\na=candidate:1 1 udp 1 1.2.3.4 70000 typ host\r\n",
    "v=0\r\na=setup:sideways\r\n",
    "v=0\r\na=fingerprint:sha-256 ZZ:ZZ\r\n",
    "v=0\r\nA=foo\r\n",
    /* control characters (issue 17: "s=" followed by U+001F) */
    "v=0\r\ns=\x1f\r\n",
    "v=0\r\na=mid:a\x01b\r\n",
    "v=0\r\ns=x\ry\r\n",
  };
  SdpOffer o;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(sdp_parse_offer(bad[i], strlen(bad[i]), &o), -EINVAL);
  /* well formed but not usable for WebRTC */
  static const char no_ice[] = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
  assert_int_equal(sdp_parse_offer(no_ice, strlen(no_ice), &o), -ENOTSUP);
  /* an over-long ufrag is refused, not truncated */
  char longer[600] = "v=0\r\na=ice-ufrag:";
  memset(longer + strlen(longer), 'u', 300);
  assert_int_equal(sdp_parse_offer(longer, strlen(longer), &o), -E2BIG);
  /* embedded NUL */
  static const char nul[] = "v=0\r\na=mid:a\0b\r\n";
  assert_int_equal(sdp_parse_offer(nul, sizeof nul - 1, &o), -EINVAL);
}

static void
too_many_media(void **state)
{
  char text[2048] = "v=0\r\n";
  for (int i = 0; i < SDP_MAX_MEDIA + 1; i++)
    strcat(text, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n");
  SdpOffer o;
  assert_int_equal(sdp_parse_offer(text, strlen(text), &o), -E2BIG);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(parse_chrome),
    cmocka_unit_test(answer_round_trip),
    cmocka_unit_test(rejects_other_media),
    cmocka_unit_test(media_level_overrides_session),
    cmocka_unit_test(plan_tracks),
    cmocka_unit_test(malformed),
    cmocka_unit_test(too_many_media),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
