/* SPDX-License-Identifier: Apache-2.0 */
#include "srtp_link.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_WINDOW 64

struct SrtpLink {
  SecureRtp *rtp_tx;
  SecureRtp *rtcp_tx;
  SecureRtp *rtcp_rx;
  /* RTP out: the rollover counter follows the floor's sequence numbers */
  uint32_t roc;
  uint16_t last_seq;
  bool rtp_started;
  uint32_t rtcp_index; /* next SRTCP index out */
  /* SRTCP in: highest index seen and a bitmap of the 64 below it */
  uint32_t rx_max;
  uint64_t rx_seen;
  bool rx_started;
};

SrtpLink *
srtp_link_new(const DtlsSrtpKeys *keys)
{
  SecureRtpProfile profile;
  SrtpLink *link;
  if (strcmp(keys->profile, "SRTP_AEAD_AES_128_GCM") == 0)
    profile = SECURE_RTP_AEAD_AES_128_GCM;
  else if (strcmp(keys->profile, "SRTP_AES128_CM_SHA1_80") == 0)
    profile = SECURE_RTP_AES_CM_SHA1_80;
  else
    return NULL;
  if (!(link = calloc(1, sizeof *link)))
    return NULL;
  link->rtp_tx = secure_rtp_new(profile, false, keys->local_key, keys->key_len,
                                 keys->local_salt, keys->salt_len);
  link->rtcp_tx = secure_rtp_new(profile, true, keys->local_key, keys->key_len,
                                  keys->local_salt, keys->salt_len);
  link->rtcp_rx = secure_rtp_new(profile, true, keys->remote_key, keys->key_len,
                                  keys->remote_salt, keys->salt_len);
  if (!link->rtp_tx || !link->rtcp_tx || !link->rtcp_rx) {
    srtp_link_free(link);
    return NULL;
  }
  return link;
}

void
srtp_link_free(SrtpLink *link)
{
  if (!link)
    return;
  secure_rtp_free(link->rtp_tx);
  secure_rtp_free(link->rtcp_tx);
  secure_rtp_free(link->rtcp_rx);
  free(link);
}

int
srtp_link_protect(SrtpLink *link, uint8_t *buf, size_t len, size_t cap)
{
  if (len < 12)
    return -EINVAL;
  uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
  /* in order: a step back by more than half the space is a wrap */
  if (link->rtp_started && seq < link->last_seq && (uint16_t)(link->last_seq - seq) > 0x8000)
    link->roc++;
  link->last_seq = seq;
  link->rtp_started = true;
  return secure_rtp_protect_rtp(link->rtp_tx, buf, len, cap, link->roc);
}

int
srtp_link_protect_rtcp(SrtpLink *link, uint8_t *buf, size_t len, size_t cap)
{
  int n = secure_rtp_protect_rtcp(link->rtcp_tx, buf, len, cap, link->rtcp_index);
  if (n > 0)
    link->rtcp_index = (link->rtcp_index + 1) & 0x7fffffffu;
  return n;
}

static bool
replayed(const SrtpLink *link, uint32_t index)
{
  if (!link->rx_started || index > link->rx_max)
    return false;
  uint32_t age = link->rx_max - index;
  return age >= REPLAY_WINDOW || (link->rx_seen & (1ull << age));
}

static void
remember(SrtpLink *link, uint32_t index)
{
  if (!link->rx_started) {
    link->rx_started = true;
    link->rx_max = index;
    link->rx_seen = 1;
  } else if (index > link->rx_max) {
    uint32_t shift = index - link->rx_max;
    link->rx_seen = shift >= REPLAY_WINDOW ? 1 : (link->rx_seen << shift) | 1;
    link->rx_max = index;
  } else {
    link->rx_seen |= 1ull << (link->rx_max - index);
  }
}

int
srtp_link_unprotect_rtcp(SrtpLink *link, uint8_t *buf, size_t len)
{
  uint32_t index;
  /* authenticated first, so a forged index cannot move the window */
  int n = secure_rtp_unprotect_rtcp(link->rtcp_rx, buf, len, &index);
  if (n < 0)
    return n;
  if (replayed(link, index))
    return -EALREADY;
  remember(link, index);
  return n;
}
