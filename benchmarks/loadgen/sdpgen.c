/* SPDX-License-Identifier: Apache-2.0 */
#include "sdpgen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

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

int
loadgen_sdp_print(const LoadgenSdpParams *p, char *buf, size_t size)
{
  Out o = {buf, size, 0, 0};

  if (!p->ice_ufrag || !p->ice_pwd || !p->fingerprint || !p->setup || !p->mid ||
      p->payload_type < 0 || p->payload_type > 127 || size == 0)
    return -EINVAL;
  buf[0] = '\0';
  put(&o, "v=0\r\no=- %" PRIu64 " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", p->session_id);
  put(&o, "a=group:BUNDLE %s\r\n", p->mid);
  put(&o, "m=audio 9 UDP/TLS/RTP/SAVPF %d\r\nc=IN IP4 0.0.0.0\r\n", p->payload_type);
  put(&o, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", p->ice_ufrag, p->ice_pwd);
  put(&o, "a=fingerprint:sha-256 %s\r\na=setup:%s\r\n", p->fingerprint, p->setup);
  put(&o, "a=mid:%s\r\na=recvonly\r\na=rtcp-mux\r\n", p->mid);
  put(&o, "a=rtpmap:%d opus/48000/2\r\n", p->payload_type);
  put(&o, "a=fmtp:%d minptime=10;useinbandfec=1\r\n", p->payload_type);
  for (size_t i = 0; i < p->n_candidates; i++) {
    const SdpCandidate *c = &p->candidates[i];
    put(&o, "a=candidate:%s %u %s %" PRIu32 " %s %u typ %s\r\n", c->foundation, c->component,
        c->transport, c->priority, c->address, (unsigned)c->port, c->type);
  }
  put(&o, "a=end-of-candidates\r\n");
  return o.err ? o.err : (int)o.len;
}
