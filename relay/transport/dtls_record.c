/* SPDX-License-Identifier: Apache-2.0 */
#include "dtls_record.h"

#include <errno.h>

#define VERSION_DTLS_1_0 0xfeff /* what a ClientHello's record may say */
#define VERSION_DTLS_1_2 0xfefd
#define HS_HEADER 12

/* handshake message types (RFC 5246 7.4, RFC 6347 4.3.2) */
enum {
  HS_HELLO_REQUEST = 0,
  HS_CLIENT_HELLO = 1,
  HS_SERVER_HELLO = 2,
  HS_HELLO_VERIFY_REQUEST = 3,
  HS_NEW_SESSION_TICKET = 4,
  HS_CERTIFICATE = 11,
  HS_SERVER_KEY_EXCHANGE = 12,
  HS_CERTIFICATE_REQUEST = 13,
  HS_SERVER_HELLO_DONE = 14,
  HS_CERTIFICATE_VERIFY = 15,
  HS_CLIENT_KEY_EXCHANGE = 16,
};

static uint32_t
get16(const uint8_t *p)
{
  return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
get24(const uint8_t *p)
{
  return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

int
dtls_record_next(const uint8_t *data, size_t len, size_t *off, DtlsRecord *rec)
{
  if (*off >= len)
    return 0;
  const uint8_t *p = data + *off;
  size_t left = len - *off;
  if (left < DTLS_RECORD_HEADER)
    return -EBADMSG;
  size_t body = get16(p + 11);
  if (body > left - DTLS_RECORD_HEADER || body > DTLS_RECORD_MAX_BODY)
    return -EBADMSG;
  rec->type = p[0];
  rec->version = (uint16_t)get16(p + 1);
  rec->epoch = (uint16_t)get16(p + 3);
  rec->seq = (uint64_t)get16(p + 5) << 32 | (uint64_t)get16(p + 7) << 16 | get16(p + 9);
  rec->body = p + DTLS_RECORD_HEADER;
  rec->len = body;
  *off += DTLS_RECORD_HEADER + body;
  return 1;
}

/* A vector with a @width-byte length prefix at *@pos, within @n: moves
 * *@pos past it. */
static int
skip_vector(const uint8_t *b, size_t n, size_t *pos, int width, size_t min, size_t max)
{
  if (n - *pos < (size_t)width)
    return -EBADMSG;
  size_t v = width == 1 ? b[*pos] : get16(b + *pos);
  *pos += (size_t)width;
  if (v < min || v > max || v > n - *pos)
    return -EBADMSG;
  *pos += v;
  return 0;
}

/* ClientHello or ServerHello (RFC 5246 7.4.1.2-3, RFC 6347 4.2.1): the
 * fields a forger filling a hello with random bytes cannot line up. */
static int
check_hello(const uint8_t *b, size_t n, bool client)
{
  size_t pos = 2 + 32; /* version, random */
  if (n < pos || b[0] != 0xfe)
    return -EBADMSG;
  if (skip_vector(b, n, &pos, 1, 0, 32) < 0) /* session id */
    return -EBADMSG;
  if (client) {
    if (skip_vector(b, n, &pos, 1, 0, 255) < 0 ||   /* cookie */
        n - pos < 2 || get16(b + pos) % 2 != 0 ||   /* cipher suites: pairs */
        skip_vector(b, n, &pos, 2, 2, 65534) < 0 || /* at least one suite */
        skip_vector(b, n, &pos, 1, 1, 255) < 0)     /* compression methods */
      return -EBADMSG;
  } else {
    pos += 2 + 1; /* cipher suite, compression method */
    if (pos > n)
      return -EBADMSG;
  }
  if (pos == n)
    return 0; /* no extensions */
  if (n - pos < 2 || get16(b + pos) != n - pos - 2)
    return -EBADMSG;
  for (pos += 2; pos < n;) {
    if (n - pos < 4)
      return -EBADMSG;
    pos += 2; /* extension type */
    if (skip_vector(b, n, &pos, 2, 0, 65535) < 0)
      return -EBADMSG;
  }
  return 0;
}

static bool
receivable(uint8_t msg_type, bool is_server)
{
  switch (msg_type) {
  case HS_CERTIFICATE:
    return true;
  case HS_CLIENT_HELLO:
  case HS_CERTIFICATE_VERIFY:
  case HS_CLIENT_KEY_EXCHANGE:
    return is_server;
  case HS_SERVER_HELLO:
  case HS_HELLO_VERIFY_REQUEST:
  case HS_NEW_SESSION_TICKET:
  case HS_SERVER_KEY_EXCHANGE:
  case HS_CERTIFICATE_REQUEST:
  case HS_SERVER_HELLO_DONE:
    return !is_server;
  default: /* HelloRequest (renegotiation, refused), Finished (never in clear), unknown */
    return false;
  }
}

/* The handshake fragments of a clear-text record (RFC 6347 4.2.2). */
static int
check_handshake(const DtlsRecord *rec, const DtlsRecordPolicy *policy)
{
  const uint8_t *b = rec->body;
  size_t pos = 0;
  int verdict = 0;

  if (rec->len == 0)
    return -EBADMSG;
  while (pos < rec->len) {
    if (rec->len - pos < HS_HEADER)
      return -EBADMSG;
    const uint8_t *h = b + pos;
    uint32_t msg_len = get24(h + 1), frag_off = get24(h + 6), frag_len = get24(h + 9);
    if (msg_len > DTLS_HANDSHAKE_MAX_LEN || frag_off > msg_len || frag_len > msg_len - frag_off ||
        frag_len > rec->len - pos - HS_HEADER)
      return -EBADMSG;
    if (frag_off == 0 && frag_len == msg_len &&
        (h[0] == HS_CLIENT_HELLO || h[0] == HS_SERVER_HELLO) &&
        check_hello(h + HS_HEADER, frag_len, h[0] == HS_CLIENT_HELLO) < 0)
      return -EBADMSG;
    if (!receivable(h[0], policy->is_server))
      verdict = -EPERM; /* malformed still wins: read on */
    pos += HS_HEADER + frag_len;
  }
  return verdict;
}

static int
admit_clear(const DtlsRecord *rec, const DtlsRecordPolicy *policy)
{
  if (rec->version != VERSION_DTLS_1_2 && rec->version != VERSION_DTLS_1_0)
    return -EBADMSG;
  switch (rec->type) {
  case DTLS_CT_CHANGE_CIPHER_SPEC:
    if (rec->len != 1 || rec->body[0] != 1)
      return -EBADMSG;
    return policy->connected ? -EPERM : 0;
  case DTLS_CT_ALERT:
    /* unauthenticated: anyone could have sent it. A genuine fatal alert
     * during the handshake costs the connect timeout instead. */
    return rec->len == 2 ? -EPERM : -EBADMSG;
  case DTLS_CT_HANDSHAKE: {
    int rc = check_handshake(rec, policy);
    if (rc < 0)
      return rc;
    /* after the handshake OpenSSL drops epoch 0 anyway; a peer's
     * retransmitted last flight is answered on its (epoch 1) Finished */
    return policy->connected ? -EPERM : 0;
  }
  default: /* application data before any key */
    return -EPERM;
  }
}

int
dtls_record_admit(const DtlsRecord *rec, const DtlsRecordPolicy *policy)
{
  if (rec->type < DTLS_CT_CHANGE_CIPHER_SPEC || rec->type > DTLS_CT_APPLICATION_DATA)
    return -EBADMSG;
  if (rec->epoch == 0)
    return admit_clear(rec, policy);
  if (rec->version != VERSION_DTLS_1_2 || rec->len < policy->min_sealed)
    return -EBADMSG;
  /* no renegotiation: epoch 1 is the last, and nothing changes cipher in it */
  if (rec->epoch > 1 || rec->type == DTLS_CT_CHANGE_CIPHER_SPEC)
    return -EPERM;
  return 0;
}

int
dtls_record_scan(const uint8_t *data, size_t len, const DtlsRecordPolicy *policy, size_t *n_records,
                 size_t *n_admitted)
{
  DtlsRecord rec;
  size_t off = 0, records = 0, admitted = 0;
  int rc;

  while ((rc = dtls_record_next(data, len, &off, &rec)) > 0) {
    records++;
    if (dtls_record_admit(&rec, policy) == 0)
      admitted++;
  }
  if (n_records)
    *n_records = records;
  if (n_admitted)
    *n_admitted = rc < 0 ? 0 : admitted;
  return rc < 0 || records == 0 ? -EBADMSG : 0;
}
