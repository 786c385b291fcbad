/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the venue RTP port's checks (venue_rtp.c), for every
 * format, on whatever a datagram may hold. */
#include <stddef.h>
#include <stdint.h>

#include "venue_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const VenueRtpFormat formats[] = {
      {VENUE_RTP_L24, 2, 97, 1},  {VENUE_RTP_L24, 1, 97, 4},    {VENUE_RTP_L16, 2, 98, 1},
      {VENUE_RTP_L16, 1, 98, 20}, {VENUE_RTP_OPUS, 2, 111, 20}, {VENUE_RTP_OPUS, 2, 111, 10},
  };
  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
    VenueRtpVerdict v = venue_rtp_check(&formats[i], data, size);
    if (v != VENUE_RTP_OK && v != VENUE_RTP_NOT_RTP && v != VENUE_RTP_BAD_PT &&
        v != VENUE_RTP_BAD_FORMAT)
      __builtin_trap();
    if (v == VENUE_RTP_OK && size < 13)
      __builtin_trap();
  }
  if (size > 0) {
    int n = venue_rtp_opus_samples(data, size);
    if (n > 5760 || (n < 120 && n != -1))
      __builtin_trap();
  }
  return 0;
}
