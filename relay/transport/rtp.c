/* SPDX-License-Identifier: Apache-2.0 */
#include "rtp.h"

#include <errno.h>
#include <string.h>

static uint16_t
rd16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

static void
wr16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

bool
rtp_is_rtcp(const uint8_t *buf, size_t len)
{
  return len >= 8 && (buf[0] & 0xc0) == 0x80 && buf[1] >= 192 && buf[1] <= 223;
}

int
rtp_parse(const uint8_t *buf, size_t len, RtpHeader *out)
{
  size_t off, padding = 0;
  memset(out, 0, sizeof *out);
  if (len < RTP_HEADER_MIN || (buf[0] & 0xc0) != 0x80)
    return -EINVAL;
  out->marker = (buf[1] & 0x80) != 0;
  out->payload_type = buf[1] & 0x7f;
  out->seq = rd16(buf + 2);
  out->timestamp = rtp_get32(buf + 4);
  out->ssrc = rtp_get32(buf + 8);
  off = RTP_HEADER_MIN + 4u * (buf[0] & 0x0f);
  if (off > len)
    return -EINVAL;
  if (buf[0] & 0x10) {
    if (off + 4 > len)
      return -EINVAL;
    out->ext_profile = rd16(buf + off);
    out->ext_len = 4u * rd16(buf + off + 2);
    out->ext = buf + off + 4;
    off += 4 + out->ext_len;
    if (off > len)
      return -EINVAL;
  }
  if (buf[0] & 0x20) {
    padding = buf[len - 1];
    if (padding == 0 || off + padding > len)
      return -EINVAL;
  }
  out->header_len = off;
  out->payload_len = len - off - padding;
  return 0;
}

int
rtp_audio_level(const RtpHeader *hdr, int id, bool *voice)
{
  if (hdr->ext_profile != 0xBEDE || id < 1 || id > 14)
    return -ENOENT;
  for (size_t i = 0; i < hdr->ext_len;) {
    uint8_t b = hdr->ext[i];
    if (b == 0) { /* padding */
      i++;
      continue;
    }
    unsigned elem_id = b >> 4, elem_len = (b & 0x0f) + 1u;
    if (elem_id == 15 || i + 1 + elem_len > hdr->ext_len)
      return -ENOENT;
    if ((int)elem_id == id) {
      if (voice)
        *voice = (hdr->ext[i + 1] & 0x80) != 0;
      return hdr->ext[i + 1] & 0x7f;
    }
    i += 1 + elem_len;
  }
  return -ENOENT;
}

static void
read_block(const uint8_t *p, RtcpReportBlock *b)
{
  b->ssrc = rtp_get32(p);
  b->fraction_lost = p[4];
  uint32_t lost = (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
  b->cumulative_lost = (lost & 0x800000) ? (int32_t)(lost | 0xff000000u) : (int32_t)lost;
  b->highest_seq = rtp_get32(p + 8);
  b->jitter = rtp_get32(p + 12);
  b->lsr = rtp_get32(p + 16);
  b->dlsr = rtp_get32(p + 20);
}

static void
read_blocks(RtcpInfo *out, const uint8_t *p, size_t count)
{
  for (size_t i = 0; i < count && out->n_reports < RTCP_MAX_REPORTS; i++)
    read_block(p + 24 * i, &out->reports[out->n_reports++]);
}

int
rtcp_parse(const uint8_t *buf, size_t len, RtcpInfo *out)
{
  size_t off = 0;
  memset(out, 0, sizeof *out);
  if (!rtp_is_rtcp(buf, len))
    return -EINVAL;
  while (off < len) {
    if (len - off < 4 || (buf[off] & 0xc0) != 0x80)
      return -EINVAL;
    size_t count = buf[off] & 0x1f;
    uint8_t type = buf[off + 1];
    size_t plen = 4u * (rd16(buf + off + 2) + 1u);
    if (plen > len - off)
      return -EINVAL;
    const uint8_t *p = buf + off;
    if (type == 200) { /* SR: ssrc, NTP, RTP ts, packets, octets, blocks */
      if (plen < 28 + 24 * count)
        return -EINVAL;
      out->sender_ssrc = rtp_get32(p + 4);
      out->has_sr = true;
      out->sr_ntp = (uint64_t)rtp_get32(p + 8) << 32 | rtp_get32(p + 12);
      out->sr_rtp_ts = rtp_get32(p + 16);
      out->sr_packets = rtp_get32(p + 20);
      out->sr_octets = rtp_get32(p + 24);
      read_blocks(out, p + 28, count);
    } else if (type == 201) { /* RR: ssrc, blocks */
      if (plen < 8 + 24 * count)
        return -EINVAL;
      out->sender_ssrc = rtp_get32(p + 4);
      read_blocks(out, p + 8, count);
    }
    out->n_packets++;
    off += plen;
  }
  return 0;
}

int
rtcp_build_sr(uint8_t *buf, size_t size, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
              uint32_t packets, uint32_t octets)
{
  if (size < 28)
    return -ENOSPC;
  buf[0] = 0x80;
  buf[1] = 200;
  wr16(buf + 2, 6); /* length in 32-bit words minus one */
  rtp_put32(buf + 4, ssrc);
  rtp_put32(buf + 8, (uint32_t)(ntp >> 32));
  rtp_put32(buf + 12, (uint32_t)ntp);
  rtp_put32(buf + 16, rtp_ts);
  rtp_put32(buf + 20, packets);
  rtp_put32(buf + 24, octets);
  return 28;
}

int
rtcp_build_sdes_cname(uint8_t *buf, size_t size, uint32_t ssrc, const char *cname)
{
  size_t n = strlen(cname);
  /* header, ssrc, CNAME item (type, length, text), a null item, pad to 32 bits */
  size_t len = (8 + 2 + n + 1 + 3) & ~(size_t)3;
  if (n > 255)
    return -EINVAL;
  if (size < len)
    return -ENOSPC;
  memset(buf, 0, len);
  buf[0] = 0x81;
  buf[1] = 202;
  wr16(buf + 2, (uint16_t)(len / 4 - 1));
  rtp_put32(buf + 4, ssrc);
  buf[8] = 1;
  buf[9] = (uint8_t)n;
  memcpy(buf + 10, cname, n);
  return (int)len;
}

uint64_t
rtp_ntp_time(int64_t unix_us)
{
  uint64_t secs = (uint64_t)(unix_us / 1000000) + 2208988800u;
  uint64_t frac = ((uint64_t)(unix_us % 1000000) << 32) / 1000000;
  return secs << 32 | frac;
}

int64_t
rtcp_rtt(const RtcpReportBlock *block, uint32_t arrival_ntp_mid)
{
  if (block->lsr == 0)
    return -1;
  uint32_t rtt = arrival_ntp_mid - block->lsr - block->dlsr;
  return (int64_t)rtt;
}
