/* SPDX-License-Identifier: Apache-2.0 */
/* The relay's own SRTP protect, checked against libsrtp as the reference:
 * whatever srtp_sender_protect() makes, libsrtp must unprotect to the
 * original packet, for both profiles, odd headers and across rollover. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <srtp2/srtp.h>

#include "srtp_sender.h"

static const uint8_t master_key[16] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
                                       0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39};
static const uint8_t master_salt[14] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
                                        0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};

static srtp_t
reference_receiver(SrtpSenderProfile profile)
{
  srtp_policy_t policy;
  uint8_t key[30] = {0};
  srtp_t ctx = NULL;
  size_t salt_len = profile == SRTP_SENDER_AEAD_AES_128_GCM ? 12 : 14;
  memset(&policy, 0, sizeof policy);
  if (profile == SRTP_SENDER_AEAD_AES_128_GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  }
  memcpy(key, master_key, 16);
  memcpy(key + 16, master_salt, salt_len);
  policy.key = key;
  policy.ssrc.type = ssrc_any_inbound;
  policy.window_size = 1024;
  assert_int_equal(srtp_create(&ctx, &policy), srtp_err_status_ok);
  return ctx;
}

static SrtpSender *
sender(SrtpSenderProfile profile)
{
  SrtpSender *s = srtp_sender_new(profile, master_key, 16, master_salt,
                                   profile == SRTP_SENDER_AEAD_AES_128_GCM ? 12 : 14);
  assert_non_null(s);
  return s;
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
round_trip(SrtpSenderProfile profile, int csrc, int ext)
{
  SrtpSender *s = sender(profile);
  srtp_t rx = reference_receiver(profile);
  uint8_t pkt[512], clear[512];
  for (uint16_t seq = 100; seq < 140; seq++) {
    size_t len = make_packet(pkt, seq, csrc, ext, 20 + seq % 60);
    memcpy(clear, pkt, len);
    int n = srtp_sender_protect(s, pkt, len, sizeof pkt);
    assert_true(n > (int)len);
    int m = n;
    assert_int_equal(srtp_unprotect(rx, pkt, &m), srtp_err_status_ok);
    assert_int_equal(m, (int)len);
    assert_memory_equal(pkt, clear, len);
  }
  srtp_dealloc(rx);
  srtp_sender_free(s);
}

static void
gcm_matches_libsrtp(void **state)
{
  round_trip(SRTP_SENDER_AEAD_AES_128_GCM, 0, 0);
  round_trip(SRTP_SENDER_AEAD_AES_128_GCM, 2, 1);
}

static void
aes_cm_matches_libsrtp(void **state)
{
  round_trip(SRTP_SENDER_AES_CM_SHA1_80, 0, 0);
  round_trip(SRTP_SENDER_AES_CM_SHA1_80, 3, 1);
}

/* 70 000 packets from seq 65000: the ROC must advance at the wrap, or
 * libsrtp's authentication fails from there on. */
static void
rollover(SrtpSenderProfile profile)
{
  SrtpSender *s = sender(profile);
  srtp_t rx = reference_receiver(profile);
  uint8_t pkt[256];
  for (uint32_t i = 0; i < 70000; i++) {
    uint16_t seq = (uint16_t)(65000 + i);
    size_t len = make_packet(pkt, seq, 0, 0, 40);
    int n = srtp_sender_protect(s, pkt, len, sizeof pkt);
    assert_true(n > 0);
    if (i % 50 == 0 || seq > 65530 || seq < 8) {
      int m = n;
      assert_int_equal(srtp_unprotect(rx, pkt, &m), srtp_err_status_ok);
    }
  }
  srtp_dealloc(rx);
  srtp_sender_free(s);
}

static void
rollover_both(void **state)
{
  rollover(SRTP_SENDER_AEAD_AES_128_GCM);
  rollover(SRTP_SENDER_AES_CM_SHA1_80);
}

static void
refuses_bad_input(void **state)
{
  uint8_t pkt[64] = {0x80, 111};
  assert_null(srtp_sender_new(SRTP_SENDER_AEAD_AES_128_GCM, master_key, 16, master_salt, 14));
  assert_null(srtp_sender_new(SRTP_SENDER_AES_CM_SHA1_80, master_key, 15, master_salt, 14));
  SrtpSender *s = sender(SRTP_SENDER_AEAD_AES_128_GCM);
  assert_int_equal(srtp_sender_protect(s, pkt, 8, sizeof pkt), -EINVAL);         /* short */
  assert_int_equal(srtp_sender_protect(s, pkt, 60, 70), -EINVAL);                /* no room */
  pkt[0] = 0x40;
  assert_int_equal(srtp_sender_protect(s, pkt, 20, sizeof pkt), -EINVAL);        /* not v2 */
  srtp_sender_free(s);
}

int
main(void)
{
  srtp_init();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(gcm_matches_libsrtp),
    cmocka_unit_test(aes_cm_matches_libsrtp),
    cmocka_unit_test(rollover_both),
    cmocka_unit_test(refuses_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
