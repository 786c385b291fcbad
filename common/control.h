/* SPDX-License-Identifier: Apache-2.0 */
/* Control-link schema (docs/control.md): parse and validate one JSON line,
 * build requests, replies and events. Pure: no sockets, no main loop. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#define CTL_VERSION 1
#define CTL_MAX_LINE 65536

typedef enum {
  CTL_KIND_REQUEST,
  CTL_KIND_REPLY,
  CTL_KIND_EVENT,
} CtlKind;

/* Error codes: negative, errno style. ctl_error_name() gives the wire code. */
enum {
  CTL_OK = 0,
  CTL_EBADJSON = -1,
  CTL_EBADVERSION = -2,
  CTL_EBADREQUEST = -3,
  CTL_EUNKNOWNTYPE = -4,
  CTL_ETOOLONG = -5,
};

typedef struct {
  CtlKind kind;
  gint64 id;        /* requests and replies; -1 for events or when unreadable */
  const char *name; /* request type or event name (borrowed from obj); NULL for replies */
  gboolean ok;      /* replies only */
  JsonObject *obj;  /* the whole message (owned; freed by ctl_message_clear) */
} CtlMessage;

/* Parses and validates one line (without or with its trailing newline).
 * Returns CTL_OK and fills @out, or a negative code; then @detail (if not
 * NULL) receives a human message (transfer full) and out->id holds the id if
 * it could be read, else -1. */
int ctl_parse(const char *line, gsize len, CtlMessage *out, char **detail);
void ctl_message_clear(CtlMessage *msg);

/* Wire name of a negative code ("bad_json", ...). Static string. */
const char *ctl_error_name(int code);

/* Typed field access on a validated message (borrowed; NULL if absent). */
const char *ctl_get_string(const CtlMessage *msg, const char *field);

/* Builders: each returns a newline-terminated line (transfer full).
 * @extra may be NULL; its members are copied into the message. */
char *ctl_build_request(gint64 id, const char *type, JsonObject *extra);
char *ctl_build_reply_ok(gint64 id, JsonObject *extra);
char *ctl_build_reply_error(gint64 id, const char *code, const char *message);
/* @peer may be NULL (an event about a product or a booth). */
char *ctl_build_event(const char *event, const char *peer, JsonObject *extra);
