/* SPDX-License-Identifier: Apache-2.0 */
/* One peer's SRTP state (libsrtp2): an outbound context keyed with the
 * relay's keys and an inbound one keyed with the peer's. Errors are
 * negative errno codes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "dtls.h"

/* Room an SRTP/SRTCP packet needs beyond its RTP/RTCP length. */
#define SRTP_LINK_TRAILER 148

typedef struct SrtpLink SrtpLink;

/* Once per process, before any link. Returns 0 or -EIO. */
int srtp_link_init(void);

/* Transfer full. NULL if the profile is unknown or libsrtp refuses. */
SrtpLink *srtp_link_new(const DtlsSrtpKeys *keys);
void srtp_link_free(SrtpLink *link);

/* Protects the RTP packet in @buf (@len bytes, @cap ≥ len + SRTP_LINK_TRAILER)
 * in place. Returns the new length, or -EINVAL / -EIO. */
int srtp_link_protect(SrtpLink *link, uint8_t *buf, size_t len, size_t cap);
/* Protects an RTCP packet in place, as srtp_link_protect(). */
int srtp_link_protect_rtcp(SrtpLink *link, uint8_t *buf, size_t len, size_t cap);
/* Unprotects an SRTCP packet in place. Returns the new length, or -EIO
 * (authentication, replay) / -EINVAL. */
int srtp_link_unprotect_rtcp(SrtpLink *link, uint8_t *buf, size_t len);
/* Unprotects an SRTP packet in place. Returns the new length or -EIO. */
int srtp_link_unprotect(SrtpLink *link, uint8_t *buf, size_t len);
