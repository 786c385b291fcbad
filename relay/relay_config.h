/* SPDX-License-Identifier: Apache-2.0 */
/* The [relay] section of the venue's INI file. */
#pragma once

#include <glib.h>

typedef enum {
  FLOOR_SOURCE_TONE,
  FLOOR_SOURCE_FILE,
  FLOOR_SOURCE_PIPELINE,
  FLOOR_SOURCE_RTP, /* the venue's mixing desk over RTP (AES67-style or Opus) */
} FloorSource;

/* A sample format on the venue's RTP (in and out). */
typedef enum {
  VENUE_FORMAT_L24,
  VENUE_FORMAT_L16,
  VENUE_FORMAT_OPUS,
} VenueFormat;

/* One stream out to the venue (venue_out). */
typedef struct {
  char product[32]; /* "floor", "channel:fr" or "remote" (the remote speakers alone) */
  char address[64]; /* IPv4 or IPv6 literal, unicast or multicast */
  int port;
  VenueFormat format;
} VenueOutSpec;

#define VENUE_OUT_MAX 32

typedef struct {
  char *control_socket;
  char **bind_addresses; /* IPv4 and/or IPv6 literals, from bind_address */
  char *public_address;  /* announced instead of the bound one (1:1 NAT), or "" */
  gboolean ice_tcp;      /* also passive ICE-TCP candidates (RFC 6544) */
  int ice_port;          /* the one UDP (and TCP) port of every peer; 0: any free one */
  char *dtls_role;       /* "auto" (passive when the peer offers actpass), "passive", "active" */
  char *srtp_profiles;   /* OpenSSL use_srtp list, in order of preference */
  FloorSource floor_source;
  int floor_tone_hz;
  char *floor_file;
  char *floor_pipeline;
  int floor_bitrate;
  int consent_timeout_s; /* drop a peer silent this long (RFC 7675: 30) */
  int report_interval_ms; /* sender reports and consent checks */
  int stats_interval_s;   /* `stats` events on the control link */
  char *metrics_address;
  int metrics_port; /* 0: any free port; -1: no metrics endpoint */
  /* the audio engine */
  char **languages;   /* one channel (and booth) per language code, in order */
  char **retour;      /* "fr:en": booth fr may feed channel en */
  char **sim_booths;  /* "fr:660": a simulated interpreter (a tone) live in booth fr */
  int channel_bitrate, lowbw_bitrate;
  gboolean opus_fec, opus_dtx;
  double limiter_ceiling_db;
  gboolean floor_leveler;      /* a loudness target for the floor, or none */
  double floor_loudness_dbfs;  /* its target (short-term RMS) */
  int ramp_ms;           /* a channel's ramp from silence to the floor */
  int mic_jitter_ms;     /* microphones' jitter buffer target depth; 0: the default */
  int level_interval_ms; /* `level` events */
  /* floor_source = rtp: the venue feed */
  char *venue_rtp_address; /* the group to join, or the local address to bind */
  char *venue_rtp_interface; /* the interface to join the group on ("": the system's) */
  int venue_rtp_port;
  VenueFormat venue_rtp_format;
  int venue_rtp_channels; /* 1 or 2 (downmixed) */
  int venue_rtp_pt;
  int venue_rtp_ptime_ms; /* packet time: every packet must be this long */
  int venue_rtp_jitter_ms;
  /* recording of every product per agenda item; "" = off */
  char *recording_dir;
  /* products out to the venue as RTP, with an SDP file each */
  VenueOutSpec venue_out[VENUE_OUT_MAX];
  unsigned n_venue_out;
  char *venue_out_sdp_dir;
  char *venue_out_interface; /* the interface multicast streams leave by ("": the system's) */
  int venue_ptp_domain; /* -1: the system clock; else GstPtpClock's domain if it syncs */
} RelayConfig;

/* "L24", "L16", "opus" (static). */
const char *venue_format_name(VenueFormat f);
/* Parses one venue_out entry PRODUCT:ADDRESS:PORT:FORMAT (an IPv6 address
 * in brackets). Returns 0 or -EINVAL. Pure. */
int venue_out_parse(const char *text, VenueOutSpec *out);

/* Loads @path. Unknown keys are ignored; a bad value is an error naming the
 * key. Transfer full: free with relay_config_free(). */
RelayConfig *relay_config_load(const char *path, GError **error);
void relay_config_free(RelayConfig *cfg);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(RelayConfig, relay_config_free)
