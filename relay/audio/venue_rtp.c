/* SPDX-License-Identifier: Apache-2.0 */
#include "venue_rtp.h"

#include "rtp.h"

int
venue_rtp_opus_samples(const uint8_t *payload, size_t len)
{
  /* frame length per TOC config, in 1/10 ms: SILK 10/20/40/60, hybrid
   * 10/20, CELT 2.5/5/10/20 */
  static const int tenths[32] = {100, 200, 400, 600, 100, 200, 400, 600, 100, 200, 400,
                                 600, 100, 200, 100, 200, 25,  50,  100, 200, 25,  50,
                                 100, 200, 25,  50,  100, 200, 25,  50,  100, 200};
  if (len < 1)
    return -1;
  int frame = tenths[payload[0] >> 3] * 48 / 10;
  int frames;
  switch (payload[0] & 3) {
  case 0:
    frames = 1;
    break;
  case 1:
  case 2:
    frames = 2;
    if (len < 2)
      return -1;
    break;
  default:
    if (len < 2)
      return -1;
    frames = payload[1] & 0x3f;
    break;
  }
  if (frames == 0 || frames * frame > 5760)
    return -1;
  return frames * frame;
}

VenueRtpVerdict
venue_rtp_check(const VenueRtpFormat *fmt, const uint8_t *pkt, size_t len)
{
  RtpHeader h;
  if (rtp_parse(pkt, len, &h) < 0)
    return VENUE_RTP_NOT_RTP;
  if (h.payload_type != fmt->pt || rtp_is_rtcp(pkt, len))
    return VENUE_RTP_BAD_PT;
  const uint8_t *payload = pkt + h.header_len;
  size_t want;
  switch (fmt->encoding) {
  case VENUE_RTP_L24:
    want = (size_t)fmt->ptime_ms * 48 * fmt->channels * 3;
    return h.payload_len == want ? VENUE_RTP_OK : VENUE_RTP_BAD_FORMAT;
  case VENUE_RTP_L16:
    want = (size_t)fmt->ptime_ms * 48 * fmt->channels * 2;
    return h.payload_len == want ? VENUE_RTP_OK : VENUE_RTP_BAD_FORMAT;
  case VENUE_RTP_OPUS:
    return venue_rtp_opus_samples(payload, h.payload_len) == (int)fmt->ptime_ms * 48
               ? VENUE_RTP_OK
               : VENUE_RTP_BAD_FORMAT;
  }
  return VENUE_RTP_BAD_FORMAT;
}

const char *
venue_rtp_verdict_name(VenueRtpVerdict v)
{
  switch (v) {
  case VENUE_RTP_OK:
    return "ok";
  case VENUE_RTP_NOT_RTP:
    return "not_rtp";
  case VENUE_RTP_BAD_PT:
    return "payload_type";
  case VENUE_RTP_BAD_FORMAT:
    return "format";
  }
  return "?";
}
