/* SPDX-License-Identifier: Apache-2.0 */
/* The fan-out's SRTP protect (RFC 3711 AES_CM_128_HMAC_SHA1_80, RFC 7714
 * AEAD_AES_128_GCM) on OpenSSL, one per listener. Debian's libsrtp2 goes
 * through NSS, whose per-call setup cost ~8 µs per packet with hundreds of
 * keys live; here the key schedule is expanded once per listener and a
 * packet costs one cipher pass. Outbound RTP only: SRTCP and everything
 * inbound stay with libsrtp (srtp_link.h). No GLib; negative errno codes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct SrtpSender SrtpSender;

typedef enum {
  SRTP_SENDER_AES_CM_SHA1_80,
  SRTP_SENDER_AEAD_AES_128_GCM,
} SrtpSenderProfile;

/* Room a protected packet needs beyond the RTP length (GCM tag: 16). */
#define SRTP_SENDER_TRAILER 16

/* Derives the session keys (RFC 3711 4.3, key derivation rate 0) from a
 * 16-byte master key and a master salt of 14 (AES-CM) or 12 (GCM) bytes.
 * Transfer full; NULL on a bad length or if OpenSSL fails. */
SrtpSender *srtp_sender_new(SrtpSenderProfile profile, const uint8_t *master_key,
                            size_t key_len, const uint8_t *master_salt, size_t salt_len);
void srtp_sender_free(SrtpSender *s);

/* Protects the RTP packet in @buf (@len bytes; @cap ≥ len +
 * SRTP_SENDER_TRAILER) in place. Packets must come in sequence order (a
 * wrap of the sequence number advances the rollover counter). Returns the
 * protected length, or -EINVAL for a malformed packet, -EIO if OpenSSL
 * fails. */
int srtp_sender_protect(SrtpSender *s, uint8_t *buf, size_t len, size_t cap);
