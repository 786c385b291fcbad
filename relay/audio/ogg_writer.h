/* SPDX-License-Identifier: Apache-2.0 */
/* An Ogg/Opus stream writer (RFC 3533 pages, RFC 7845 mapping) for packets
 * that are already encoded: the recorder writes each product's own Opus
 * packets, never a re-encode. OpusHead and OpusTags, then pages of up to
 * OGG_PAGE_PACKETS packets (one second of 20 ms packets: what a crash can
 * lose), the last one flagged end-of-stream. Pre-skip 0: the file's first
 * packet is the item's first, so the duration is the packets'.
 * Pure: no GLib, no allocation, no I/O of its own (a write callback); the
 * callback's negative errno comes back unchanged. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define OGG_PAGE_PACKETS 50
#define OGG_MAX_SEGMENTS 255
#define OGG_MAX_BODY (OGG_MAX_SEGMENTS * 255)

/* Writes @len bytes; returns 0 or a negative errno. */
typedef int (*OggWriteFunc)(void *user, const uint8_t *data, size_t len);

typedef struct {
  OggWriteFunc write;
  void *user;
  uint32_t serial, page_seq;
  uint64_t granule; /* samples (48 kHz) of the packets completed so far */
  unsigned packets; /* on the page being built */
  unsigned n_segments;
  uint8_t segments[OGG_MAX_SEGMENTS];
  size_t body_len;
  uint8_t body[OGG_MAX_BODY];
  uint64_t bytes; /* written so far */
} OggWriter;

/* The Ogg CRC-32 (polynomial 0x04c11db7, no reflection, initial 0). */
uint32_t ogg_crc32(const uint8_t *data, size_t len);

/* Starts a stream and writes its two header pages. Returns 0 or the
 * callback's error. */
int ogg_opus_begin(OggWriter *w, uint32_t serial, unsigned channels, const char *vendor,
                   OggWriteFunc write, void *user);
/* Adds one Opus packet of @samples (48 kHz) samples; writes a page when
 * one is full. -EMSGSIZE for an empty or oversized packet. */
int ogg_opus_packet(OggWriter *w, const uint8_t *packet, size_t len, unsigned samples);
/* Writes what is pending now (a page boundary; 0 if nothing). */
int ogg_opus_flush(OggWriter *w);
/* The last page, end-of-stream. */
int ogg_opus_end(OggWriter *w);
