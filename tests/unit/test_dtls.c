/* SPDX-License-Identifier: Apache-2.0 */
/* DTLS-SRTP between two in-memory sessions: handshake, fingerprint binding,
 * exporter keys, and SRTP protect/unprotect with the derived keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dtls.h"
#include "srtp_link.h"

typedef struct {
  GQueue datagrams; /* GBytes* waiting for the other side */
} Wire;

static int
to_wire(const uint8_t *data, size_t len, void *user)
{
  g_queue_push_tail(&((Wire *)user)->datagrams, g_bytes_new(data, len));
  return 0;
}

static DtlsState
deliver(Wire *wire, DtlsSession *to)
{
  DtlsState st = dtls_session_state(to);
  GBytes *b;
  while ((b = g_queue_pop_head(&wire->datagrams))) {
    gsize n;
    const uint8_t *d = g_bytes_get_data(b, &n);
    st = dtls_session_feed(to, d, n);
    g_bytes_unref(b);
  }
  return st;
}

typedef struct {
  DtlsCert *server_cert, *client_cert;
  DtlsContext *server_ctx, *client_ctx;
  Wire to_server, to_client;
  DtlsSession *server, *client;
} Pair;

static void
pair_open(Pair *p, const char *client_fp_seen_by_server, const char *server_profiles)
{
  memset(p, 0, sizeof *p);
  p->server_cert = dtls_cert_new(NULL);
  p->client_cert = dtls_cert_new(NULL);
  assert_non_null(p->server_cert);
  assert_non_null(p->client_cert);
  p->server_ctx = dtls_context_new(p->server_cert, server_profiles, NULL);
  p->client_ctx = dtls_context_new(p->client_cert, NULL, NULL);
  p->server = dtls_session_new(p->server_ctx, TRUE,
                               client_fp_seen_by_server ? client_fp_seen_by_server
                                                        : p->client_cert->fingerprint,
                               to_wire, &p->to_client);
  p->client = dtls_session_new(p->client_ctx, FALSE, p->server_cert->fingerprint, to_wire,
                               &p->to_server);
}

static void
pair_run(Pair *p)
{
  dtls_session_start(p->client);
  for (int i = 0; i < 10; i++) {
    deliver(&p->to_server, p->server);
    deliver(&p->to_client, p->client);
  }
}

static void
pair_close(Pair *p)
{
  dtls_session_free(p->server);
  dtls_session_free(p->client);
  dtls_context_free(p->server_ctx);
  dtls_context_free(p->client_ctx);
  dtls_cert_free(p->server_cert);
  dtls_cert_free(p->client_cert);
  g_queue_clear_full(&p->to_server.datagrams, (GDestroyNotify)g_bytes_unref);
  g_queue_clear_full(&p->to_client.datagrams, (GDestroyNotify)g_bytes_unref);
}

static void
cert_fingerprint(void **state)
{
  g_autoptr(DtlsCert) a = dtls_cert_new(NULL);
  g_autoptr(DtlsCert) b = dtls_cert_new(NULL);
  assert_int_equal(strlen(a->fingerprint), 32 * 3 - 1);
  assert_string_not_equal(a->fingerprint, b->fingerprint); /* fresh key each time */
}

static void
handshake_and_keys(void **state)
{
  Pair p;
  DtlsSrtpKeys sk, ck;
  pair_open(&p, NULL, NULL);
  pair_run(&p);
  assert_int_equal(dtls_session_state(p.server), DTLS_CONNECTED);
  assert_int_equal(dtls_session_state(p.client), DTLS_CONNECTED);
  assert_int_equal(dtls_session_srtp_keys(p.server, &sk), 0);
  assert_int_equal(dtls_session_srtp_keys(p.client, &ck), 0);
  assert_string_equal(sk.profile, "SRTP_AEAD_AES_128_GCM"); /* preferred */
  assert_int_equal(sk.key_len, 16);
  assert_int_equal(sk.salt_len, 12);
  assert_memory_equal(sk.local_key, ck.remote_key, 16);
  assert_memory_equal(sk.remote_key, ck.local_key, 16);
  assert_memory_equal(sk.local_salt, ck.remote_salt, 12);
  assert_memory_not_equal(sk.local_key, sk.remote_key, 16);

  /* SRTP with those keys: server protects, client unprotects */
  SrtpLink *tx = srtp_link_new(&sk), *rx = srtp_link_new(&ck);
  assert_non_null(tx);
  assert_non_null(rx);
  uint8_t pkt[200 + SRTP_LINK_TRAILER] = {0x80, 111, 0x12, 0x34, 0, 0, 0x03, 0xc0,
                                          0xde, 0xad, 0xbe, 0xef};
  for (int i = 12; i < 112; i++)
    pkt[i] = (uint8_t)i;
  uint8_t clear[112];
  memcpy(clear, pkt, sizeof clear);
  int n = srtp_link_protect(tx, pkt, 112, sizeof pkt);
  assert_int_equal(n, 112 + 16); /* GCM tag */
  assert_memory_not_equal(pkt + 12, clear + 12, 100);
  uint8_t copy[sizeof pkt];
  memcpy(copy, pkt, (size_t)n);
  assert_int_equal(srtp_link_unprotect(rx, pkt, (size_t)n), 112);
  assert_memory_equal(pkt, clear, 112);
  /* a replayed packet is refused */
  assert_int_equal(srtp_link_unprotect(rx, copy, (size_t)n), -EIO);
  /* a tampered packet is refused */
  copy[2] ^= 1;
  assert_int_equal(srtp_link_unprotect(rx, copy, (size_t)n), -EIO);
  srtp_link_free(tx);
  srtp_link_free(rx);
  pair_close(&p);
}

/* A relay configured for AES-CM only still talks to a peer preferring GCM. */
static void
aes_cm_profile(void **state)
{
  Pair p;
  DtlsSrtpKeys sk, ck;
  pair_open(&p, NULL, "SRTP_AES128_CM_SHA1_80");
  pair_run(&p);
  assert_int_equal(dtls_session_state(p.server), DTLS_CONNECTED);
  assert_int_equal(dtls_session_srtp_keys(p.server, &sk), 0);
  assert_int_equal(dtls_session_srtp_keys(p.client, &ck), 0);
  assert_string_equal(sk.profile, "SRTP_AES128_CM_SHA1_80");
  assert_int_equal(sk.salt_len, 14);
  SrtpLink *tx = srtp_link_new(&sk), *rx = srtp_link_new(&ck);
  uint8_t pkt[100 + SRTP_LINK_TRAILER] = {0x80, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7};
  int n = srtp_link_protect(tx, pkt, 100, sizeof pkt);
  assert_int_equal(n, 110); /* 80-bit HMAC tag */
  assert_int_equal(srtp_link_unprotect(rx, pkt, (size_t)n), 100);
  /* RTCP too: SRTCP index + tag */
  uint8_t rtcp[28 + SRTP_LINK_TRAILER] = {0x80, 200, 0, 6, 0, 0, 0, 7};
  n = srtp_link_protect_rtcp(tx, rtcp, 28, sizeof rtcp);
  assert_true(n > 28);
  assert_int_equal(srtp_link_unprotect_rtcp(rx, rtcp, (size_t)n), 28);
  srtp_link_free(tx);
  srtp_link_free(rx);
  pair_close(&p);
}

/* Rollover: sequence numbers wrap past 65535 and keep decrypting. */
static void
rollover(void **state)
{
  Pair p;
  DtlsSrtpKeys sk, ck;
  pair_open(&p, NULL, NULL);
  pair_run(&p);
  assert_int_equal(dtls_session_srtp_keys(p.server, &sk), 0);
  assert_int_equal(dtls_session_srtp_keys(p.client, &ck), 0);
  SrtpLink *tx = srtp_link_new(&sk), *rx = srtp_link_new(&ck);
  for (uint32_t i = 0; i < 70000; i++) {
    uint16_t seq = (uint16_t)(65000 + i);
    uint8_t pkt[40 + SRTP_LINK_TRAILER] = {0x80, 111, (uint8_t)(seq >> 8), (uint8_t)seq,
                                           0, 0, 0, 0, 0, 0, 0, 9};
    int n = srtp_link_protect(tx, pkt, 40, sizeof pkt);
    assert_true(n > 40);
    if (i % 97 == 0 || (seq > 65530 || seq < 5)) /* sample, and every packet around the wrap */
      assert_int_equal(srtp_link_unprotect(rx, pkt, (size_t)n), 40);
  }
  srtp_link_free(tx);
  srtp_link_free(rx);
  pair_close(&p);
}

static void
wrong_fingerprint(void **state)
{
  Pair p;
  g_autoptr(DtlsCert) other = dtls_cert_new(NULL);
  pair_open(&p, other->fingerprint, NULL); /* signalling announced another certificate */
  pair_run(&p);
  assert_int_equal(dtls_session_state(p.server), DTLS_BAD_FINGERPRINT);
  DtlsSrtpKeys k;
  assert_int_equal(dtls_session_srtp_keys(p.server, &k), -EIO);
  pair_close(&p);
}

static void
garbage_fails_cleanly(void **state)
{
  Pair p;
  pair_open(&p, NULL, NULL);
  uint8_t junk[300];
  for (size_t i = 0; i < sizeof junk; i++)
    junk[i] = (uint8_t)(i * 37 + 22);
  junk[0] = 22; /* looks like a handshake record */
  DtlsState st = dtls_session_feed(p.server, junk, sizeof junk);
  assert_true(st == DTLS_FAILED || st == DTLS_HANDSHAKING);
  assert_false(dtls_is_record((const uint8_t *)"\x80\x00", 2));
  pair_close(&p);
}

int
main(void)
{
  assert_int_equal(srtp_link_init(), 0);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(cert_fingerprint),
    cmocka_unit_test(handshake_and_keys),
    cmocka_unit_test(aes_cm_profile),
    cmocka_unit_test(rollover),
    cmocka_unit_test(wrong_fingerprint),
    cmocka_unit_test(garbage_fails_cleanly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
