/* SPDX-License-Identifier: Apache-2.0 */
/* The venue's RTP input, packet by packet: is this datagram an RTP packet
 * of the configured payload type whose payload has exactly the configured
 * format and packet time (L24/L16 at 48 kHz, mono or stereo; or Opus)?
 * Whatever is not is counted and dropped before GStreamer sees it, so
 * garbage, another payload type or another sample format on the port never
 * reaches a product. Pure: no GLib, no clock, no allocation; negative
 * errno-style reasons. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef enum {
  VENUE_RTP_L24,
  VENUE_RTP_L16,
  VENUE_RTP_OPUS,
} VenueRtpEncoding;

typedef struct {
  VenueRtpEncoding encoding;
  unsigned channels; /* 1 or 2 */
  unsigned pt;
  unsigned ptime_ms; /* every packet carries exactly this much audio */
} VenueRtpFormat;

/* Why a packet was dropped. */
typedef enum {
  VENUE_RTP_OK = 0,
  VENUE_RTP_NOT_RTP = -1,    /* too short, not version 2, lengths inconsistent */
  VENUE_RTP_BAD_PT = -2,     /* another payload type (RTCP included) */
  VENUE_RTP_BAD_FORMAT = -3, /* the payload is not @ptime_ms of the format */
} VenueRtpVerdict;

#define VENUE_RTP_VERDICTS 4

/* Checks one datagram. */
VenueRtpVerdict venue_rtp_check(const VenueRtpFormat *fmt, const uint8_t *pkt, size_t len);

/* The metric label of a verdict: "ok", "not_rtp", "payload_type", "format". */
const char *venue_rtp_verdict_name(VenueRtpVerdict v);

/* Samples (at 48 kHz) in an Opus packet from its TOC (RFC 6716 3.1), or
 * -1 if it is malformed. */
int venue_rtp_opus_samples(const uint8_t *payload, size_t len);
