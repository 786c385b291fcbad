/* SPDX-License-Identifier: Apache-2.0 */
#include "ogg_writer.h"

#include <errno.h>
#include <string.h>

#define FLAG_BOS 0x02
#define FLAG_EOS 0x04

uint32_t
ogg_crc32(const uint8_t *data, size_t len)
{
  uint32_t crc = 0;
  for (size_t i = 0; i < len; i++) {
    crc ^= (uint32_t)data[i] << 24;
    for (int b = 0; b < 8; b++)
      crc = crc & 0x80000000u ? crc << 1 ^ 0x04c11db7u : crc << 1;
  }
  return crc;
}

static void
put_le32(uint8_t *p, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static void
put_le64(uint8_t *p, uint64_t v)
{
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* Writes the page being built (possibly empty, for the EOS page). */
static int
write_page(OggWriter *w, uint8_t flags)
{
  uint8_t page[27 + OGG_MAX_SEGMENTS + OGG_MAX_BODY];
  size_t n = 27 + w->n_segments + w->body_len;
  memcpy(page, "OggS", 4);
  page[4] = 0;
  page[5] = flags;
  put_le64(page + 6, w->granule);
  put_le32(page + 14, w->serial);
  put_le32(page + 18, w->page_seq++);
  put_le32(page + 22, 0);
  page[26] = (uint8_t)w->n_segments;
  memcpy(page + 27, w->segments, w->n_segments);
  memcpy(page + 27 + w->n_segments, w->body, w->body_len);
  put_le32(page + 22, ogg_crc32(page, n));
  w->n_segments = 0;
  w->body_len = 0;
  w->packets = 0;
  int rc = w->write(w->user, page, n);
  if (rc == 0)
    w->bytes += n;
  return rc;
}

/* Laces @len bytes onto the page; the caller made sure they fit. */
static void
add_packet(OggWriter *w, const uint8_t *data, size_t len)
{
  size_t left = len;
  while (left >= 255) {
    w->segments[w->n_segments++] = 255;
    left -= 255;
  }
  w->segments[w->n_segments++] = (uint8_t)left;
  memcpy(w->body + w->body_len, data, len);
  w->body_len += len;
  w->packets++;
}

static unsigned
segments_of(size_t len)
{
  return (unsigned)(len / 255 + 1);
}

int
ogg_opus_begin(OggWriter *w, uint32_t serial, unsigned channels, const char *vendor,
               OggWriteFunc write, void *user)
{
  uint8_t head[19] = {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, (uint8_t)channels};
  uint8_t tags[8 + 4 + 64 + 4];
  size_t vlen = strnlen(vendor, 64);
  int rc;
  memset(w, 0, sizeof *w);
  w->write = write;
  w->user = user;
  w->serial = serial;
  /* pre-skip 0 (head[10..11]), input rate 48000, gain 0, mapping family 0 */
  put_le32(head + 12, 48000);
  add_packet(w, head, sizeof head);
  if ((rc = write_page(w, FLAG_BOS)) < 0)
    return rc;
  memcpy(tags, "OpusTags", 8);
  put_le32(tags + 8, (uint32_t)vlen);
  memcpy(tags + 12, vendor, vlen);
  put_le32(tags + 12 + vlen, 0); /* no user comments */
  add_packet(w, tags, 16 + vlen);
  return write_page(w, 0);
}

int
ogg_opus_packet(OggWriter *w, const uint8_t *packet, size_t len, unsigned samples)
{
  int rc;
  if (len == 0 || segments_of(len) > OGG_MAX_SEGMENTS)
    return -EMSGSIZE;
  if (w->n_segments + segments_of(len) > OGG_MAX_SEGMENTS && (rc = write_page(w, 0)) < 0)
    return rc;
  add_packet(w, packet, len);
  w->granule += samples;
  if (w->packets >= OGG_PAGE_PACKETS)
    return write_page(w, 0);
  return 0;
}

int
ogg_opus_flush(OggWriter *w)
{
  return w->packets ? write_page(w, 0) : 0;
}

int
ogg_opus_end(OggWriter *w)
{
  return write_page(w, FLAG_EOS);
}
