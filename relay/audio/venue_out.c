/* SPDX-License-Identifier: Apache-2.0 */
#include "venue_out.h"

#include <errno.h>
#include <gio/gio.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/net/gstptpclock.h>
#include <string.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine_venue.h"
#include "frame.h"
#include "limiter.h"
#include "stream.h"

#define PT_L24 96
#define PT_L16 97
#define PT_OPUS 111
#define FRAME_NS (AUDIO_FRAME_MS * GST_MSECOND)
#define LEAD_NS (5 * GST_MSECOND)    /* a frame's first packet leaves this late */
#define REBASE_NS (60 * GST_MSECOND) /* further off than this (a stalled tick): start again */
#define PTP_SYNC_S 3

typedef struct {
  VenueOutSpec spec;
  int product;
  unsigned pt;
  uint32_t ssrc;
  gboolean pcm; /* through the pipeline (else the product's own Opus packets) */
  /* pcm: engine thread */
  GstElement *src;
  Limiter *limiter; /* remote: the speakers' sum has no limiter of its own */
  GstClockTime next_pts;
  /* passthrough: main loop */
  int fd;
  struct sockaddr_storage addr;
  socklen_t addr_len;
} OutStream;

struct VenueOut {
  OutStream s[VENUE_OUT_MAX];
  unsigned n;
  GstElement *pipeline;
  GstClock *clock;
  GMutex lock;
  VenueOutStats stats;
};

static unsigned
pt_of(VenueFormat f)
{
  return f == VENUE_FORMAT_L24 ? PT_L24 : f == VENUE_FORMAT_L16 ? PT_L16 : PT_OPUS;
}

char *
venue_out_sdp(const VenueOutSpec *spec, unsigned pt, uint32_t ssrc, const char *refclk)
{
  g_autoptr(GInetAddress) a = g_inet_address_new_from_string(spec->address);
  gboolean v6 = a && g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV6;
  gboolean mc4 = a && !v6 && g_inet_address_get_is_multicast(a);
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "v=0\r\no=- %u 0 IN %s %s\r\ns=Rostrum %s\r\n", ssrc,
                         v6 ? "IP6" : "IP4", spec->address, spec->product);
  g_string_append_printf(s, "c=IN %s %s%s\r\nt=0 0\r\n", v6 ? "IP6" : "IP4", spec->address,
                         mc4 ? "/32" : "");
  g_string_append_printf(s, "m=audio %d RTP/AVP %u\r\n", spec->port, pt);
  switch (spec->format) {
  case VENUE_FORMAT_L24:
  case VENUE_FORMAT_L16:
    g_string_append_printf(s,
                           "a=rtpmap:%u %s/48000/1\r\na=ptime:1\r\na=ts-refclk:%s\r\n"
                           "a=mediaclk:direct=0\r\n",
                           pt, venue_format_name(spec->format), refclk);
    break;
  case VENUE_FORMAT_OPUS:
    g_string_append_printf(s,
                           "a=rtpmap:%u opus/48000/2\r\na=fmtp:%u stereo=0;sprop-stereo=0\r\n"
                           "a=ptime:20\r\n",
                           pt, pt);
    break;
  }
  g_string_append_printf(s, "a=ssrc:%u cname:rostrum\r\na=sendonly\r\n", ssrc);
  return g_string_free(s, FALSE);
}

/* The PTP clock of @domain once it is in sync, else NULL (with the reason
 * logged: the system clock serves). */
static GstClock *
ptp_clock(int domain, char **refclk)
{
  if (!gst_ptp_is_supported() || !gst_ptp_init(GST_PTP_CLOCK_ID_NONE, NULL)) {
    g_printerr("relay: venue_out: PTP is not available here (gst-ptp-helper); the venue "
               "streams run on the system clock\n");
    return NULL;
  }
  GstClock *clock = gst_ptp_clock_new("rostrum-ptp", (guint)domain);
  if (!clock || !gst_clock_wait_for_sync(clock, PTP_SYNC_S * GST_SECOND)) {
    g_printerr("relay: venue_out: no PTP master in domain %d within %d s; the venue streams "
               "run on the system clock\n",
               domain, PTP_SYNC_S);
    if (clock)
      gst_object_unref(clock);
    return NULL;
  }
  guint64 gm = 0;
  g_object_get(clock, "grandmaster-clock-id", &gm, NULL);
  *refclk = g_strdup_printf("ptp=IEEE1588-2008:%02X-%02X-%02X-%02X-%02X-%02X-%02X-%02X:%d",
                            (unsigned)(gm >> 56) & 0xff, (unsigned)(gm >> 48) & 0xff,
                            (unsigned)(gm >> 40) & 0xff, (unsigned)(gm >> 32) & 0xff,
                            (unsigned)(gm >> 24) & 0xff, (unsigned)(gm >> 16) & 0xff,
                            (unsigned)(gm >> 8) & 0xff, (unsigned)gm & 0xff, domain);
  return clock;
}

static char *
branch(const OutStream *s, unsigned i, const char *iface)
{
  g_autoptr(GInetAddress) a = g_inet_address_new_from_string(s->spec.address);
  const char *mc = a && g_inet_address_get_is_multicast(a) ? "true" : "false";
  g_autofree char *pay = NULL;
  if (s->spec.format == VENUE_FORMAT_OPUS)
    pay = g_strdup_printf("opusenc bitrate=64000 frame-size=20 ! rtpopuspay pt=%u ssrc=%u "
                          "timestamp-offset=0",
                          s->pt, s->ssrc);
  else
    pay = g_strdup_printf("rtp%spay pt=%u ssrc=%u timestamp-offset=0 min-ptime=1000000 "
                          "max-ptime=1000000",
                          venue_format_name(s->spec.format), s->pt, s->ssrc);
  return g_strdup_printf(
      "appsrc name=s%u format=time is-live=true block=false min-latency=0 max-bytes=38400 "
      "caps=audio/x-raw,format=F32LE,rate=%d,channels=1,layout=interleaved ! audioconvert ! %s ! "
      "udpsink host=%s port=%d sync=true async=false qos=false auto-multicast=%s ttl-mc=1%s%s",
      i, AUDIO_RATE, pay, s->spec.address, s->spec.port, mc, iface[0] ? " multicast-iface=" : "",
      iface);
}

/* Nobody iterates this pipeline's bus: errors are logged (rate-limited by
 * nature: a sink errs once) and every message dropped, so none piles up
 * over a day's meeting. Any thread. */
static GstBusSyncReply
on_bus_sync(GstBus *bus, GstMessage *msg, gpointer data)
{
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR || GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) {
    g_autoptr(GError) err = NULL;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR)
      gst_message_parse_error(msg, &err, NULL);
    else
      gst_message_parse_warning(msg, &err, NULL);
    g_printerr("relay: venue_out %s: %s\n", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), err->message);
  }
  return GST_BUS_DROP;
}

static gboolean
open_socket(OutStream *s, const char *iface, GError **error)
{
  g_autoptr(GSocketAddress) sa =
      g_inet_socket_address_new_from_string(s->spec.address, (guint)s->spec.port);
  if (!sa || !g_socket_address_to_native(sa, &s->addr, sizeof s->addr, error))
    return FALSE;
  s->addr_len = (socklen_t)g_socket_address_get_native_size(sa);
  s->fd = socket(s->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0) {
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "venue_out %s: socket: %s",
                s->spec.product, g_strerror(errno));
    return FALSE;
  }
  int rc = 0;
  if (iface[0] && s->addr.ss_family == AF_INET) {
    struct ip_mreqn m = {.imr_ifindex = (int)if_nametoindex(iface)};
    rc = setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m);
  } else if (iface[0]) {
    unsigned idx = if_nametoindex(iface);
    rc = setsockopt(s->fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx);
  }
  if (rc < 0) {
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "venue_out_interface %s: %s",
                iface, g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

static gboolean
write_sdp(const char *dir, const OutStream *s, GHashTable *names, const char *refclk,
          GError **error)
{
  char base[40];
  g_strlcpy(base, s->spec.product, sizeof base);
  for (char *c = base; *c; c++)
    if (!g_ascii_isalnum(*c) && *c != '-')
      *c = '-';
  g_autofree char *name = g_strdup_printf("%s.sdp", base);
  for (int k = 2; g_hash_table_contains(names, name); k++) {
    g_free(name);
    name = g_strdup_printf("%s-%d.sdp", base, k);
  }
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autofree char *sdp = venue_out_sdp(&s->spec, s->pt, s->ssrc, refclk);
  g_hash_table_add(names, g_steal_pointer(&name));
  if (!g_file_set_contents(path, sdp, -1, error)) {
    g_prefix_error(error, "venue_out_sdp_dir: ");
    return FALSE;
  }
  return TRUE;
}

VenueOut *
venue_out_new(const RelayConfig *cfg, const int *products, GError **error)
{
  VenueOut *o = g_new0(VenueOut, 1);
  g_autoptr(GString) desc = g_string_new(NULL);
  g_autofree char *refclk = g_strdup("local");
  g_autoptr(GHashTable) names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init(&o->lock);
  for (unsigned i = 0; i < cfg->n_venue_out; i++) {
    OutStream *s = &o->s[o->n++];
    s->fd = -1;
    s->spec = cfg->venue_out[i];
    s->product = products[i];
    s->pt = pt_of(s->spec.format);
    s->ssrc = g_random_int();
    s->pcm = s->spec.format != VENUE_FORMAT_OPUS || s->product == AUDIO_TAP_REMOTE;
    if (!s->pcm && !open_socket(s, cfg->venue_out_interface, error))
      goto fail;
    if (s->product == AUDIO_TAP_REMOTE &&
        !(s->limiter = limiter_new(cfg->limiter_ceiling_db, 1.5, 80.0, AUDIO_RATE))) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "venue_out: out of memory");
      goto fail;
    }
    if (s->pcm) {
      g_autofree char *b = branch(s, i, cfg->venue_out_interface);
      g_string_append_printf(desc, "%s%s", desc->len ? " " : "", b);
    }
  }
  if (desc->len) {
    if (!(o->pipeline = gst_parse_launch(desc->str, error))) {
      g_prefix_error(error, "venue_out pipeline: ");
      goto fail;
    }
    GstBus *bus = gst_element_get_bus(o->pipeline);
    gst_bus_set_sync_handler(bus, on_bus_sync, NULL, NULL);
    gst_object_unref(bus);
    if (cfg->venue_ptp_domain >= 0 && (o->clock = ptp_clock(cfg->venue_ptp_domain, &refclk)))
      o->stats.ptp = TRUE;
    if (!o->clock)
      o->clock = gst_system_clock_obtain();
    gst_pipeline_use_clock(GST_PIPELINE(o->pipeline), o->clock);
    /* running time = the clock's time: RTP timestamps follow the clock */
    gst_element_set_start_time(o->pipeline, GST_CLOCK_TIME_NONE);
    gst_element_set_base_time(o->pipeline, 0);
    for (unsigned i = 0; i < o->n; i++) {
      g_autofree char *name = g_strdup_printf("s%u", i);
      if (o->s[i].pcm)
        o->s[i].src = gst_bin_get_by_name(GST_BIN(o->pipeline), name);
    }
    if (gst_element_set_state(o->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
      g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
                  "venue_out pipeline does not start: %s", desc->str);
      goto fail;
    }
  }
  if (cfg->venue_out_sdp_dir[0]) {
    if (g_mkdir_with_parents(cfg->venue_out_sdp_dir, 0755) != 0) {
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "venue_out_sdp_dir %s: %s",
                  cfg->venue_out_sdp_dir, g_strerror(errno));
      goto fail;
    }
    for (unsigned i = 0; i < o->n; i++)
      if (!write_sdp(cfg->venue_out_sdp_dir, &o->s[i], names, refclk, error))
        goto fail;
  }
  for (unsigned i = 0; i < o->n; i++)
    g_print("relay: venue_out %s -> %s:%d %s%s\n", o->s[i].spec.product, o->s[i].spec.address,
            o->s[i].spec.port, venue_format_name(o->s[i].spec.format),
            o->s[i].pcm ? (o->stats.ptp ? " (PTP clock)" : " (system clock)")
                        : " (its own packets)");
  return o;

fail:
  venue_out_free(o);
  return NULL;
}

void
venue_out_free(VenueOut *o)
{
  if (!o)
    return;
  if (o->pipeline)
    gst_element_set_state(o->pipeline, GST_STATE_NULL);
  for (unsigned i = 0; i < o->n; i++) {
    if (o->s[i].src)
      gst_object_unref(o->s[i].src);
    if (o->s[i].fd >= 0)
      close(o->s[i].fd);
    limiter_free(o->s[i].limiter);
  }
  if (o->pipeline)
    gst_object_unref(o->pipeline);
  if (o->clock)
    gst_object_unref(o->clock);
  g_mutex_clear(&o->lock);
  g_free(o);
}

void
venue_out_pcm(VenueOut *o, int product, const float *pcm)
{
  for (unsigned i = 0; i < o->n; i++) {
    OutStream *s = &o->s[i];
    if (!s->pcm || s->product != product || !s->src)
      continue;
    GstClockTime now = gst_clock_get_time(o->clock);
    if (!s->next_pts || s->next_pts + REBASE_NS < now || s->next_pts > now + REBASE_NS)
      s->next_pts = now + LEAD_NS;
    GstBuffer *b = gst_buffer_new_memdup(pcm, AUDIO_FRAME * sizeof *pcm);
    if (s->limiter) { /* the same true-peak ceiling as every listener product */
      GstMapInfo map;
      if (gst_buffer_map(b, &map, GST_MAP_WRITE)) {
        limiter_process(s->limiter, (float *)map.data, AUDIO_FRAME);
        gst_buffer_unmap(b, &map);
      }
    }
    GST_BUFFER_PTS(b) = s->next_pts;
    GST_BUFFER_DURATION(b) = FRAME_NS;
    s->next_pts += FRAME_NS;
    GstFlowReturn rc = gst_app_src_push_buffer(GST_APP_SRC(s->src), b);
    g_mutex_lock(&o->lock);
    if (rc == GST_FLOW_OK)
      o->stats.frames++;
    else
      o->stats.errors++;
    g_mutex_unlock(&o->lock);
  }
}

void
venue_out_packet(VenueOut *o, int product, const uint8_t *rtp, size_t len)
{
  uint8_t buf[AUDIO_RTP_MAX];
  if (len < 12 || len > sizeof buf)
    return;
  for (unsigned i = 0; i < o->n; i++) {
    OutStream *s = &o->s[i];
    if (s->pcm || s->product != product)
      continue;
    memcpy(buf, rtp, len);
    buf[1] = (uint8_t)((buf[1] & 0x80) | s->pt);
    buf[8] = (uint8_t)(s->ssrc >> 24);
    buf[9] = (uint8_t)(s->ssrc >> 16);
    buf[10] = (uint8_t)(s->ssrc >> 8);
    buf[11] = (uint8_t)s->ssrc;
    ssize_t n = sendto(s->fd, buf, len, 0, (struct sockaddr *)&s->addr, s->addr_len);
    g_mutex_lock(&o->lock);
    if (n == (ssize_t)len)
      o->stats.packets++;
    else
      o->stats.errors++;
    g_mutex_unlock(&o->lock);
  }
}

void
venue_out_stats(VenueOut *o, VenueOutStats *out)
{
  g_mutex_lock(&o->lock);
  *out = o->stats;
  g_mutex_unlock(&o->lock);
}
