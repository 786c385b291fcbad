/* SPDX-License-Identifier: Apache-2.0 */
/* DTLS record framing and the policy on what reaches OpenSSL
 * (relay/transport/dtls_record.c): headers, lengths, versions, epochs, clear-text
 * alerts, handshake fragments, hellos, message direction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>

#include "dtls_record.h"

static const DtlsRecordPolicy server_hs = {.is_server = true, .min_sealed = 24};
static const DtlsRecordPolicy client_hs = {.is_server = false, .min_sealed = 24};
static const DtlsRecordPolicy server_up = {.is_server = true, .connected = true, .min_sealed = 24};

/* A record of @type/@version/@epoch around @body, into @buf. */
static size_t
record(uint8_t *buf, uint8_t type, uint16_t version, uint16_t epoch, const uint8_t *body,
       size_t len)
{
  buf[0] = type;
  buf[1] = (uint8_t)(version >> 8), buf[2] = (uint8_t)version;
  buf[3] = (uint8_t)(epoch >> 8), buf[4] = (uint8_t)epoch;
  memcpy(buf + 5, (const uint8_t[]){0, 0, 0, 1, 2, 3}, 6);
  buf[11] = (uint8_t)(len >> 8), buf[12] = (uint8_t)len;
  memcpy(buf + 13, body, len);
  return 13 + len;
}

static int
admit(const DtlsRecordPolicy *policy, uint8_t type, uint16_t version, uint16_t epoch,
      const uint8_t *body, size_t len)
{
  uint8_t buf[2048];
  size_t n = record(buf, type, version, epoch, body, len), off = 0;
  DtlsRecord rec;
  assert_int_equal(dtls_record_next(buf, n, &off, &rec), 1);
  assert_int_equal(off, n);
  return dtls_record_admit(&rec, policy);
}

/* A handshake fragment header (RFC 6347 4.2.2) + @body into @out. */
static size_t
fragment(uint8_t *out, uint8_t msg_type, size_t msg_len, size_t frag_off, const uint8_t *body,
         size_t frag_len)
{
  out[0] = msg_type;
  out[1] = (uint8_t)(msg_len >> 16), out[2] = (uint8_t)(msg_len >> 8), out[3] = (uint8_t)msg_len;
  out[4] = 0, out[5] = 0; /* message_seq */
  out[6] = (uint8_t)(frag_off >> 16), out[7] = (uint8_t)(frag_off >> 8), out[8] = (uint8_t)frag_off;
  out[9] = (uint8_t)(frag_len >> 16), out[10] = (uint8_t)(frag_len >> 8),
  out[11] = (uint8_t)frag_len;
  memcpy(out + 12, body, frag_len);
  return 12 + frag_len;
}

/* A minimal well-formed ClientHello body: one suite, null compression, one
 * extension (use_srtp). */
static size_t
client_hello(uint8_t *out)
{
  size_t n = 0;
  out[n++] = 0xfe, out[n++] = 0xfd;
  memset(out + n, 0x5a, 32), n += 32;                           /* random */
  out[n++] = 0;                                                 /* session id */
  out[n++] = 0;                                                 /* cookie */
  out[n++] = 0, out[n++] = 2, out[n++] = 0xc0, out[n++] = 0x2b; /* suites */
  out[n++] = 1, out[n++] = 0;                                   /* compression */
  out[n++] = 0, out[n++] = 9;                                   /* extensions */
  out[n++] = 0, out[n++] = 14, out[n++] = 0, out[n++] = 5;      /* use_srtp */
  out[n++] = 0, out[n++] = 2, out[n++] = 0, out[n++] = 7, out[n++] = 0;
  return n;
}

static size_t
server_hello(uint8_t *out)
{
  size_t n = 0;
  out[n++] = 0xfe, out[n++] = 0xfd;
  memset(out + n, 0xa5, 32), n += 32;
  out[n++] = 32, memset(out + n, 1, 32), n += 32; /* session id */
  out[n++] = 0xc0, out[n++] = 0x2b, out[n++] = 0; /* suite, compression */
  return n;                                       /* no extensions */
}

static void
framing(void **state)
{
  uint8_t buf[200] = {0}, body[40] = {1, 2, 3};
  size_t off = 0, n;
  DtlsRecord rec;

  assert_int_equal(dtls_record_next(buf, 0, &off, &rec), 0); /* end */
  n = record(buf, 23, 0xfefd, 1, body, 40);
  n += record(buf + n, 22, 0xfeff, 0, body, 3);
  assert_int_equal(dtls_record_next(buf, n, &off, &rec), 1);
  assert_int_equal(rec.type, 23);
  assert_int_equal(rec.version, 0xfefd);
  assert_int_equal(rec.epoch, 1);
  assert_true(rec.seq == 0x010203);
  assert_int_equal(rec.len, 40);
  assert_ptr_equal(rec.body, buf + 13);
  assert_int_equal(dtls_record_next(buf, n, &off, &rec), 1);
  assert_int_equal(rec.len, 3);
  assert_int_equal(rec.version, 0xfeff);
  assert_int_equal(dtls_record_next(buf, n, &off, &rec), 0);

  off = 0; /* a header cut short, a length past the end */
  assert_int_equal(dtls_record_next(buf, 12, &off, &rec), -EBADMSG);
  off = 0;
  assert_int_equal(dtls_record_next(buf, 13 + 39, &off, &rec), -EBADMSG);
  /* a body longer than any record, even when the datagram holds it */
  static uint8_t big[13 + DTLS_RECORD_MAX_BODY + 1];
  record(big, 23, 0xfefd, 1, body, 0);
  big[11] = (uint8_t)((DTLS_RECORD_MAX_BODY + 1) >> 8),
  big[12] = (uint8_t)(DTLS_RECORD_MAX_BODY + 1);
  off = 0;
  assert_int_equal(dtls_record_next(big, sizeof big, &off, &rec), -EBADMSG);
}

static void
clear_text(void **state)
{
  const uint8_t fatal[] = {2, 40}, close_notify[] = {1, 0}, ccs[] = {1};

  /* alerts in clear: unauthenticated, whenever they come */
  assert_int_equal(admit(&server_hs, 21, 0xfefd, 0, fatal, 2), -EPERM);
  assert_int_equal(admit(&client_hs, 21, 0xfeff, 0, close_notify, 2), -EPERM);
  assert_int_equal(admit(&server_up, 21, 0xfefd, 0, close_notify, 2), -EPERM);
  assert_int_equal(admit(&server_hs, 21, 0xfefd, 0, fatal, 1), -EBADMSG);
  /* ChangeCipherSpec: one byte, 1; not once connected */
  assert_int_equal(admit(&server_hs, 20, 0xfefd, 0, ccs, 1), 0);
  assert_int_equal(admit(&server_up, 20, 0xfefd, 0, ccs, 1), -EPERM);
  assert_int_equal(admit(&server_hs, 20, 0xfefd, 0, (const uint8_t[]){2}, 1), -EBADMSG);
  assert_int_equal(admit(&server_hs, 20, 0xfefd, 0, (const uint8_t[]){1, 1}, 2), -EBADMSG);
  /* application data before any key */
  assert_int_equal(admit(&server_hs, 23, 0xfefd, 0, fatal, 2), -EPERM);
  /* content types and versions that DTLS 1.2 does not have */
  assert_int_equal(admit(&server_hs, 24, 0xfefd, 0, ccs, 1), -EBADMSG);
  assert_int_equal(admit(&server_hs, 63, 0xfefd, 1, fatal, 2), -EBADMSG);
  assert_int_equal(admit(&server_hs, 19, 0xfefd, 0, ccs, 1), -EBADMSG);
  assert_int_equal(admit(&server_hs, 20, 0x0303, 0, ccs, 1), -EBADMSG);
  assert_int_equal(admit(&server_hs, 20, 0xfefc, 0, ccs, 1), -EBADMSG);
}

static void
sealed(void **state)
{
  uint8_t body[64] = {0};
  /* shorter than nonce + tag: OpenSSL 3.0 failed the association on these */
  for (size_t n = 0; n < 24; n++) {
    assert_int_equal(admit(&server_up, 23, 0xfefd, 1, body, n), -EBADMSG);
    assert_int_equal(admit(&server_up, 21, 0xfefd, 1, body, n), -EBADMSG);
  }
  assert_int_equal(admit(&server_up, 23, 0xfefd, 1, body, 24), 0);
  assert_int_equal(admit(&server_up, 21, 0xfefd, 1, body, 26), 0);
  assert_int_equal(admit(&server_up, 22, 0xfefd, 1, body, 64), 0); /* a Finished, again */
  assert_int_equal(admit(&server_hs, 22, 0xfefd, 1, body, 64), 0);
  DtlsRecordPolicy chacha = server_up;
  chacha.min_sealed = 16;
  assert_int_equal(admit(&chacha, 21, 0xfefd, 1, body, 18), 0); /* close_notify's size */
  assert_int_equal(admit(&chacha, 21, 0xfefd, 1, body, 15), -EBADMSG);
  /* no change of cipher in epoch 1, no epoch 2 (no renegotiation) */
  assert_int_equal(admit(&server_up, 20, 0xfefd, 1, body, 40), -EPERM);
  assert_int_equal(admit(&server_up, 23, 0xfefd, 2, body, 40), -EPERM);
  assert_int_equal(admit(&server_up, 22, 0xfefd, 0xffff, body, 40), -EPERM);
  /* sealed records say DTLS 1.2 */
  assert_int_equal(admit(&server_up, 23, 0xfeff, 1, body, 40), -EBADMSG);
}

static void
handshake_fragments(void **state)
{
  uint8_t hello[128], rec[512], junk[100];
  size_t h = client_hello(hello), n;

  n = fragment(rec, 1, h, 0, hello, h);
  assert_int_equal(admit(&server_hs, 22, 0xfeff, 0, rec, n), 0);
  assert_int_equal(admit(&client_hs, 22, 0xfeff, 0, rec, n), -EPERM); /* a client gets none */
  assert_int_equal(admit(&server_up, 22, 0xfefd, 0, rec, n), -EPERM); /* too late */
  /* a hello split in two: the pieces are not parsed, only their bounds */
  n = fragment(rec, 1, h, 0, hello, 20);
  assert_int_equal(admit(&server_hs, 22, 0xfeff, 0, rec, n), 0);
  n = fragment(rec, 1, h, 20, hello + 20, h - 20);
  assert_int_equal(admit(&server_hs, 22, 0xfeff, 0, rec, n), 0);
  /* fragments that do not add up */
  n = fragment(rec, 1, h, 20, hello, h - 19); /* past the message */
  assert_int_equal(admit(&server_hs, 22, 0xfefd, 0, rec, n), -EBADMSG);
  n = fragment(rec, 1, h, h + 1, hello, 0); /* offset past the message */
  assert_int_equal(admit(&server_hs, 22, 0xfefd, 0, rec, n), -EBADMSG);
  n = fragment(rec, 1, h, 0, hello, h);
  assert_int_equal(admit(&server_hs, 22, 0xfefd, 0, rec, n - 1), -EBADMSG); /* past the record */
  assert_int_equal(admit(&server_hs, 22, 0xfefd, 0, rec, 11), -EBADMSG);    /* half a header */
  assert_int_equal(admit(&server_hs, 22, 0xfefd, 0, rec, 0), -EBADMSG);     /* nothing */
  n = fragment(rec, 11, DTLS_HANDSHAKE_MAX_LEN + 1, 0, hello, 10);
  assert_int_equal(admit(&server_hs, 22, 0xfefd, 0, rec, n), -EBADMSG);
  /* two messages in one record: Certificate's last piece, ClientKeyExchange */
  n = fragment(rec, 11, 300, 290, hello, 10);
  n += fragment(rec + n, 16, 33, 0, hello, 33);
  assert_int_equal(admit(&server_hs, 22, 0xfefd, 0, rec, n), 0);
  assert_int_equal(admit(&client_hs, 22, 0xfefd, 0, rec, n), -EPERM);
  /* ...and a malformed one after it spoils the record */
  n += fragment(rec + n, 15, 10, 5, hello, 10);
  assert_int_equal(admit(&server_hs, 22, 0xfefd, 0, rec, n), -EBADMSG);

  /* who receives what */
  static const struct {
    uint8_t type;
    int at_server, at_client;
  } dir[] =
      {
          {0, -EPERM, -EPERM}, /* HelloRequest: no renegotiation */
          {3, -EPERM, 0},       {4, -EPERM, 0},  {11, 0, 0},      {12, -EPERM, 0},
          {13, -EPERM, 0},      {14, -EPERM, 0}, {15, 0, -EPERM}, {16, 0, -EPERM},
          {20, -EPERM, -EPERM}, /* Finished is never in clear */
          {99, -EPERM, -EPERM},
      };
  for (size_t i = 0; i < sizeof dir / sizeof dir[0]; i++) {
    n = fragment(rec, dir[i].type, 10, 0, junk, 10);
    assert_int_equal(admit(&server_hs, 22, 0xfefd, 0, rec, n), dir[i].at_server);
    assert_int_equal(admit(&client_hs, 22, 0xfefd, 0, rec, n), dir[i].at_client);
  }
}

static void
hellos(void **state)
{
  uint8_t hello[128], bad[128], rec[512];
  size_t h = client_hello(hello), n;

  /* random bytes where a ClientHello should be (fake_dtls() in the hostile test) */
  for (unsigned seed = 0; seed < 64; seed++) {
    for (size_t i = 0; i < sizeof bad; i++)
      bad[i] = (uint8_t)(seed * 131 + i * 29 + (i >> 3));
    bad[0] = 0xfe, bad[1] = 0xfd; /* past the version check */
    n = fragment(rec, 1, 40 + seed, 0, bad, 40 + seed);
    assert_int_equal(admit(&server_hs, 22, 0xfefd, 0, rec, n), -EBADMSG);
  }
  /* each field out of line */
  static const struct {
    size_t at;
    uint8_t value;
  } breaks[] = {
      {0, 0x03}, /* version */
      {34, 33},  /* session id longer than 32 */
      {35, 200}, /* cookie past the end */
      {37, 3},   /* odd cipher suites length */
      {36, 0},   /* no cipher suite: length 0 */
      {40, 0},   /* no compression method */
      {43, 10},  /* extensions length one too many */
      {47, 6},   /* an extension past the end */
  };
  for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
    memcpy(bad, hello, h);
    bad[breaks[i].at] = breaks[i].value;
    if (breaks[i].at == 36) /* both length bytes */
      bad[37] = 0;
    n = fragment(rec, 1, h, 0, bad, h);
    if (admit(&server_hs, 22, 0xfefd, 0, rec, n) != -EBADMSG)
      fail_msg("ClientHello with byte %zu = %u admitted", breaks[i].at, breaks[i].value);
  }
  /* no extensions at all is fine; a lone byte after compression is not */
  n = fragment(rec, 1, h - 11, 0, hello, h - 11);
  assert_int_equal(admit(&server_hs, 22, 0xfefd, 0, rec, n), 0);
  n = fragment(rec, 1, h - 10, 0, hello, h - 10);
  assert_int_equal(admit(&server_hs, 22, 0xfefd, 0, rec, n), -EBADMSG);

  h = server_hello(hello);
  n = fragment(rec, 2, h, 0, hello, h);
  assert_int_equal(admit(&client_hs, 22, 0xfefd, 0, rec, n), 0);
  assert_int_equal(admit(&server_hs, 22, 0xfefd, 0, rec, n), -EPERM);
  n = fragment(rec, 2, h - 1, 0, hello, h - 1); /* compression method missing */
  assert_int_equal(admit(&client_hs, 22, 0xfefd, 0, rec, n), -EBADMSG);
}

static void
scan(void **state)
{
  uint8_t buf[300] = {0}, body[40] = {0};
  size_t n, records, admitted;

  assert_int_equal(dtls_record_scan(buf, 0, &server_up, &records, &admitted), -EBADMSG);
  assert_int_equal(records, 0);
  /* a retransmitted last flight after the handshake: the clear part goes,
   * the sealed Finished stays */
  n = record(buf, 20, 0xfefd, 0, (const uint8_t[]){1}, 1);
  n += record(buf + n, 22, 0xfefd, 1, body, 40);
  assert_int_equal(dtls_record_scan(buf, n, &server_up, &records, &admitted), 0);
  assert_int_equal(records, 2);
  assert_int_equal(admitted, 1);
  /* a broken tail spoils the whole datagram */
  assert_int_equal(dtls_record_scan(buf, n + 5, &server_up, &records, &admitted), -EBADMSG);
  assert_int_equal(records, 2);
  assert_int_equal(admitted, 0);
  assert_int_equal(dtls_record_scan(buf, n - 1, &server_up, NULL, NULL), -EBADMSG);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(framing),
    cmocka_unit_test(clear_text),
    cmocka_unit_test(sealed),
    cmocka_unit_test(handshake_fragments),
    cmocka_unit_test(hellos),
    cmocka_unit_test(scan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
