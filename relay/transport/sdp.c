/* SPDX-License-Identifier: Apache-2.0 */
#include "sdp.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A borrowed slice of the input. */
typedef struct {
  const char *p;
  size_t n;
} Span;

typedef struct {
  SdpOffer *out;
  SdpMedia *media; /* NULL at session level */
  /* media-level credentials seen in the first bundled m-line win */
  bool media_ufrag, media_pwd, media_fp, media_setup;
} ParseState;

static bool
span_eq(Span s, const char *lit)
{
  size_t n = strlen(lit);
  return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool
span_starts(Span s, const char *lit)
{
  size_t n = strlen(lit);
  return s.n >= n && memcmp(s.p, lit, n) == 0;
}

/* Next space-separated token of @s; advances @s. */
static Span
next_token(Span *s)
{
  while (s->n && *s->p == ' ') {
    s->p++;
    s->n--;
  }
  Span t = {s->p, 0};
  while (t.n < s->n && s->p[t.n] != ' ')
    t.n++;
  s->p += t.n;
  s->n -= t.n;
  return t;
}

/* Copies a printable ASCII token; @space_ok admits inner spaces. */
static int
copy_text(char *dst, size_t size, Span s, bool space_ok)
{
  if (s.n == 0)
    return -EINVAL;
  if (s.n >= size)
    return -E2BIG;
  for (size_t i = 0; i < s.n; i++) {
    unsigned char c = (unsigned char)s.p[i];
    if ((c < 0x21 && !(space_ok && c == ' ')) || c > 0x7e)
      return -EINVAL;
  }
  memcpy(dst, s.p, s.n);
  dst[s.n] = '\0';
  return 0;
}

static int
copy_span(char *dst, size_t size, Span s)
{
  return copy_text(dst, size, s, false);
}

static int
parse_uint(Span s, uint64_t max, uint64_t *out)
{
  uint64_t v = 0;
  if (s.n == 0 || s.n > 20)
    return -EINVAL;
  for (size_t i = 0; i < s.n; i++) {
    if (!isdigit((unsigned char)s.p[i]))
      return -EINVAL;
    v = v * 10 + (uint64_t)(s.p[i] - '0');
    if (v > max)
      return -EINVAL;
  }
  *out = v;
  return 0;
}

static void
lower(char *s)
{
  for (; *s; s++)
    *s = (char)tolower((unsigned char)*s);
}

static void
upper(char *s)
{
  for (; *s; s++)
    *s = (char)toupper((unsigned char)*s);
}

static int
parse_m_line(ParseState *st, Span v)
{
  SdpOffer *o = st->out;
  if (o->n_media >= SDP_MAX_MEDIA)
    return -E2BIG;
  SdpMedia *m = &o->media[o->n_media++];
  memset(m, 0, sizeof *m);
  m->opus_pt = -1;
  m->audio_level_ext = -1;
  st->media = m;

  Span media = next_token(&v);
  Span port = next_token(&v);
  Span proto = next_token(&v);
  uint64_t port_num;
  int rc;
  if ((rc = copy_span(m->media, sizeof m->media, media)) < 0 ||
      (rc = copy_span(m->proto, sizeof m->proto, proto)) < 0)
    return rc;
  /* "9" or "9/2": only the port matters */
  for (size_t i = 0; i < port.n; i++)
    if (port.p[i] == '/')
      port.n = i;
  if (parse_uint(port, 65535, &port_num) < 0)
    return -EINVAL;
  while (v.n && *v.p == ' ') {
    v.p++;
    v.n--;
  }
  return copy_text(m->formats, sizeof m->formats, v, true);
}

static int
parse_rtpmap(SdpMedia *m, Span v)
{
  Span pt = next_token(&v);
  Span enc = next_token(&v);
  uint64_t n;
  if (parse_uint(pt, 127, &n) < 0)
    return -EINVAL;
  /* RFC 7587 says opus/48000/2; some stacks (webrtcbin by default) omit the /2 */
  bool opus = (enc.n == strlen("opus/48000/2") && strncasecmp(enc.p, "opus/48000/2", enc.n) == 0) ||
              (enc.n == strlen("opus/48000") && strncasecmp(enc.p, "opus/48000", enc.n) == 0);
  if (opus && m->opus_pt < 0)
    m->opus_pt = (int)n;
  return 0;
}

static int
parse_extmap(SdpMedia *m, Span v)
{
  Span id = next_token(&v);
  Span uri = next_token(&v);
  uint64_t n;
  for (size_t i = 0; i < id.n; i++)
    if (id.p[i] == '/')
      id.n = i;
  if (parse_uint(id, 255, &n) < 0)
    return -EINVAL;
  if (span_eq(uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"))
    m->audio_level_ext = (int)n;
  return 0;
}

static int
parse_candidate(SdpOffer *o, Span v)
{
  SdpCandidate c;
  uint64_t n;
  int rc;
  memset(&c, 0, sizeof c);
  Span foundation = next_token(&v);
  Span component = next_token(&v);
  Span transport = next_token(&v);
  Span priority = next_token(&v);
  Span address = next_token(&v);
  Span port = next_token(&v);
  Span typ = next_token(&v);
  Span type = next_token(&v);
  if ((rc = copy_span(c.foundation, sizeof c.foundation, foundation)) < 0 ||
      (rc = copy_span(c.transport, sizeof c.transport, transport)) < 0 ||
      (rc = copy_span(c.address, sizeof c.address, address)) < 0 ||
      (rc = copy_span(c.type, sizeof c.type, type)) < 0)
    return rc;
  if (!span_eq(typ, "typ"))
    return -EINVAL;
  if (parse_uint(component, 256, &n) < 0)
    return -EINVAL;
  c.component = (unsigned)n;
  if (parse_uint(priority, UINT32_MAX, &n) < 0)
    return -EINVAL;
  c.priority = (uint32_t)n;
  if (parse_uint(port, 65535, &n) < 0)
    return -EINVAL;
  c.port = (uint16_t)n;
  lower(c.transport);
  lower(c.type);
  if (o->n_candidates >= SDP_MAX_CANDIDATES)
    return 0; /* enough to connect; extra ones are ignored, not an error */
  o->candidates[o->n_candidates++] = c;
  return 0;
}

static int
parse_fingerprint(SdpOffer *o, Span v)
{
  Span alg = next_token(&v);
  Span hex = next_token(&v);
  int rc;
  if ((rc = copy_span(o->fingerprint_alg, sizeof o->fingerprint_alg, alg)) < 0 ||
      (rc = copy_span(o->fingerprint, sizeof o->fingerprint, hex)) < 0)
    return rc;
  lower(o->fingerprint_alg);
  upper(o->fingerprint);
  for (const char *p = o->fingerprint; *p; p++)
    if (!isxdigit((unsigned char)*p) && *p != ':')
      return -EINVAL;
  return 0;
}

static int
parse_setup(SdpOffer *o, Span v)
{
  static const struct {
    const char *name;
    SdpSetup value;
  } setups[] = {
    {"actpass", SDP_SETUP_ACTPASS},
    {"active", SDP_SETUP_ACTIVE},
    {"passive", SDP_SETUP_PASSIVE},
  };
  for (size_t i = 0; i < sizeof setups / sizeof setups[0]; i++)
    if (span_eq(v, setups[i].name)) {
      o->setup = setups[i].value;
      return 0;
    }
  return -EINVAL;
}

/* Transport attributes: media level overrides session level, and the first
 * m-line's values win for the bundle. */
static bool
take_transport_attr(ParseState *st, bool *media_flag)
{
  if (!st->media)
    return !*media_flag;
  if (*media_flag)
    return false;
  *media_flag = true;
  return true;
}

static int
parse_attribute(ParseState *st, Span a)
{
  SdpOffer *o = st->out;
  SdpMedia *m = st->media;
  Span name = a, value = {a.p + a.n, 0};
  for (size_t i = 0; i < a.n; i++)
    if (a.p[i] == ':') {
      name.n = i;
      value.p = a.p + i + 1;
      value.n = a.n - i - 1;
      break;
    }

  if (span_eq(name, "ice-ufrag"))
    return take_transport_attr(st, &st->media_ufrag)
               ? copy_span(o->ice_ufrag, sizeof o->ice_ufrag, value)
               : 0;
  if (span_eq(name, "ice-pwd"))
    return take_transport_attr(st, &st->media_pwd)
               ? copy_span(o->ice_pwd, sizeof o->ice_pwd, value)
               : 0;
  if (span_eq(name, "fingerprint"))
    return take_transport_attr(st, &st->media_fp) ? parse_fingerprint(o, value) : 0;
  if (span_eq(name, "setup"))
    return take_transport_attr(st, &st->media_setup) ? parse_setup(o, value) : 0;
  if (span_eq(name, "candidate"))
    return (!m || m == &o->media[0]) ? parse_candidate(o, value) : 0;
  if (!m)
    return 0; /* other session-level attributes are not needed */
  if (span_eq(name, "mid"))
    return copy_span(m->mid, sizeof m->mid, value);
  if (span_eq(name, "rtpmap"))
    return parse_rtpmap(m, value);
  if (span_eq(name, "extmap"))
    return parse_extmap(m, value);
  if (span_eq(name, "rtcp-mux"))
    m->rtcp_mux = true;
  else if (span_eq(name, "sendonly"))
    m->direction = SDP_DIR_SENDONLY;
  else if (span_eq(name, "recvonly"))
    m->direction = SDP_DIR_RECVONLY;
  else if (span_eq(name, "inactive"))
    m->direction = SDP_DIR_INACTIVE;
  else if (span_eq(name, "sendrecv"))
    m->direction = SDP_DIR_SENDRECV;
  return 0;
}

int
sdp_parse_offer(const char *text, size_t len, SdpOffer *out)
{
  ParseState st = {.out = out};
  size_t pos = 0;
  bool first = true;
  int rc;

  memset(out, 0, sizeof *out);
  while (pos < len) {
    Span line = {text + pos, 0};
    while (pos + line.n < len && text[pos + line.n] != '\n')
      line.n++;
    pos += line.n + 1;
    if (line.n && line.p[line.n - 1] == '\r')
      line.n--;
    if (line.n == 0)
      continue;
    if (line.n < 2 || line.p[1] != '=' || !islower((unsigned char)line.p[0]))
      return -EINVAL;
    if (first && !span_starts(line, "v=0"))
      return -EINVAL;
    first = false;
    Span value = {line.p + 2, line.n - 2};
    /* no browser writes control characters (RFC 4566 text excludes NUL,
     * CR and LF; the rest only ever comes from a forged offer) */
    for (size_t i = 0; i < value.n; i++)
      if ((unsigned char)value.p[i] < 0x20 && value.p[i] != '\t')
        return -EINVAL;
    switch (line.p[0]) {
    case 'm':
      rc = parse_m_line(&st, value);
      break;
    case 'a':
      rc = parse_attribute(&st, value);
      break;
    default:
      rc = 0;
    }
    if (rc < 0)
      return rc;
  }
  if (first)
    return -EINVAL;
  if (out->n_media == 0 || !out->ice_ufrag[0] || !out->ice_pwd[0] || !out->fingerprint[0])
    return -ENOTSUP;
  return 0;
}

static bool
usable_audio(const SdpMedia *m)
{
  return strcmp(m->media, "audio") == 0 && strcmp(m->proto, "UDP/TLS/RTP/SAVPF") == 0 &&
         m->opus_pt >= 0 && m->rtcp_mux;
}

int
sdp_plan(const SdpOffer *offer, unsigned allow, SdpPlan *plan)
{
  memset(plan, 0, sizeof *plan);
  plan->floor_index = plan->channel_index = plan->mic_index = -1;
  for (size_t i = 0; i < offer->n_media; i++) {
    const SdpMedia *m = &offer->media[i];
    bool peer_receives = m->direction == SDP_DIR_RECVONLY || m->direction == SDP_DIR_SENDRECV;
    bool peer_sends = m->direction == SDP_DIR_SENDONLY || m->direction == SDP_DIR_SENDRECV;
    bool mic_free = (allow & SDP_ALLOW_MIC) && plan->mic_index < 0;
    if (!usable_audio(m))
      continue;
    if (peer_receives && plan->floor_index < 0) {
      plan->track[i] = SDP_TRACK_FLOOR;
      plan->floor_index = (int)i;
      if (peer_sends && mic_free) {
        plan->mic[i] = true;
        plan->mic_index = (int)i;
      }
    } else if (m->direction == SDP_DIR_RECVONLY && (allow & SDP_ALLOW_CHANNEL) &&
               plan->channel_index < 0) {
      plan->track[i] = SDP_TRACK_CHANNEL;
      plan->channel_index = (int)i;
    } else if (peer_sends && mic_free) {
      plan->track[i] = SDP_TRACK_MIC;
      plan->mic[i] = true;
      plan->mic_index = (int)i;
    }
  }
  return plan->floor_index < 0 ? -ENOENT : 0;
}

const char *
sdp_setup_name(SdpSetup setup)
{
  switch (setup) {
  case SDP_SETUP_ACTPASS:
    return "actpass";
  case SDP_SETUP_ACTIVE:
    return "active";
  case SDP_SETUP_PASSIVE:
    return "passive";
  default:
    return "none";
  }
}

typedef struct {
  char *buf;
  size_t size, len;
  bool overflow;
} Out;

__attribute__((format(printf, 2, 3))) static void
emit(Out *o, const char *fmt, ...)
{
  va_list ap;
  if (o->overflow)
    return;
  va_start(ap, fmt);
  int n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= o->size - o->len) {
    o->overflow = true;
    return;
  }
  o->len += (size_t)n;
}

static const char *
answer_direction(SdpTrack track, bool mic)
{
  if (track == SDP_TRACK_MIC)
    return "recvonly";
  return mic ? "sendrecv" : "sendonly";
}

static void
emit_track(Out *o, const SdpAnswerParams *p, size_t index, bool first)
{
  const SdpMedia *m = &p->offer->media[index];
  SdpTrack track = p->plan->track[index];
  bool mic = p->plan->mic[index];
  const SdpCandidate *c0 = p->n_candidates ? &p->candidates[0] : NULL;
  emit(o, "m=audio %u UDP/TLS/RTP/SAVPF %d\r\n", c0 ? c0->port : 9, m->opus_pt);
  emit(o, "c=IN IP4 %s\r\n", c0 && !strchr(c0->address, ':') ? c0->address : "0.0.0.0");
  emit(o, "a=rtcp:9 IN IP4 0.0.0.0\r\n");
  /* bundled: every m-line repeats the transport, candidates go once */
  emit(o, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", p->ice_ufrag, p->ice_pwd);
  emit(o, "a=fingerprint:sha-256 %s\r\n", p->fingerprint);
  emit(o, "a=setup:%s\r\n", sdp_setup_name(p->setup));
  if (m->mid[0])
    emit(o, "a=mid:%s\r\n", m->mid);
  if (mic && m->audio_level_ext > 0)
    emit(o, "a=extmap:%d urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n", m->audio_level_ext);
  emit(o, "a=%s\r\na=rtcp-mux\r\n", answer_direction(track, mic));
  emit(o, "a=rtpmap:%d opus/48000/2\r\n", m->opus_pt);
  /* what the relay wants to receive: FEC and DTX on, 32 kb/s at most */
  if (mic)
    emit(o, "a=fmtp:%d minptime=10;useinbandfec=1;usedtx=1;maxaveragebitrate=32000\r\n",
         m->opus_pt);
  else
    emit(o, "a=fmtp:%d minptime=10;useinbandfec=1\r\n", m->opus_pt);
  if (track != SDP_TRACK_MIC) {
    const char *name = track == SDP_TRACK_CHANNEL ? "channel" : "floor";
    uint32_t ssrc = track == SDP_TRACK_CHANNEL ? p->channel_ssrc : p->floor_ssrc;
    emit(o, "a=msid:rostrum %s\r\n", name);
    emit(o, "a=ssrc:%" PRIu32 " cname:%s\r\n", ssrc, p->cname);
    emit(o, "a=ssrc:%" PRIu32 " msid:rostrum %s\r\n", ssrc, name);
  }
  if (!first)
    return;
  for (size_t i = 0; i < p->n_candidates; i++) {
    const SdpCandidate *c = &p->candidates[i];
    emit(o, "a=candidate:%s %u %s %" PRIu32 " %s %u typ %s", c->foundation, c->component,
         c->transport, c->priority, c->address, c->port, c->type);
    if (strcmp(c->transport, "tcp") == 0)
      emit(o, " tcptype passive");
    emit(o, "\r\n");
  }
  emit(o, "a=end-of-candidates\r\n");
}

int
sdp_print_answer(const SdpAnswerParams *p, char *buf, size_t size)
{
  Out o = {buf, size, 0, false};
  const SdpOffer *offer = p->offer;
  bool first = true;

  if (!offer || !p->plan || p->plan->floor_index < 0 ||
      (size_t)p->plan->floor_index >= offer->n_media || !p->ice_ufrag || !p->ice_pwd ||
      !p->fingerprint || !p->cname ||
      (p->setup != SDP_SETUP_ACTIVE && p->setup != SDP_SETUP_PASSIVE))
    return -EINVAL;
  if (size == 0)
    return -ENOSPC;
  buf[0] = '\0';
  emit(&o, "v=0\r\no=rostrum %" PRIu64 " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", p->session_id);
  /* the floor's m-line first in the group: it carries the transport */
  if (offer->media[p->plan->floor_index].mid[0]) {
    emit(&o, "a=group:BUNDLE %s", offer->media[p->plan->floor_index].mid);
    for (size_t i = 0; i < offer->n_media; i++)
      if (p->plan->track[i] != SDP_TRACK_REJECTED && (int)i != p->plan->floor_index &&
          offer->media[i].mid[0])
        emit(&o, " %s", offer->media[i].mid);
    emit(&o, "\r\n");
  }
  emit(&o, "a=ice-lite\r\na=msid-semantic: WMS rostrum\r\n");
  for (size_t i = 0; i < offer->n_media; i++) {
    const SdpMedia *m = &offer->media[i];
    if (p->plan->track[i] != SDP_TRACK_REJECTED) {
      emit_track(&o, p, i, first);
      first = false;
      continue;
    }
    /* RFC 8829 5.3.1: a rejected m-line keeps its media, proto and formats */
    emit(&o, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", m->media, m->proto, m->formats);
    if (m->mid[0])
      emit(&o, "a=mid:%s\r\n", m->mid);
    emit(&o, "a=inactive\r\n");
  }
  if (o.overflow)
    return -ENOSPC;
  return (int)o.len;
}
