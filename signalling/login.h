/* SPDX-License-Identifier: Apache-2.0 */
/* POST /api/login logic, independent of the HTTP server: JSON body in,
 * status + JSON body out. No loop, no sockets. */
#pragma once

#include "ratelimit.h"
#include "roster.h"

#include <json-glib/json-glib.h>

#define LOGIN_MAX_FAILURES 5
#define LOGIN_WINDOW_US (5 * 60 * G_USEC_PER_SEC)
/* Failures from one network address in the window, whatever the badges (a
 * venue's NAT puts many delegates behind one address: well above one
 * badge's limit). */
#define LOGIN_MAX_ADDRESS_FAILURES 30
#define LOGIN_MAX_BODY 8192

typedef struct {
  const Roster *roster;   /* borrowed */
  RateLimit *limiter;     /* borrowed: failures per badge */
  RateLimit *addr_limiter; /* borrowed, may be NULL: failures per client address */
  const guint8 *key;      /* token key, borrowed */
  gsize key_len;
  gint64 ttl;             /* token lifetime, seconds */
  const char *dummy_hash; /* verified against for unknown badges (timing) */
  char *const *turn_urls; /* borrowed; NULL or empty: no ice_servers */
  const char *turn_secret; /* borrowed */
  gint64 turn_ttl;
} LoginContext;

/* A login split in three so the slow part (PBKDF2, ~45 ms) runs off the
 * event loop: begin (parse, rate limit; loop thread), verify (any thread;
 * touches only the job), finish (rate limit, token; loop thread). */
typedef struct LoginJob LoginJob;

/* @address: the client's network address (NULL: not limited by address).
 * Returns an HTTP status with *response set (400, 429), or 0 with *job
 * (transfer full) to verify and finish. */
guint login_begin(const LoginContext *ctx, const char *body, gsize len, gint64 now_us,
                  const char *address, LoginJob **job, char **response);
void login_job_verify(LoginJob *job);
/* Returns the HTTP status (200, 401, 500) and *response (transfer full). */
guint login_finish(const LoginContext *ctx, LoginJob *job, gint64 now_us, char **response);
void login_job_free(LoginJob *job);

/* All three in a row, on the calling thread. Handles one login request body. Returns the HTTP status (200, 400, 401,
 * 429, 500) and *response, a JSON text (transfer full). @now_us is wall-clock
 * time in microseconds (g_get_real_time()). */
guint login_handle(const LoginContext *ctx, const char *body, gsize len, gint64 now_us,
                   char **response);

/* {"badge","name","entity","category","roles":[...]} (transfer full). */
JsonNode *login_participant_json(const RosterEntry *entry);

/* {"error":code,"message":message} as text (transfer full). */
char *login_error_json(const char *code, const char *message);
