/* SPDX-License-Identifier: Apache-2.0 */
#include "sdpgen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *buf;
  size_t size, len;
  int err;
} Out;

static void
put(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(Out *o, const char *fmt, ...)
{
  va_list ap;
  if (o->err)
    return;
  va_start(ap, fmt);
  int n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= o->size - o->len) {
    o->err = -ENOSPC;
    return;
  }
  o->len += (size_t)n;
}

/* One receive-only Opus section; the transport's lines in every one of a
 * bundle (JSEP), the candidates in the first. */
static void
put_section(Out *o, const LoadgenSdpParams *p, const char *mid, int with_candidates)
{
  put(o, "m=audio 9 UDP/TLS/RTP/SAVPF %d\r\nc=IN IP4 0.0.0.0\r\n", p->payload_type);
  put(o, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", p->ice_ufrag, p->ice_pwd);
  put(o, "a=fingerprint:sha-256 %s\r\na=setup:%s\r\n", p->fingerprint, p->setup);
  put(o, "a=mid:%s\r\na=recvonly\r\na=rtcp-mux\r\n", mid);
  put(o, "a=rtpmap:%d opus/48000/2\r\n", p->payload_type);
  put(o, "a=fmtp:%d minptime=10;useinbandfec=1\r\n", p->payload_type);
  if (!with_candidates)
    return;
  for (size_t i = 0; i < p->n_candidates; i++) {
    const SdpCandidate *c = &p->candidates[i];
    put(o, "a=candidate:%s %u %s %" PRIu32 " %s %u typ %s\r\n", c->foundation, c->component,
        c->transport, c->priority, c->address, (unsigned)c->port, c->type);
  }
  put(o, "a=end-of-candidates\r\n");
}

int
loadgen_sdp_print(const LoadgenSdpParams *p, char *buf, size_t size)
{
  Out o = {buf, size, 0, 0};

  if (!p->ice_ufrag || !p->ice_pwd || !p->fingerprint || !p->setup || !p->mid ||
      p->payload_type < 0 || p->payload_type > 127 || size == 0 ||
      (p->channel_mid && strcmp(p->channel_mid, p->mid) == 0))
    return -EINVAL;
  buf[0] = '\0';
  put(&o, "v=0\r\no=- %" PRIu64 " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", p->session_id);
  if (p->channel_mid)
    put(&o, "a=group:BUNDLE %s %s\r\n", p->mid, p->channel_mid);
  else
    put(&o, "a=group:BUNDLE %s\r\n", p->mid);
  put_section(&o, p, p->mid, 1);
  if (p->channel_mid)
    put_section(&o, p, p->channel_mid, 0);
  return o.err ? o.err : (int)o.len;
}

int
loadgen_sdp_track_ssrc(const char *sdp, const char *track, uint32_t *ssrc)
{
  size_t tlen = strlen(track);
  for (const char *line = sdp; line && *line;) {
    const char *eol = strpbrk(line, "\r\n");
    size_t n = eol ? (size_t)(eol - line) : strlen(line);
    if (n > 7 && strncmp(line, "a=ssrc:", 7) == 0) {
      char *end = NULL;
      unsigned long v = strtoul(line + 7, &end, 10);
      static const char msid[] = " msid:rostrum ";
      size_t rest = n - (size_t)(end - line);
      if (end != line + 7 && v <= UINT32_MAX && rest == sizeof msid - 1 + tlen &&
          strncmp(end, msid, sizeof msid - 1) == 0 &&
          strncmp(end + sizeof msid - 1, track, tlen) == 0) {
        *ssrc = (uint32_t)v;
        return 0;
      }
    }
    line = eol ? eol + strspn(eol, "\r\n") : NULL;
  }
  return -ENOENT;
}
