/* SPDX-License-Identifier: Apache-2.0 */
/* SDP for the relay (RFC 8866, JSEP subset): parse a browser's offer and
 * print the relay's answer. Pure: no GLib, no sockets, no allocation —
 * everything lives in the caller's structs. Errors are negative errno codes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_MEDIA 8
#define SDP_MAX_CANDIDATES 16
#define SDP_TOKEN_MAX 256 /* ufrag/pwd: RFC 8445 allows 256 chars */

typedef enum {
  SDP_SETUP_NONE = 0,
  SDP_SETUP_ACTPASS,
  SDP_SETUP_ACTIVE,
  SDP_SETUP_PASSIVE,
} SdpSetup;

typedef enum {
  SDP_DIR_SENDRECV = 0, /* the default when absent */
  SDP_DIR_SENDONLY,
  SDP_DIR_RECVONLY,
  SDP_DIR_INACTIVE,
} SdpDirection;

typedef struct {
  char foundation[33];
  unsigned component;
  char transport[8]; /* "udp" or "tcp" (lowercased) */
  uint32_t priority;
  char address[64]; /* IP literal or an mDNS name; the caller decides */
  uint16_t port;
  char type[8]; /* host, srflx, prflx, relay */
} SdpCandidate;

typedef struct {
  char media[16];   /* "audio", "video", "application" */
  char proto[32];   /* "UDP/TLS/RTP/SAVPF" ... */
  char formats[64]; /* the m-line's format list, verbatim, for rejection */
  char mid[33];
  SdpDirection direction;
  int opus_pt; /* payload type of opus/48000/2, or -1 */
  int audio_level_ext; /* extmap id of RFC 6464 ssrc-audio-level, or -1 */
  bool rtcp_mux;
} SdpMedia;

typedef struct {
  char ice_ufrag[SDP_TOKEN_MAX + 1];
  char ice_pwd[SDP_TOKEN_MAX + 1];
  char fingerprint_alg[16]; /* lowercased, e.g. "sha-256" */
  char fingerprint[100];    /* uppercased hex with colons */
  SdpSetup setup;
  size_t n_media;
  SdpMedia media[SDP_MAX_MEDIA];
  size_t n_candidates;
  SdpCandidate candidates[SDP_MAX_CANDIDATES]; /* of the bundled transport */
} SdpOffer;

/* Parses @text (@len bytes, need not be NUL-terminated). Returns 0, or
 * -EINVAL for malformed text, -ENOTSUP for an offer without ICE credentials,
 * DTLS fingerprint or any m-line, -E2BIG when a field exceeds its limit.
 * Session-level ice-ufrag/pwd/fingerprint/setup apply to every m-line;
 * media-level ones override them (all m-lines are assumed bundled). */
int sdp_parse_offer(const char *text, size_t len, SdpOffer *out);

/* What the relay does with each m-line of an offer. */
typedef enum {
  SDP_TRACK_REJECTED = 0,
  SDP_TRACK_FLOOR,   /* the relay sends the floor; with mic set, also receives */
  SDP_TRACK_CHANNEL, /* the relay sends a language channel (a second receive track) */
  SDP_TRACK_MIC,     /* the relay receives the peer's microphone */
} SdpTrack;

#define SDP_ALLOW_CHANNEL (1u << 0)
#define SDP_ALLOW_MIC (1u << 1)

typedef struct {
  SdpTrack track[SDP_MAX_MEDIA];
  bool mic[SDP_MAX_MEDIA]; /* the relay receives on this m-line */
  int floor_index;        /* the floor's m-line: the BUNDLE transport */
  int channel_index;      /* -1 when none */
  int mic_index;          /* -1 when none */
} SdpPlan;

/* Assigns the usable audio m-lines (Opus 48 kHz, UDP/TLS/RTP/SAVPF,
 * rtcp-mux) of @offer: the first that lets the relay send is the floor (a
 * sendrecv one also carries the microphone if @allow has SDP_ALLOW_MIC); a
 * second receive-only one is the channel (SDP_ALLOW_CHANNEL); a send-only
 * one is the microphone (SDP_ALLOW_MIC). At most one of each; everything
 * else is rejected. Returns 0, or -ENOENT when no m-line can carry the
 * floor. */
int sdp_plan(const SdpOffer *offer, unsigned allow, SdpPlan *plan);

typedef struct {
  const SdpOffer *offer;
  const SdpPlan *plan;
  uint64_t session_id;
  const char *ice_ufrag;
  const char *ice_pwd;
  const char *fingerprint; /* sha-256, uppercase hex with colons */
  SdpSetup setup;          /* the relay's role: ACTIVE or PASSIVE */
  uint32_t floor_ssrc;
  uint32_t channel_ssrc;
  const char *cname;
  size_t n_candidates;
  const SdpCandidate *candidates;
} SdpAnswerParams;

/* Prints the answer into @buf. Returns its length (excluding the NUL), or
 * -ENOSPC if @size is too small, -EINVAL on bad parameters. */
int sdp_print_answer(const SdpAnswerParams *params, char *buf, size_t size);

/* Static names for logs. */
const char *sdp_setup_name(SdpSetup setup);
