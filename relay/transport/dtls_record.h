/* SPDX-License-Identifier: Apache-2.0 */
/* DTLS 1.2 record framing (RFC 6347 4.1, 4.2.2), checked before OpenSSL
 * sees a datagram. Anyone who can forge a peer's source address can send
 * records; RFC 6347 4.1.2.7 says invalid ones are silently discarded, but
 * OpenSSL 3.0 ends the whole association on some of them (a protected
 * record shorter than its cipher's overhead, an early unexpected handshake
 * message, a clear-text alert). What this layer refuses never reaches
 * OpenSSL. Pure: no GLib, no OpenSSL, no allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTLS_RECORD_HEADER 13
/* RFC 6347 4.1 (as TLS 1.2 6.2.3): 2^14 + 2048 */
#define DTLS_RECORD_MAX_BODY (16384 + 2048)
/* OpenSSL's own limit (max_cert_list); a longer message is fatal there */
#define DTLS_HANDSHAKE_MAX_LEN (100 * 1024)

enum {
  DTLS_CT_CHANGE_CIPHER_SPEC = 20,
  DTLS_CT_ALERT = 21,
  DTLS_CT_HANDSHAKE = 22,
  DTLS_CT_APPLICATION_DATA = 23,
};

/* One record of a datagram. @body is borrowed from the datagram. */
typedef struct {
  uint8_t type;
  uint16_t version;
  uint16_t epoch;
  uint64_t seq; /* 48 bits */
  const uint8_t *body;
  size_t len;
} DtlsRecord;

/* What a session can take now. */
typedef struct {
  bool is_server;    /* refuse the handshake messages only a server receives, or a client */
  bool connected;    /* the handshake is done: epoch 0 carries nothing any more */
  size_t min_sealed; /* shortest record the cipher seals (epoch 1): nonce + tag */
} DtlsRecordPolicy;

/* Reads the record at @data + *@off into @rec and moves *@off past it.
 * Returns 1, 0 at the end of the datagram, or -EBADMSG if a header or a
 * length field runs past the datagram or the body is longer than a
 * record can be. */
int dtls_record_next(const uint8_t *data, size_t len, size_t *off, DtlsRecord *rec);

/* Whether @rec may go to OpenSSL under @policy: 0; -EBADMSG if it is
 * malformed (unknown content type or version, a length below the cipher's
 * overhead, a change-cipher-spec or alert of the wrong size, handshake
 * fragments that do not add up, a hello whose fields do not parse); -EPERM
 * if it is well formed but unauthenticated or out of place (an alert in
 * clear, application data in clear, anything in epoch 0 once connected, a
 * handshake message this side never receives, an epoch beyond 1, a
 * change-cipher-spec in epoch 1). */
int dtls_record_admit(const DtlsRecord *rec, const DtlsRecordPolicy *policy);

/* Checks a whole datagram: the number of records and of those admitted
 * (either may be NULL). Returns 0, or -EBADMSG if its framing is broken or
 * it holds no record (then nothing of it may go to OpenSSL). */
int dtls_record_scan(const uint8_t *data, size_t len, const DtlsRecordPolicy *policy,
                     size_t *n_records, size_t *n_admitted);
