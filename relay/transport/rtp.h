/* SPDX-License-Identifier: Apache-2.0 */
/* RTP and RTCP headers (RFC 3550, RFC 5761): parse what peers send, build
 * what the relay sends. Pure: no GLib, no sockets, no allocation. Errors
 * are negative errno codes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HEADER_MIN 12
#define RTP_FRAME_SAMPLES 960 /* one 20 ms Opus frame at 48 kHz */

/* Network byte order, for the fields of RTP, RTCP and SRTP. */
static inline uint32_t
rtp_get32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t
rtp_get16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
rtp_put16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static inline void
rtp_put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
#define RTCP_MAX_REPORTS 31

typedef struct {
  bool marker;
  uint8_t payload_type;
  uint16_t seq;
  uint32_t timestamp;
  uint32_t ssrc;
  size_t header_len; /* fixed header + CSRCs + extension */
  size_t payload_len; /* without padding */
  uint16_t ext_profile; /* 0 when there is no extension */
  const uint8_t *ext;   /* extension body (borrowed), ext_len bytes */
  size_t ext_len;
} RtpHeader;

/* Parses an RTP packet. Returns 0, or -EINVAL (not RTP version 2, lengths
 * inconsistent). */
int rtp_parse(const uint8_t *buf, size_t len, RtpHeader *out);

/* RFC 6464 audio level from a one-byte-header extension (RFC 8285) with
 * element @id: 0 (loudest) .. 127 (silence) in -dBov, or -ENOENT. */
int rtp_audio_level(const RtpHeader *hdr, int id, bool *voice);

/* RFC 5761 4: does this datagram hold RTCP rather than RTP? */
bool rtp_is_rtcp(const uint8_t *buf, size_t len);

typedef struct {
  uint32_t ssrc; /* the source reported on */
  uint8_t fraction_lost;
  int32_t cumulative_lost;
  uint32_t highest_seq;
  uint32_t jitter;
  uint32_t lsr;
  uint32_t dlsr;
} RtcpReportBlock;

typedef struct {
  uint32_t sender_ssrc;
  size_t n_reports;
  RtcpReportBlock reports[RTCP_MAX_REPORTS];
  /* sender report, when the compound packet has one */
  bool has_sr;
  uint64_t sr_ntp;
  uint32_t sr_rtp_ts, sr_packets, sr_octets;
  unsigned n_packets; /* RTCP packets in the compound packet */
} RtcpInfo;

/* Walks a (decrypted) compound RTCP packet and collects sender/receiver
 * report blocks; other packet types are counted and skipped. Returns 0, or
 * -EINVAL when a length field overruns or the packet is not RTCP. */
int rtcp_parse(const uint8_t *buf, size_t len, RtcpInfo *out);

/* Builds a sender report with no report blocks (28 bytes) into @buf.
 * Returns the length or -ENOSPC. */
int rtcp_build_sr(uint8_t *buf, size_t size, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
                  uint32_t packets, uint32_t octets);

/* Appends an SDES packet with one CNAME chunk to @buf. Returns the length
 * or -ENOSPC / -EINVAL (CNAME longer than 255). */
int rtcp_build_sdes_cname(uint8_t *buf, size_t size, uint32_t ssrc, const char *cname);

/* A Unix time in microseconds as a 64-bit NTP timestamp (RFC 3550 4):
 * seconds since 1900 in the high 32 bits. Its middle 32 bits
 * (ntp >> 16) are what LSR and rtcp_rtt() use. */
uint64_t rtp_ntp_time(int64_t unix_us);

/* Round-trip time in 1/65536 s from a report block (RFC 3550 6.4.1) and the
 * middle 32 bits of the NTP time it arrived at; -1 if the block has no LSR. */
int64_t rtcp_rtt(const RtcpReportBlock *block, uint32_t arrival_ntp_mid);
