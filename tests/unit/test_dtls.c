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

/* SRTCP from the side keyed @a to the side keyed @b (the other end of the
 * same association): decrypts, refuses a replay and a flipped bit. */
static void
srtcp_round_trip(const DtlsSrtpKeys *a, const DtlsSrtpKeys *b)
{
  SrtpLink *tx = srtp_link_new(a), *rx = srtp_link_new(b);
  assert_non_null(tx);
  assert_non_null(rx);
  uint8_t pkt[28 + SRTP_LINK_TRAILER] = {0x80, 200, 0, 6, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8};
  uint8_t clear[28], copy[sizeof pkt];
  memcpy(clear, pkt, sizeof clear);
  int n = srtp_link_protect_rtcp(tx, pkt, 28, sizeof pkt);
  assert_true(n > 28);
  assert_memory_not_equal(pkt + 8, clear + 8, 20); /* encrypted */
  memcpy(copy, pkt, (size_t)n);
  assert_int_equal(srtp_link_unprotect_rtcp(rx, pkt, (size_t)n), 28);
  assert_memory_equal(pkt, clear, 28);
  assert_int_equal(srtp_link_unprotect_rtcp(rx, copy, (size_t)n), -EALREADY);
  n = srtp_link_protect_rtcp(tx, pkt, 28, sizeof pkt);
  pkt[10] ^= 1;
  assert_int_equal(srtp_link_unprotect_rtcp(rx, pkt, (size_t)n), -EACCES);
  /* keyed the wrong way round, nothing authenticates */
  SrtpLink *wrong = srtp_link_new(a);
  n = srtp_link_protect_rtcp(tx, pkt, 28, sizeof pkt);
  assert_int_equal(srtp_link_unprotect_rtcp(wrong, pkt, (size_t)n), -EACCES);
  srtp_link_free(wrong);
  srtp_link_free(tx);
  srtp_link_free(rx);
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

  /* the exporter keys work end to end: server protects, client unprotects */
  srtcp_round_trip(&sk, &ck);
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
  srtcp_round_trip(&sk, &ck);
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
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(cert_fingerprint),
    cmocka_unit_test(handshake_and_keys),
    cmocka_unit_test(aes_cm_profile),
    cmocka_unit_test(wrong_fingerprint),
    cmocka_unit_test(garbage_fails_cleanly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
