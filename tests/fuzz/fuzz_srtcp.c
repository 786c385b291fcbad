/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: SRTCP as peers send it, through the relay's own
 * unprotect (tag check, decryption, replay window), for both profiles. The
 * first input byte picks the profile; the keys are fixed. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "srtp_link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static SrtpLink *
link_for(int gcm)
{
  DtlsSrtpKeys k;
  memset(&k, 0x5a, sizeof k);
  k.profile = gcm ? "SRTP_AEAD_AES_128_GCM" : "SRTP_AES128_CM_SHA1_80";
  k.key_len = 16;
  k.salt_len = gcm ? 12 : 14;
  return srtp_link_new(&k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static SrtpLink *links[2];
  uint8_t buf[2048 + SRTP_LINK_TRAILER];
  if (size < 1 || size > 2048)
    return 0;
  int gcm = data[0] & 1;
  if (!links[gcm])
    links[gcm] = link_for(gcm);
  /* a valid packet of ours must come back, whatever came before */
  memcpy(buf, data + 1, size - 1);
  srtp_link_unprotect_rtcp(links[gcm], buf, size - 1);
  uint8_t sr[28 + SRTP_LINK_TRAILER] = {0x80, 200, 0, 6, 0, 0, 0, 1};
  int n = srtp_link_protect_rtcp(links[gcm], sr, 28, sizeof sr);
  if (n <= 28 || srtp_link_unprotect_rtcp(links[gcm], sr, (size_t)n) != 28)
    __builtin_trap();
  return 0;
}
