/* SPDX-License-Identifier: Apache-2.0 */
/* DTLS 1.2 for DTLS-SRTP (RFC 5764) over OpenSSL with memory BIOs: datagrams
 * in through dtls_session_feed(), datagrams out through the send callback.
 * One DtlsContext (SSL_CTX and the relay's certificate) is shared by all
 * sessions. No renegotiation.
 *
 * Anyone who can forge the peer's address can send records. Records that
 * do not verify are counted and dropped (RFC 6347 4.1.2.7), most before
 * OpenSSL sees them (dtls_record.h): no record ends a connected session
 * but an authenticated close_notify. During the handshake a forged
 * message that is well formed and in sequence still can (nothing is
 * authenticated before the Finished messages). */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "dtls_cert.h"

typedef struct DtlsContext DtlsContext;
typedef struct DtlsSession DtlsSession;

typedef enum {
  DTLS_HANDSHAKING = 0,
  DTLS_CONNECTED,      /* handshake done, fingerprint matched, keys ready */
  DTLS_FAILED,         /* over: the handshake failed, or close_notify (dtls_session_closed()) */
  DTLS_BAD_FINGERPRINT /* the peer's certificate is not the one signalled */
} DtlsState;

/* SRTP master keys from the exporter, already split by direction. */
typedef struct {
  const char *profile; /* "SRTP_AEAD_AES_128_GCM" or "SRTP_AES128_CM_SHA1_80" */
  size_t key_len, salt_len;
  uint8_t local_key[32], local_salt[14];   /* what this side sends with */
  uint8_t remote_key[32], remote_salt[14]; /* what the peer sends with */
} DtlsSrtpKeys;

/* Returns 0 if sent, negative otherwise; the data is only borrowed. */
typedef int (*DtlsSendFunc)(const uint8_t *data, size_t len, void *user);

/* Transfer full; @cert is borrowed and must outlive the context.
 * @srtp_profiles: OpenSSL's use_srtp list in order of preference, or NULL
 * for "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80". */
DtlsContext *dtls_context_new(DtlsCert *cert, const char *srtp_profiles, GError **error);
void dtls_context_free(DtlsContext *ctx);

/* @expected_fingerprint: sha-256 from the peer's SDP (uppercase, colons),
 * copied. @is_server: TRUE when this side is DTLS passive. Transfer full. */
DtlsSession *dtls_session_new(DtlsContext *ctx, gboolean is_server,
                              const char *expected_fingerprint, DtlsSendFunc send, void *user);
void dtls_session_free(DtlsSession *s);

/* For the client role: sends the ClientHello. No-op for a server. */
DtlsState dtls_session_start(DtlsSession *s);
/* Feeds one received datagram (borrowed). Its records that are malformed,
 * unauthenticated or out of place are dropped and counted, the rest go to
 * OpenSSL; should OpenSSL fail once connected, the session stays
 * DTLS_CONNECTED (its keys are derived) and drops whatever comes next. */
DtlsState dtls_session_feed(DtlsSession *s, const uint8_t *data, size_t len);
/* Sends close_notify and ends the session (a no-op unless connected). */
void dtls_session_close(DtlsSession *s);
/* Milliseconds until a retransmission is due, or -1 if none is pending. */
int dtls_session_timeout_ms(DtlsSession *s);
/* Retransmits the last flight if its timer expired. */
DtlsState dtls_session_handle_timeout(DtlsSession *s);
DtlsState dtls_session_state(const DtlsSession *s);
/* Whether the session ended with close_notify, the peer's (under the
 * session's keys: a clear-text one is dropped) or ours: a goodbye, not an
 * error. The state is then DTLS_FAILED. */
gboolean dtls_session_closed(const DtlsSession *s);
/* Records dropped so far (a datagram whose framing is broken counts once).
 * OpenSSL's own silent discards (a record that fails to decrypt) are not
 * seen here. */
guint64 dtls_session_dropped(const DtlsSession *s);

/* Valid once the state is DTLS_CONNECTED. Returns 0 or -EIO. */
int dtls_session_srtp_keys(DtlsSession *s, DtlsSrtpKeys *out);

/* The first byte of a datagram tells its kind (RFC 7983). */
static inline gboolean
dtls_is_record(const uint8_t *data, size_t len)
{
  return len >= 13 && data[0] >= 20 && data[0] <= 63;
}
