/* SPDX-License-Identifier: Apache-2.0 */
/* One peer's SRTP state: RTP out (the floor) with its rollover counter,
 * SRTCP out (sender reports) with its index, SRTP in (a microphone) and
 * SRTCP in (receiver reports) with replay protection (RFC 3711 3.3.2). Keys from the DTLS exporter;
 * the ciphers are secure_rtp.h's. Errors are negative errno codes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "dtls.h"
#include "secure_rtp.h"

/* RTP streams out per peer, each with its own rollover counter: the floor
 * track and the channel track. */
#define SRTP_LINK_STREAMS 2

/* Room an SRTP/SRTCP packet needs beyond its RTP/RTCP length. */
#define SRTP_LINK_TRAILER SECURE_RTP_TRAILER

typedef struct SrtpLink SrtpLink;

/* Transfer full. NULL if the profile is unknown or a key is malformed. */
SrtpLink *srtp_link_new(const DtlsSrtpKeys *keys);
void srtp_link_free(SrtpLink *link);

/* Protects the RTP packet in @buf (@len bytes, @cap ≥ len + SRTP_LINK_TRAILER)
 * in place; each stream's (SSRC's) packets must come in sequence order, and
 * there are at most SRTP_LINK_STREAMS of them. Returns the new length, or
 * -EINVAL / -EIO / -ENOSPC. */
int srtp_link_protect(SrtpLink *link, uint8_t *buf, size_t len, size_t cap);
/* Prefetch stages for srtp_link_protect (see relay_peer_prefetch): stage 0
 * fetches what @link points to, stage 1 one level further. Reads @link. */
void srtp_link_prefetch(const SrtpLink *link, int stage);
/* Unprotects an SRTP packet from the peer (its microphone) in place,
 * estimating the rollover counter (RFC 3711 3.3.1). Returns the clear
 * length, -EACCES, -EALREADY (replayed or too old) or -EINVAL. */
int srtp_link_unprotect(SrtpLink *link, uint8_t *buf, size_t len);
/* Protects an RTCP packet in place with the next SRTCP index. */
int srtp_link_protect_rtcp(SrtpLink *link, uint8_t *buf, size_t len, size_t cap);
/* Unprotects an SRTCP packet in place. Returns the new length, -EACCES
 * (authentication), -EALREADY (replayed or too old) or -EINVAL. */
int srtp_link_unprotect_rtcp(SrtpLink *link, uint8_t *buf, size_t len);
