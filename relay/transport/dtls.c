/* SPDX-License-Identifier: Apache-2.0 */
#include "dtls.h"

#include "dtls_record.h"

#include <errno.h>
#include <gio/gio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>

#define DTLS_MTU 1200
/* AEAD only. With CBC and encrypt-then-MAC, OpenSSL 3.0 takes any record
 * whose MAC fails for a fatal error, and a forged record cannot be told
 * from a real one before OpenSSL has decrypted it. RFC 8827 6.5 makes
 * ECDHE-ECDSA-AES128-GCM-SHA256 mandatory for browsers; the RSA suites
 * are for a DTLS server peer with an RSA certificate (GStreamer's). */
#define DTLS_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"

struct DtlsContext {
  SSL_CTX *ssl_ctx;
  BIO_METHOD *out_method;
};

struct DtlsSession {
  SSL *ssl;
  BIO *in; /* memory BIO: received datagrams */
  DtlsState state;
  /* OpenSSL failed after the handshake: the SRTP keys stand, records go
   * nowhere (only an authenticated close_notify ends a connected session) */
  gboolean retired;
  gboolean closed;   /* ended by close_notify (state DTLS_FAILED) */
  guint64 dropped;   /* records refused before OpenSSL, or after it retired */
  guint64 clear_seq; /* the next epoch 0 record number OpenSSL sees */
  gboolean is_server;
  char expected_fingerprint[100];
  DtlsSendFunc send;
  void *user;
};

/* The write side is a BIO that hands every record flight straight to the
 * transport as one datagram, so OpenSSL's datagram boundaries survive. */
static int
out_write(BIO *bio, const char *data, int len)
{
  DtlsSession *s = BIO_get_data(bio);
  if (len <= 0 || !s)
    return len;
  s->send((const uint8_t *)data, (size_t)len, s->user);
  return len; /* a lost datagram is recovered by retransmission */
}

static long
out_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1;
  case BIO_CTRL_DGRAM_QUERY_MTU:
  case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
    return DTLS_MTU;
  case BIO_CTRL_WPENDING:
  case BIO_CTRL_PENDING:
    return 0;
  default:
    return 0;
  }
}

static int
out_create(BIO *bio)
{
  BIO_set_init(bio, 1);
  return 1;
}

static int
accept_any_cert(int preverify, X509_STORE_CTX *store)
{
  /* self-signed by design: the peer is authenticated by the fingerprint
   * signalling vouched for, checked once the handshake completes */
  return 1;
}

DtlsContext *
dtls_context_new(DtlsCert *cert, const char *srtp_profiles, GError **error)
{
  DtlsContext *ctx = g_new0(DtlsContext, 1);

  ctx->ssl_ctx = SSL_CTX_new(DTLS_method());
  if (!ctx->ssl_ctx)
    goto fail;
  SSL_CTX_set_min_proto_version(ctx->ssl_ctx, DTLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(ctx->ssl_ctx, DTLS_CIPHERS) != 1)
    goto fail;
  SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_QUERY_MTU);
  SSL_CTX_set_verify(ctx->ssl_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     accept_any_cert);
  SSL_CTX_set_read_ahead(ctx->ssl_ctx, 1);
  /* thousands of idle associations: keep no 16 kB record buffers between datagrams */
  SSL_CTX_set_mode(ctx->ssl_ctx, SSL_MODE_RELEASE_BUFFERS);
  /* note: returns 0 on success */
  if (SSL_CTX_set_tlsext_use_srtp(ctx->ssl_ctx, srtp_profiles
                                                    ? srtp_profiles
                                                    : "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"))
    goto fail;
  if (SSL_CTX_use_certificate(ctx->ssl_ctx, cert->cert) != 1 ||
      SSL_CTX_use_PrivateKey(ctx->ssl_ctx, cert->key) != 1)
    goto fail;
  ctx->out_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "rostrum-dtls-out");
  if (!ctx->out_method)
    goto fail;
  BIO_meth_set_write(ctx->out_method, out_write);
  BIO_meth_set_ctrl(ctx->out_method, out_ctrl);
  BIO_meth_set_create(ctx->out_method, out_create);
  return ctx;

fail:
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot set up DTLS: %s",
              ERR_reason_error_string(ERR_get_error()));
  dtls_context_free(ctx);
  return NULL;
}

void
dtls_context_free(DtlsContext *ctx)
{
  if (!ctx)
    return;
  SSL_CTX_free(ctx->ssl_ctx);
  BIO_meth_free(ctx->out_method);
  g_free(ctx);
}

DtlsSession *
dtls_session_new(DtlsContext *ctx, gboolean is_server, const char *expected_fingerprint,
                 DtlsSendFunc send, void *user)
{
  DtlsSession *s = g_new0(DtlsSession, 1);
  BIO *out;

  s->is_server = is_server;
  s->send = send;
  s->user = user;
  g_strlcpy(s->expected_fingerprint, expected_fingerprint, sizeof s->expected_fingerprint);
  s->ssl = SSL_new(ctx->ssl_ctx);
  s->in = BIO_new(BIO_s_mem());
  out = BIO_new(ctx->out_method);
  if (!s->ssl || !s->in || !out) {
    BIO_free(s->in);
    BIO_free(out);
    SSL_free(s->ssl);
    g_free(s);
    return NULL;
  }
  BIO_set_mem_eof_return(s->in, -1);
  BIO_set_data(out, s);
  SSL_set_bio(s->ssl, s->in, out); /* the SSL owns both BIOs now */
  SSL_set_mtu(s->ssl, DTLS_MTU);
  DTLS_set_link_mtu(s->ssl, DTLS_MTU);
  if (is_server)
    SSL_set_accept_state(s->ssl);
  else
    SSL_set_connect_state(s->ssl);
  return s;
}

void
dtls_session_free(DtlsSession *s)
{
  if (!s)
    return;
  SSL_free(s->ssl);
  g_free(s);
}

static DtlsState
check_peer(DtlsSession *s)
{
  X509 *peer = SSL_get0_peer_certificate(s->ssl);
  char fp[100];
  if (!peer || dtls_cert_fingerprint(peer, fp, sizeof fp) < 0)
    return DTLS_BAD_FINGERPRINT;
  if (strcmp(fp, s->expected_fingerprint) != 0)
    return DTLS_BAD_FINGERPRINT;
  if (!SSL_get_selected_srtp_profile(s->ssl))
    return DTLS_FAILED;
  return DTLS_CONNECTED;
}

/* Drives the handshake, or after it drains application data (none is
 * expected: WebRTC audio sends no data channel here) and notices close.
 * OpenSSL's error queue is cleared first: SSL_get_error() reads it, and a
 * stale entry from any other OpenSSL user would read as this session's. */
static DtlsState
advance(DtlsSession *s)
{
  int rc, err;

  ERR_clear_error();
  if (s->state == DTLS_HANDSHAKING) {
    rc = SSL_do_handshake(s->ssl);
    err = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(s->ssl, rc);
    if (rc == 1)
      s->state = check_peer(s);
    else if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
      s->state = DTLS_FAILED;
    /* close_notify: in epoch 1 (a clear one never gets here), so authenticated */
    s->closed = err == SSL_ERROR_ZERO_RETURN;
    goto done;
  }
  char sink[2048];
  while ((rc = SSL_read(s->ssl, sink, sizeof sink)) > 0)
    ;
  err = SSL_get_error(s->ssl, rc);
  if (err == SSL_ERROR_ZERO_RETURN) {
    s->closed = TRUE;
    s->state = DTLS_FAILED;
  } else if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
    s->retired = TRUE; /* the keys were derived at the handshake: audio goes on */
  }

done:
  ERR_clear_error();
  return s->state;
}

DtlsState
dtls_session_start(DtlsSession *s)
{
  return s->is_server || s->state != DTLS_HANDSHAKING ? s->state : advance(s);
}

/* The protected record the negotiated cipher seals an empty plaintext in
 * (explicit nonce + tag). OpenSSL 3.0 fails the association on a shorter
 * one instead of discarding it. Before the cipher is known no epoch 1
 * record can be genuine, so the larger bound is safe. */
static size_t
min_sealed_len(const SSL *ssl)
{
  const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
  if (!c)
    c = SSL_get_pending_cipher(ssl);
  if (c && SSL_CIPHER_get_cipher_nid(c) == NID_chacha20_poly1305)
    return 16;   /* tag; the nonce is implicit */
  return 8 + 16; /* AES-GCM: explicit nonce, tag */
}

/* Hands an admitted record to OpenSSL. Epoch 0 records are renumbered in
 * arrival order: nothing authenticates their sequence numbers, and one
 * forged far ahead would move OpenSSL's replay window (RFC 6347 4.1.2.6)
 * past every real one to come, stalling the handshake. Duplicates and
 * reordering are the handshake layer's business (message_seq). Epoch 1
 * numbers are authenticated: the window moves only on records that
 * decrypt. */
static void
pass_record(DtlsSession *s, const DtlsRecord *rec)
{
  const uint8_t *start = rec->body - DTLS_RECORD_HEADER;
  if (rec->epoch == 0) {
    uint8_t header[DTLS_RECORD_HEADER];
    memcpy(header, start, sizeof header);
    for (int i = 0; i < 6; i++)
      header[10 - i] = (uint8_t)(s->clear_seq >> (8 * i));
    s->clear_seq++;
    BIO_write(s->in, header, sizeof header);
    if (rec->len)
      BIO_write(s->in, rec->body, (int)rec->len);
    return;
  }
  BIO_write(s->in, start, (int)(DTLS_RECORD_HEADER + rec->len));
}

DtlsState
dtls_session_feed(DtlsSession *s, const uint8_t *data, size_t len)
{
  const DtlsRecordPolicy policy = {
    .is_server = s->is_server,
    .connected = s->state == DTLS_CONNECTED,
    .min_sealed = min_sealed_len(s->ssl),
  };
  size_t n_records, n_admitted, off = 0;
  DtlsRecord rec;

  if (s->state != DTLS_HANDSHAKING && s->state != DTLS_CONNECTED)
    return s->state;
  if (dtls_record_scan(data, len, &policy, &n_records, &n_admitted) < 0) {
    s->dropped += MAX(n_records, 1); /* the framing is broken: nothing of it is trusted */
    return s->state;
  }
  if (s->retired || n_admitted == 0) {
    s->dropped += n_records;
    return s->state;
  }
  s->dropped += n_records - n_admitted;
  while (dtls_record_next(data, len, &off, &rec) > 0) {
    if (dtls_record_admit(&rec, &policy) == 0)
      pass_record(s, &rec);
  }
  return advance(s);
}

void
dtls_session_close(DtlsSession *s)
{
  if (s->state != DTLS_CONNECTED)
    return;
  ERR_clear_error();
  if (!s->retired)
    SSL_shutdown(s->ssl);
  ERR_clear_error();
  s->closed = TRUE;
  s->state = DTLS_FAILED;
}

int
dtls_session_timeout_ms(DtlsSession *s)
{
  struct timeval tv;
  if (s->state != DTLS_HANDSHAKING || !DTLSv1_get_timeout(s->ssl, &tv))
    return -1;
  return (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

DtlsState
dtls_session_handle_timeout(DtlsSession *s)
{
  ERR_clear_error();
  if (s->state == DTLS_HANDSHAKING && DTLSv1_handle_timeout(s->ssl) < 0)
    s->state = DTLS_FAILED;
  ERR_clear_error();
  return s->state;
}

DtlsState
dtls_session_state(const DtlsSession *s)
{
  return s->state;
}

gboolean
dtls_session_closed(const DtlsSession *s)
{
  return s->closed;
}

guint64
dtls_session_dropped(const DtlsSession *s)
{
  return s->dropped;
}

int
dtls_session_srtp_keys(DtlsSession *s, DtlsSrtpKeys *out)
{
  SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(s->ssl);
  uint8_t material[2 * (32 + 14)];
  size_t kl, sl;

  if (s->state != DTLS_CONNECTED || !p)
    return -EIO;
  memset(out, 0, sizeof *out);
  if (p->id == SRTP_AEAD_AES_128_GCM) {
    out->profile = "SRTP_AEAD_AES_128_GCM";
    kl = 16;
    sl = 12;
  } else if (p->id == SRTP_AES128_CM_SHA1_80) {
    out->profile = "SRTP_AES128_CM_SHA1_80";
    kl = 16;
    sl = 14;
  } else {
    return -EIO;
  }
  if (SSL_export_keying_material(s->ssl, material, 2 * (kl + sl), "EXTRACTOR-dtls_srtp", 19,
                                 NULL, 0, 0) != 1)
    return -EIO;
  /* RFC 5764 4.2: client key, server key, client salt, server salt */
  const uint8_t *ck = material, *sk = material + kl;
  const uint8_t *cs = material + 2 * kl, *ss = material + 2 * kl + sl;
  memcpy(out->local_key, s->is_server ? sk : ck, kl);
  memcpy(out->remote_key, s->is_server ? ck : sk, kl);
  memcpy(out->local_salt, s->is_server ? ss : cs, sl);
  memcpy(out->remote_salt, s->is_server ? cs : ss, sl);
  out->key_len = kl;
  out->salt_len = sl;
  OPENSSL_cleanse(material, sizeof material);
  return 0;
}
