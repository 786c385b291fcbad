/* SPDX-License-Identifier: Apache-2.0 */
/* The relay's own SRTP/SRTCP, checked against libsrtp as the reference:
 * what secure_rtp protects, libsrtp must unprotect to the original, and
 * what libsrtp protects as SRTCP, secure_rtp must unprotect; for both
 * profiles, odd headers and across the RTP rollover. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <srtp2/srtp.h>

#include "secure_rtp.h"
#include "srtp_link.h"

static const uint8_t master_key[16] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
                                       0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39};
static const uint8_t master_salt[14] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
                                        0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};

static srtp_t
reference(SecureRtpProfile profile, srtp_ssrc_type_t direction)
{
  srtp_policy_t policy;
  uint8_t key[30] = {0};
  srtp_t ctx = NULL;
  size_t salt_len = profile == SECURE_RTP_AEAD_AES_128_GCM ? 12 : 14;
  memset(&policy, 0, sizeof policy);
  if (profile == SECURE_RTP_AEAD_AES_128_GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  }
  memcpy(key, master_key, 16);
  memcpy(key + 16, master_salt, salt_len);
  policy.key = key;
  policy.ssrc.type = direction;
  policy.window_size = 1024;
  assert_int_equal(srtp_create(&ctx, &policy), srtp_err_status_ok);
  return ctx;
}

static srtp_t
reference_receiver(SecureRtpProfile profile)
{
  return reference(profile, ssrc_any_inbound);
}

static SecureRtp *
crypto(SecureRtpProfile profile, bool rtcp)
{
  SecureRtp *c = secure_rtp_new(profile, rtcp, master_key, 16, master_salt,
                                  profile == SECURE_RTP_AEAD_AES_128_GCM ? 12 : 14);
  assert_non_null(c);
  return c;
}

/* A link keyed like the reference: our keys = the test's master key. */
static SrtpLink *
link_for(SecureRtpProfile profile)
{
  DtlsSrtpKeys k;
  memset(&k, 0, sizeof k);
  k.profile = profile == SECURE_RTP_AEAD_AES_128_GCM ? "SRTP_AEAD_AES_128_GCM"
                                                      : "SRTP_AES128_CM_SHA1_80";
  k.key_len = 16;
  k.salt_len = profile == SECURE_RTP_AEAD_AES_128_GCM ? 12 : 14;
  memcpy(k.local_key, master_key, 16);
  memcpy(k.remote_key, master_key, 16);
  memcpy(k.local_salt, master_salt, k.salt_len);
  memcpy(k.remote_salt, master_salt, k.salt_len);
  SrtpLink *l = srtp_link_new(&k);
  assert_non_null(l);
  return l;
}

/* RTP with @csrc CSRCs and an optional one-byte-header extension. */
static size_t
make_packet(uint8_t *buf, uint16_t seq, int csrc, int ext, size_t payload)
{
  size_t n = 0;
  buf[n++] = (uint8_t)(0x80 | (ext ? 0x10 : 0) | csrc);
  buf[n++] = 111;
  buf[n++] = (uint8_t)(seq >> 8);
  buf[n++] = (uint8_t)seq;
  uint32_t ts = (uint32_t)seq * 960u;
  for (int i = 3; i >= 0; i--)
    buf[n++] = (uint8_t)(ts >> (8 * i));
  const uint8_t ssrc[4] = {0xde, 0xad, 0xbe, 0xef};
  memcpy(buf + n, ssrc, 4);
  n += 4;
  for (int i = 0; i < csrc * 4; i++)
    buf[n++] = (uint8_t)i;
  if (ext) {
    const uint8_t e[8] = {0xbe, 0xde, 0, 1, 0x10, 0x85, 0, 0};
    memcpy(buf + n, e, sizeof e);
    n += sizeof e;
  }
  for (size_t i = 0; i < payload; i++)
    buf[n++] = (uint8_t)(seq + i * 7);
  return n;
}

static void
round_trip(SecureRtpProfile profile, int csrc, int ext)
{
  SrtpLink *s = link_for(profile);
  srtp_t rx = reference_receiver(profile);
  uint8_t pkt[512], clear[512];
  for (uint16_t seq = 100; seq < 140; seq++) {
    size_t len = make_packet(pkt, seq, csrc, ext, 20 + seq % 60);
    memcpy(clear, pkt, len);
    int n = srtp_link_protect(s, pkt, len, sizeof pkt);
    assert_true(n > (int)len);
    int m = n;
    assert_int_equal(srtp_unprotect(rx, pkt, &m), srtp_err_status_ok);
    assert_int_equal(m, (int)len);
    assert_memory_equal(pkt, clear, len);
  }
  srtp_dealloc(rx);
  srtp_link_free(s);
}

static void
gcm_matches_libsrtp(void **state)
{
  round_trip(SECURE_RTP_AEAD_AES_128_GCM, 0, 0);
  round_trip(SECURE_RTP_AEAD_AES_128_GCM, 2, 1);
}

static void
aes_cm_matches_libsrtp(void **state)
{
  round_trip(SECURE_RTP_AES_CM_SHA1_80, 0, 0);
  round_trip(SECURE_RTP_AES_CM_SHA1_80, 3, 1);
}

/* 70 000 packets from seq 65000: the ROC must advance at the wrap, or
 * libsrtp's authentication fails from there on. */
static void
rollover(SecureRtpProfile profile)
{
  SrtpLink *s = link_for(profile);
  srtp_t rx = reference_receiver(profile);
  uint8_t pkt[256];
  for (uint32_t i = 0; i < 70000; i++) {
    uint16_t seq = (uint16_t)(65000 + i);
    size_t len = make_packet(pkt, seq, 0, 0, 40);
    int n = srtp_link_protect(s, pkt, len, sizeof pkt);
    assert_true(n > 0);
    if (i % 50 == 0 || seq > 65530 || seq < 8) {
      int m = n;
      assert_int_equal(srtp_unprotect(rx, pkt, &m), srtp_err_status_ok);
    }
  }
  srtp_dealloc(rx);
  srtp_link_free(s);
}

static void
rollover_both(void **state)
{
  rollover(SECURE_RTP_AEAD_AES_128_GCM);
  rollover(SECURE_RTP_AES_CM_SHA1_80);
}

/* Two tracks of one peer (floor and channel: two SSRCs) whose sequence
 * numbers are half the space apart and wrap at different times: each
 * needs its own rollover counter (RFC 3711 3.3.1), as libsrtp keeps one
 * per SSRC. With one shared counter the jumps between the streams read as
 * wraps and every packet after failed authentication (issue 18: an
 * interpreter's floor track fails srtpdec). */
static void
two_streams(SecureRtpProfile profile)
{
  SrtpLink *s = link_for(profile);
  srtp_t rx = reference_receiver(profile);
  uint8_t pkt[256];
  for (uint32_t i = 0; i < 70000; i++) {
    for (int k = 0; k < 2; k++) {
      uint16_t seq = (uint16_t)((k ? 30000u : 64000u) + i);
      size_t len = make_packet(pkt, seq, 0, 0, 40);
      pkt[11] = (uint8_t)(0xef + k); /* the second stream's SSRC */
      int n = srtp_link_protect(s, pkt, len, sizeof pkt);
      assert_true(n > 0);
      if (i % 97 == 0 || (seq > 65530 || seq < 8)) {
        int m = n;
        assert_int_equal(srtp_unprotect(rx, pkt, &m), srtp_err_status_ok);
      }
    }
  }
  /* a third stream has no place: refused, not mixed into another's counter */
  size_t len = make_packet(pkt, 5, 0, 0, 40);
  pkt[11] = 0x01;
  assert_int_equal(srtp_link_protect(s, pkt, len, sizeof pkt), -ENOSPC);
  srtp_dealloc(rx);
  srtp_link_free(s);
}

static void
two_streams_both(void **state)
{
  two_streams(SECURE_RTP_AEAD_AES_128_GCM);
  two_streams(SECURE_RTP_AES_CM_SHA1_80);
}

/* An RR + SDES as browsers send them. */
static size_t
make_rtcp(uint8_t *buf, uint32_t seed)
{
  const uint8_t rr[] = {0x81, 201, 0, 7, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0,
                        0, 0, 0, 9, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0,
                        0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, 'x', 'y'};
  memcpy(buf, rr, sizeof rr);
  buf[19] = (uint8_t)seed;
  return sizeof rr;
}

static void
rtcp_both_ways(SecureRtpProfile profile)
{
  SrtpLink *ours = link_for(profile);
  srtp_t ref_in = reference(profile, ssrc_any_inbound);
  srtp_t ref_out = reference(profile, ssrc_any_outbound);
  uint8_t pkt[256], clear[256], copy[256];
  for (uint32_t i = 0; i < 20; i++) {
    /* ours -> libsrtp */
    size_t len = make_rtcp(pkt, i);
    memcpy(clear, pkt, len);
    int n = srtp_link_protect_rtcp(ours, pkt, len, sizeof pkt);
    assert_true(n > (int)len);
    int m = n;
    assert_int_equal(srtp_unprotect_rtcp(ref_in, pkt, &m), srtp_err_status_ok);
    assert_int_equal(m, (int)len);
    assert_memory_equal(pkt, clear, len);
    /* libsrtp -> ours */
    len = make_rtcp(pkt, i + 100);
    memcpy(clear, pkt, len);
    m = (int)len;
    assert_int_equal(srtp_protect_rtcp(ref_out, pkt, &m), srtp_err_status_ok);
    memcpy(copy, pkt, (size_t)m);
    assert_int_equal(srtp_link_unprotect_rtcp(ours, pkt, (size_t)m), (int)len);
    assert_memory_equal(pkt, clear, len);
    /* the same packet again is a replay */
    assert_int_equal(srtp_link_unprotect_rtcp(ours, copy, (size_t)m), -EALREADY);
    /* one flipped bit anywhere authenticated is refused */
    memcpy(pkt, copy, (size_t)m);
    pkt[(i * 7) % (size_t)m] ^= 0x10;
    assert_true(srtp_link_unprotect_rtcp(ours, pkt, (size_t)m) < 0);
  }
  srtp_dealloc(ref_in);
  srtp_dealloc(ref_out);
  srtp_link_free(ours);
}

/* A microphone: libsrtp protects, the relay unprotects; across the
 * rollover, with extensions; replays and flipped bits are refused. */
static void
rtp_in(SecureRtpProfile profile)
{
  SrtpLink *ours = link_for(profile);
  srtp_t ref_out = reference(profile, ssrc_any_outbound);
  uint8_t pkt[256], clear[256], copy[256];
  for (uint32_t i = 0; i < 1200; i++) {
    uint16_t seq = (uint16_t)(65000 + i);
    size_t len = make_packet(pkt, seq, i % 3, i % 2, 30 + i % 50);
    memcpy(clear, pkt, len);
    int m = (int)len;
    assert_int_equal(srtp_protect(ref_out, pkt, &m), srtp_err_status_ok);
    memcpy(copy, pkt, (size_t)m);
    /* a few packets arrive late (reordered by the network): still accepted */
    assert_int_equal(srtp_link_unprotect(ours, pkt, (size_t)m), (int)len);
    assert_memory_equal(pkt, clear, len);
    if (i % 100 == 7) {
      assert_int_equal(srtp_link_unprotect(ours, copy, (size_t)m), -EALREADY);
      /* a sequence number not seen yet, with this packet's tag: a forgery */
      uint16_t next = (uint16_t)(seq + 3);
      copy[2] = (uint8_t)(next >> 8);
      copy[3] = (uint8_t)next;
      assert_int_equal(srtp_link_unprotect(ours, copy, (size_t)m), -EACCES);
    }
  }
  srtp_dealloc(ref_out);
  srtp_link_free(ours);
}

static void
rtp_in_matches_libsrtp(void **state)
{
  rtp_in(SECURE_RTP_AEAD_AES_128_GCM);
  rtp_in(SECURE_RTP_AES_CM_SHA1_80);
}

static void
rtcp_matches_libsrtp(void **state)
{
  rtcp_both_ways(SECURE_RTP_AEAD_AES_128_GCM);
  rtcp_both_ways(SECURE_RTP_AES_CM_SHA1_80);
}

/* The same GCM checks with EVP forced: the path a CPU without AES-NI
 * takes (aes_ni.h). */
static void
gcm_through_evp_matches_libsrtp(void **state)
{
  secure_rtp_use_aes_ni(false);
  round_trip(SECURE_RTP_AEAD_AES_128_GCM, 2, 1);
  rollover(SECURE_RTP_AEAD_AES_128_GCM);
  rtcp_both_ways(SECURE_RTP_AEAD_AES_128_GCM);
  rtp_in(SECURE_RTP_AEAD_AES_128_GCM);
  secure_rtp_use_aes_ni(true);
}

static void
refuses_bad_input(void **state)
{
  uint8_t pkt[64] = {0x80, 111};
  uint32_t idx;
  assert_null(secure_rtp_new(SECURE_RTP_AEAD_AES_128_GCM, false, master_key, 16, master_salt, 14));
  assert_null(secure_rtp_new(SECURE_RTP_AES_CM_SHA1_80, false, master_key, 15, master_salt, 14));
  SecureRtp *c = crypto(SECURE_RTP_AEAD_AES_128_GCM, false);
  assert_int_equal(secure_rtp_protect_rtp(c, pkt, 8, sizeof pkt, 0), -EINVAL);  /* short */
  assert_int_equal(secure_rtp_protect_rtp(c, pkt, 60, 70, 0), -EINVAL);         /* no room */
  pkt[0] = 0x40;
  assert_int_equal(secure_rtp_protect_rtp(c, pkt, 20, sizeof pkt, 0), -EINVAL); /* not v2 */
  assert_int_equal(secure_rtp_unprotect_rtcp(c, pkt, 20, &idx), -EINVAL);       /* short */
  secure_rtp_free(c);
}

int
main(void)
{
  srtp_init();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(gcm_matches_libsrtp),
    cmocka_unit_test(aes_cm_matches_libsrtp),
    cmocka_unit_test(rollover_both),
    cmocka_unit_test(two_streams_both),
    cmocka_unit_test(rtcp_matches_libsrtp),
    cmocka_unit_test(rtp_in_matches_libsrtp),
    cmocka_unit_test(gcm_through_evp_matches_libsrtp),
    cmocka_unit_test(refuses_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
