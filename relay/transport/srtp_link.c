/* SPDX-License-Identifier: Apache-2.0 */
#include "srtp_link.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_WINDOW 64

/* Highest index seen and a bitmap of the REPLAY_WINDOW below it. */
typedef struct {
  uint64_t max;
  uint64_t seen;
  bool started;
} ReplayWindow;

struct SrtpLink {
  SecureRtp *rtp_tx;
  SecureRtp *rtp_rx;
  SecureRtp *rtcp_tx;
  SecureRtp *rtcp_rx;
  /* RTP out: a rollover counter per stream (RFC 3711 3.3.1 keeps one per
   * SSRC): the floor track and the channel track number their packets
   * independently, and one counter shared by both would count the jumps
   * between them as wraps */
  struct {
    uint32_t ssrc, roc;
    uint16_t last_seq;
    bool started;
  } out[SRTP_LINK_STREAMS];
  uint32_t rtcp_index; /* next SRTCP index out */
  ReplayWindow rtcp_rx_window;
  /* SRTP in: the peer's rollover counter as estimated, and its window */
  uint32_t rx_roc;
  uint16_t rx_seq;
  ReplayWindow rtp_rx_window;
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
  link->rtp_rx = secure_rtp_new(profile, false, keys->remote_key, keys->key_len,
                                keys->remote_salt, keys->salt_len);
  if (!link->rtp_tx || !link->rtcp_tx || !link->rtcp_rx || !link->rtp_rx) {
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
  secure_rtp_free(link->rtp_rx);
  free(link);
}

void
srtp_link_prefetch(const SrtpLink *link, int stage)
{
  secure_rtp_prefetch(link->rtp_tx, stage);
}

int
srtp_link_protect(SrtpLink *link, uint8_t *buf, size_t len, size_t cap)
{
  if (len < 12)
    return -EINVAL;
  uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
  uint32_t ssrc = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 | (uint32_t)buf[10] << 8 | buf[11];
  unsigned k = 0;
  while (k < SRTP_LINK_STREAMS && link->out[k].started && link->out[k].ssrc != ssrc)
    k++;
  if (k == SRTP_LINK_STREAMS)
    return -ENOSPC; /* a stream more than the tracks the peer has */
  if (!link->out[k].started) {
    link->out[k].ssrc = ssrc;
    link->out[k].started = true;
    link->out[k].last_seq = seq;
  }
  /* in order: a step back by more than half the space is a wrap */
  if (seq < link->out[k].last_seq && (uint16_t)(link->out[k].last_seq - seq) > 0x8000)
    link->out[k].roc++;
  link->out[k].last_seq = seq;
  return secure_rtp_protect_rtp(link->rtp_tx, buf, len, cap, link->out[k].roc);
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
replayed(const ReplayWindow *w, uint64_t index)
{
  if (!w->started || index > w->max)
    return false;
  uint64_t age = w->max - index;
  return age >= REPLAY_WINDOW || (w->seen & (1ull << age));
}

static void
remember(ReplayWindow *w, uint64_t index)
{
  if (!w->started) {
    w->started = true;
    w->max = index;
    w->seen = 1;
  } else if (index > w->max) {
    uint64_t shift = index - w->max;
    w->seen = shift >= REPLAY_WINDOW ? 1 : (w->seen << shift) | 1;
    w->max = index;
  } else {
    w->seen |= 1ull << (w->max - index);
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
  if (replayed(&link->rtcp_rx_window, index))
    return -EALREADY;
  remember(&link->rtcp_rx_window, index);
  return n;
}

/* RFC 3711 3.3.1: the ROC the sender most likely used for @seq. */
static uint32_t
estimate_roc(const SrtpLink *link, uint16_t seq)
{
  if (!link->rtp_rx_window.started)
    return 0;
  if (link->rx_seq < 0x8000)
    return (seq > link->rx_seq && seq - link->rx_seq > 0x8000) ? link->rx_roc - 1 : link->rx_roc;
  return (link->rx_seq - 0x8000 > seq) ? link->rx_roc + 1 : link->rx_roc;
}

int
srtp_link_unprotect(SrtpLink *link, uint8_t *buf, size_t len)
{
  if (len < 12)
    return -EINVAL;
  uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
  uint32_t roc = estimate_roc(link, seq);
  uint64_t index = (uint64_t)roc << 16 | seq;
  if (replayed(&link->rtp_rx_window, index))
    return -EALREADY;
  int n = secure_rtp_unprotect_rtp(link->rtp_rx, buf, len, roc);
  if (n < 0)
    return n;
  if (!link->rtp_rx_window.started || index > link->rtp_rx_window.max) {
    link->rx_roc = roc;
    link->rx_seq = seq;
  }
  remember(&link->rtp_rx_window, index);
  return n;
}
