/* SPDX-License-Identifier: Apache-2.0 */
#include "srtp_link.h"

#include "srtp_sender.h"

#include <errno.h>
#include <limits.h>
#include <srtp2/srtp.h>
#include <stdlib.h>
#include <string.h>

struct SrtpLink {
  SrtpSender *rtp_tx; /* the fan-out's hot path */
  srtp_t tx;          /* SRTCP out (sender reports: once a second) */
  srtp_t rx;
};

int
srtp_link_init(void)
{
  return srtp_init() == srtp_err_status_ok ? 0 : -EIO;
}

static int
set_policy(srtp_policy_t *policy, const char *profile)
{
  if (strcmp(profile, "SRTP_AEAD_AES_128_GCM") == 0) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtcp);
    return 0;
  }
  if (strcmp(profile, "SRTP_AES128_CM_SHA1_80") == 0) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
    return 0;
  }
  return -EINVAL;
}

static int
make_context(srtp_t *ctx, const char *profile, const uint8_t *key, const uint8_t *salt,
             size_t key_len, size_t salt_len, srtp_ssrc_type_t direction)
{
  srtp_policy_t policy;
  uint8_t master[32 + 14];

  memset(&policy, 0, sizeof policy);
  if (set_policy(&policy, profile) < 0)
    return -EINVAL;
  memcpy(master, key, key_len);
  memcpy(master + key_len, salt, salt_len);
  policy.ssrc.type = direction;
  policy.key = master;
  policy.window_size = 1024;
  policy.allow_repeat_tx = 0;
  policy.next = NULL;
  int rc = srtp_create(ctx, &policy) == srtp_err_status_ok ? 0 : -EIO;
  memset(master, 0, sizeof master);
  return rc;
}

SrtpLink *
srtp_link_new(const DtlsSrtpKeys *keys)
{
  SrtpLink *link = calloc(1, sizeof *link);
  if (!link)
    return NULL;
  SrtpSenderProfile profile = strcmp(keys->profile, "SRTP_AEAD_AES_128_GCM") == 0
                                  ? SRTP_SENDER_AEAD_AES_128_GCM
                                  : SRTP_SENDER_AES_CM_SHA1_80;
  link->rtp_tx = srtp_sender_new(profile, keys->local_key, keys->key_len, keys->local_salt,
                                 keys->salt_len);
  if (!link->rtp_tx ||
      make_context(&link->tx, keys->profile, keys->local_key, keys->local_salt, keys->key_len,
                   keys->salt_len, ssrc_any_outbound) < 0 ||
      make_context(&link->rx, keys->profile, keys->remote_key, keys->remote_salt, keys->key_len,
                   keys->salt_len, ssrc_any_inbound) < 0) {
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
  srtp_sender_free(link->rtp_tx);
  if (link->tx)
    srtp_dealloc(link->tx);
  if (link->rx)
    srtp_dealloc(link->rx);
  free(link);
}

int
srtp_link_protect(SrtpLink *link, uint8_t *buf, size_t len, size_t cap)
{
  if (cap < len + SRTP_LINK_TRAILER)
    return -EINVAL;
  return srtp_sender_protect(link->rtp_tx, buf, len, cap);
}

int
srtp_link_protect_rtcp(SrtpLink *link, uint8_t *buf, size_t len, size_t cap)
{
  if (len < 8 || cap < len + SRTP_LINK_TRAILER || len > INT_MAX / 2)
    return -EINVAL;
  int n = (int)len;
  return srtp_protect_rtcp(link->tx, buf, &n) == srtp_err_status_ok ? n : -EIO;
}

int
srtp_link_unprotect_rtcp(SrtpLink *link, uint8_t *buf, size_t len)
{
  if (len < 8 || len > INT_MAX / 2)
    return -EINVAL;
  int n = (int)len;
  return srtp_unprotect_rtcp(link->rx, buf, &n) == srtp_err_status_ok ? n : -EIO;
}

int
srtp_link_unprotect(SrtpLink *link, uint8_t *buf, size_t len)
{
  if (len < 12 || len > INT_MAX / 2)
    return -EINVAL;
  int n = (int)len;
  return srtp_unprotect(link->rx, buf, &n) == srtp_err_status_ok ? n : -EIO;
}
