/* SPDX-License-Identifier: Apache-2.0 */
/* SRTP and SRTCP packet protection on OpenSSL (RFC 3711
 * AES_CM_128_HMAC_SHA1_80, RFC 7714 AEAD_AES_128_GCM). Debian's libsrtp2
 * goes through NSS, whose per-call set-up cost ~8 us per packet with
 * hundreds of keys live (a third of the relay in a perf profile) and
 * ~19 kB per context; here the session keys are derived and the key
 * schedule expanded once, and a packet costs one cipher pass.
 * One SecureRtp holds the session keys of one direction for either RTP or
 * RTCP. No GLib, no state beyond the keys: sequence tracking (ROC, SRTCP
 * index, replay) is the caller's (srtp_link.c). Negative errno codes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct SecureRtp SecureRtp;

typedef enum {
  SECURE_RTP_AES_CM_SHA1_80,
  SECURE_RTP_AEAD_AES_128_GCM,
} SecureRtpProfile;

/* Room a protected packet needs beyond the clear length: GCM tag 16 +
 * SRTCP index 4. */
#define SECURE_RTP_TRAILER 20

/* Derives the RTP (@rtcp false: labels 0-2) or RTCP (labels 3-5) session
 * keys (RFC 3711 4.3, key derivation rate 0) from a 16-byte master key and
 * a master salt of 14 (AES-CM) or 12 (GCM) bytes. Transfer full; NULL on a
 * bad length or if OpenSSL fails. */
SecureRtp *secure_rtp_new(SecureRtpProfile profile, bool rtcp, const uint8_t *master_key,
                            size_t key_len, const uint8_t *master_salt, size_t salt_len);
void secure_rtp_free(SecureRtp *c);

/* GCM runs on AES-NI (aes_ni.h) when the CPU has it, else through EVP.
 * @on false forces EVP for the contexts made afterwards (tests check both
 * paths); @on true is ignored on a CPU without AES-NI. */
void secure_rtp_use_aes_ni(bool on);

/* Asks the CPU to fetch what protecting with @c will read (the fan-out
 * walks thousands of these; see relay_peer_prefetch): stage 0 @c itself
 * (reads nothing), stage 1 the cipher state it points to (reads @c). */
void secure_rtp_prefetch(const SecureRtp *c, int stage);

/* Protects the RTP packet in @buf (@len bytes, @cap ≥ len +
 * SECURE_RTP_TRAILER) in place with rollover counter @roc. Returns the new
 * length, or -EINVAL (malformed, no room), -EIO (OpenSSL). */
int secure_rtp_protect_rtp(SecureRtp *c, uint8_t *buf, size_t len, size_t cap, uint32_t roc);

/* Authenticates and decrypts an SRTP packet in place, with rollover
 * counter @roc (the caller's estimate, RFC 3711 3.3.1). Returns the clear
 * length, -EINVAL when malformed, -EACCES when the tag is wrong. */
int secure_rtp_unprotect_rtp(SecureRtp *c, uint8_t *buf, size_t len, uint32_t roc);

/* Protects an RTCP compound packet in place as SRTCP index @index
 * (31 bits, encrypted: E = 1). Returns the new length or a negative code. */
int secure_rtp_protect_rtcp(SecureRtp *c, uint8_t *buf, size_t len, size_t cap,
                             uint32_t index);

/* Authenticates and decrypts an SRTCP packet in place. Returns the clear
 * length and its SRTCP index in *index, -EINVAL when too short, -EACCES
 * when the tag is wrong. Replay is the caller's to check. */
int secure_rtp_unprotect_rtcp(SecureRtp *c, uint8_t *buf, size_t len, uint32_t *index);
