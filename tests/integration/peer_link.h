/* SPDX-License-Identifier: Apache-2.0 */
/* What the test peers (webrtc_peer, audio_peer) share: a webrtcbin on
 * loopback and its link to the relay's control socket (docs/control.md).
 *
 * peer_link_new() connects to the control socket and makes a pipeline with
 * a webrtcbin (max-bundle, ICE on 127.0.0.1 over UDP only). The caller adds
 * its transceivers and sources to peer_link_webrtc() / peer_link_pipeline()
 * and sets the pipeline PLAYING; the link then does the dance with the
 * relay: create-offer, set-local-description, wait for ICE gathering,
 * peer.add (request id PEER_LINK_ADD_ID) with the offer, and
 * set-remote-description with the relay's answer. Every other line the
 * relay sends (events, replies to peer_link_request()) goes to the caller's
 * line callback; a pipeline error goes to the failed callback. Everything
 * runs on the default main context. */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include "control.h"

#define PEER_LINK_ADD_ID 1

typedef struct PeerLink PeerLink;

typedef struct {
  /* A line from the relay other than the reply to peer.add. @msg is the
   * parsed line (transfer none), or NULL if ctl_parse() refused it with
   * @rc (@detail says why): e.g. an event newer than this build's schema.
   * Required. */
  void (*line)(PeerLink *link, const char *line, gsize len, const CtlMessage *msg, int rc,
               const char *detail, gpointer user);
  /* The offer text, before peer.add (transfer none; may be edited in place
   * as long as it stays NUL-terminated). Return FALSE to abort: the link
   * then sends nothing and the caller has called its own failure path.
   * Optional. */
  gboolean (*offer)(PeerLink *link, char *offer, gpointer user);
  /* The relay's answer (transfer none), before it is applied. Return
   * FALSE to leave it unapplied. Optional. */
  gboolean (*answer)(PeerLink *link, const char *answer, gpointer user);
  /* The link failed: @status 1 (the relay refused or said nonsense) or 2
   * (a setup error on our side); @message (transfer none). Required. */
  void (*failed)(PeerLink *link, int status, const char *message, gpointer user);
} PeerLinkCallbacks;

typedef struct {
  const char *peer;          /* peer id in peer.add */
  const char *participant;   /* badge */
  const char *role;          /* "delegate", "interpreter", ... */
  const char *booth;         /* NULL: no booth field */
  const char *const *tracks; /* NULL-terminated: "floor", "channel", "mic" */
} PeerLinkIdentity;

/* Connects to @socket_path and builds the pipeline. @id and its strings,
 * @cb and @user are borrowed and must outlive the link. @log_prefix
 * (borrowed) starts the link's stderr lines ("webrtc_peer"). Transfer full;
 * NULL with @error set if the socket or webrtcbin is missing. */
PeerLink *peer_link_new(const char *socket_path, const PeerLinkIdentity *id, const char *log_prefix,
                        const PeerLinkCallbacks *cb, gpointer user, GError **error);
/* Stops the pipeline, closes the socket. */
void peer_link_free(PeerLink *link);

/* Transfer none. */
GstElement *peer_link_pipeline(PeerLink *link);
GstElement *peer_link_webrtc(PeerLink *link);

/* Adds a transceiver for Opus (pt 111, opus/48000/2) in @direction.
 * Returns FALSE if webrtcbin refused. */
gboolean peer_link_add_transceiver(PeerLink *link, GstWebRTCRTPTransceiverDirection direction);

/* Links @src_bin's "src" pad (Opus RTP) to a new sink pad of webrtcbin,
 * whose new transceiver (the next m-line) gets @direction (SENDRECV or
 * SENDONLY). @src_bin must already be in the pipeline. */
gboolean peer_link_add_source(PeerLink *link, GstElement *src_bin,
                              GstWebRTCRTPTransceiverDirection direction);

/* Sends one control request (id and type as given, @extra's members
 * copied). The reply arrives through the line callback. */
gboolean peer_link_request(PeerLink *link, gint64 id, const char *type, JsonObject *extra,
                           GError **error);

/* Progress, for timeout messages. */
gboolean peer_link_offer_sent(const PeerLink *link);
gboolean peer_link_answered(const PeerLink *link);
/* The offer as sent (transfer none), NULL before. */
const char *peer_link_offer(const PeerLink *link);

/* The m-line index of webrtcbin's pad @pad (a src_%u), or -1. */
int peer_link_pad_mline(GstPad *pad);

/* Value of the first "a=setup:" line of @sdp (transfer full), or NULL. */
char *peer_link_sdp_setup(const char *sdp);
