/* SPDX-License-Identifier: Apache-2.0 */
/* The SDP a benchmark listener sends: a receive-only Opus audio section,
 * BUNDLE, rtcp-mux, its ICE credentials, DTLS fingerprint and host
 * candidates; optionally a second receive-only section, which the relay
 * takes as the listener's channel track (relay/sdp.c sdp_plan()). The same
 * text serves as an offer (setup actpass, to the relay) and as an answer
 * (setup active, to Janus, which offers). Pure: no GLib, no allocation.
 * Errors are negative errno codes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sdp.h"

typedef struct {
  uint64_t session_id;
  const char *ice_ufrag;
  const char *ice_pwd;
  const char *fingerprint; /* sha-256, uppercase hex with colons */
  const char *setup;       /* "actpass" in an offer, "active" in an answer */
  const char *mid;         /* "0" in our offer; the offer's mid in an answer */
  int payload_type;        /* Opus: 111 in our offer; the offer's in an answer */
  /* NULL: one track. Else the mid of a second recvonly m-line (same
   * payload type, bundled with the first: candidates go in the first). */
  const char *channel_mid;
  size_t n_candidates;
  const SdpCandidate *candidates;
} LoadgenSdpParams;

/* Prints into @buf. Returns the length (excluding the NUL), -ENOSPC if
 * @size is too small, -EINVAL on bad parameters. */
int loadgen_sdp_print(const LoadgenSdpParams *p, char *buf, size_t size);

/* The SSRC the relay's answer @sdp (NUL-terminated, borrowed) announces
 * for its track @track ("floor", "channel"): its line
 * "a=ssrc:N msid:rostrum TRACK". Returns 0, or -ENOENT. */
int loadgen_sdp_track_ssrc(const char *sdp, const char *track, uint32_t *ssrc);
