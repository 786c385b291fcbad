/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the relay's SDP offer parser and answer printer. */
#include <stddef.h>
#include <stdint.h>

#include "sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static SdpOffer offer, back;
  static char answer[16384];
  if (sdp_parse_offer((const char *)data, size, &offer) < 0)
    return 0;
  SdpPlan plan;
  if (sdp_plan(&offer, size % 4, &plan) < 0)
    return 0;
  SdpCandidate cand = {.foundation = "1", .component = 1, .transport = "udp", .priority = 1,
                       .address = "127.0.0.1", .port = 9, .type = "host"};
  SdpAnswerParams p = {.offer = &offer, .plan = &plan, .ice_ufrag = "u", .ice_pwd = "p",
                       .fingerprint = "AA", .setup = SDP_SETUP_PASSIVE, .cname = "c",
                       .n_candidates = 1, .candidates = &cand};
  int n = sdp_print_answer(&p, answer, sizeof answer);
  /* whatever the relay prints must parse back */
  if (n > 0 && sdp_parse_offer(answer, (size_t)n, &back) != 0)
    __builtin_trap();
  return 0;
}
