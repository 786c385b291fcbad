/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: RTP and RTCP header parsing of what peers send. */
#include <stddef.h>
#include <stdint.h>

#include "rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  RtpHeader h;
  RtcpInfo info;
  if (rtp_is_rtcp(data, size)) {
    if (rtcp_parse(data, size, &info) == 0 && info.n_reports > RTCP_MAX_REPORTS)
      __builtin_trap();
    return 0;
  }
  if (rtp_parse(data, size, &h) == 0) {
    if (h.header_len + h.payload_len > size)
      __builtin_trap();
    for (int id = 1; id <= 14; id++)
      rtp_audio_level(&h, id, NULL);
  }
  return 0;
}
