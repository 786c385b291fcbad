/* SPDX-License-Identifier: Apache-2.0 */
#include "login.h"

#include "passhash.h"
#include "token.h"
#include "turn.h"

#include "json_text.h"

#include <string.h>

static char *
node_to_text(JsonNode *node)
{
  char *s = json_text_write(node);
  json_node_unref(node);
  return s;
}

char *
login_error_json(const char *code, const char *message)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "error", code);
  json_object_set_string_member(o, "message", message);
  return node_to_text(json_text_node(o));
}

JsonNode *
login_participant_json(const RosterEntry *e)
{
  JsonObject *o = json_object_new();
  JsonArray *roles = json_array_new();
  json_object_set_string_member(o, "badge", e->badge);
  json_object_set_string_member(o, "name", e->name);
  json_object_set_string_member(o, "entity", e->entity);
  json_object_set_string_member(o, "category", e->category_id ? e->category_id : roster_category_name(e->category));
  for (char **r = e->roles; *r; r++)
    json_array_add_string_element(roles, *r);
  json_object_set_array_member(o, "roles", roles);
  return json_text_node(o);
}

static const char *
string_member(JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(n);
}

static guint
bad_request(char **response, const char *message)
{
  *response = login_error_json("bad_request", message);
  return 400;
}

struct LoginJob {
  char *badge;
  char *code;
  char *hash;               /* the entry's, or the dummy for an unknown badge */
  const RosterEntry *entry; /* NULL for an unknown badge; lives in roster */
  char *address;            /* the client's, or NULL */
  Roster *roster;           /* a reference: the daemon may swap its roster meanwhile */
  gboolean verified;
};

void
login_job_free(LoginJob *job)
{
  if (!job)
    return;
  g_free(job->badge);
  if (job->code)
    memset(job->code, 0, strlen(job->code));
  g_free(job->code);
  g_free(job->hash);
  roster_free(job->roster);
  g_free(job->address);
  g_free(job);
}

guint
login_begin(const LoginContext *ctx, const char *body, gsize len, gint64 now_us,
            const char *address, LoginJob **job, char **response)
{
  g_autoptr(JsonObject) obj = NULL;
  const RosterEntry *entry;
  const char *badge, *code;

  *response = NULL;
  *job = NULL;
  if (len > LOGIN_MAX_BODY)
    return bad_request(response, "Request body too large.");
  if (json_text_parse_object(body, len, &obj, NULL) < 0)
    return bad_request(response, "Request body must be one strict JSON object.");
  badge = string_member(obj, "badge");
  code = string_member(obj, "code");
  if (!badge || !code || !*badge || !*code || strlen(badge) > 64 || strlen(code) > 256)
    return bad_request(response, "Fields 'badge' and 'code' (strings) are required.");

  /* one address guessing many badges is throttled as well as one badge
   * guessed from many addresses; a login from elsewhere is not */
  if (address && ctx->addr_limiter && ratelimit_blocked(ctx->addr_limiter, address, now_us)) {
    *response = login_error_json("too_many_attempts",
                                 "Too many failed attempts from this network address. "
                                 "Please wait a few minutes and try again.");
    return 429;
  }
  if (ratelimit_blocked(ctx->limiter, badge, now_us)) {
    *response = login_error_json("too_many_attempts",
                                 "Too many failed attempts for this badge. "
                                 "Please wait a few minutes and try again.");
    return 429;
  }
  entry = roster_lookup(ctx->roster, badge);
  *job = g_new0(LoginJob, 1);
  (*job)->badge = g_strdup(badge);
  (*job)->code = g_strdup(code);
  /* Unknown badges, and badges with no code issued yet, cost the same
   * hashing time as known ones. */
  if (entry && !entry->code_hash)
    entry = NULL;
  (*job)->hash = g_strdup(entry ? entry->code_hash : ctx->dummy_hash);
  (*job)->entry = entry;
  (*job)->roster = roster_ref((Roster *)ctx->roster);
  (*job)->address = g_strdup(address);
  return 0;
}

void
login_job_verify(LoginJob *job)
{
  job->verified = passhash_verify(job->code, job->hash) == PASSHASH_OK && job->entry;
}

guint
login_finish(const LoginContext *ctx, LoginJob *job, gint64 now_us, char **response)
{
  g_autofree char *token = NULL;
  gint64 now = now_us / G_USEC_PER_SEC;
  const RosterEntry *entry = job->entry;

  if (!job->verified) {
    ratelimit_fail(ctx->limiter, job->badge, now_us);
    if (job->address && ctx->addr_limiter)
      ratelimit_fail(ctx->addr_limiter, job->address, now_us); /* not reset by a success */
    *response = login_error_json("wrong_credentials",
                                 "Badge number or access code is not correct.");
    return 401;
  }
  ratelimit_reset(ctx->limiter, job->badge);
  if (token_sign(ctx->key, ctx->key_len, entry->badge, now, ctx->ttl, &token) < 0) {
    *response = login_error_json("internal", "Could not issue a token.");
    return 500;
  }
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "token", token);
  json_object_set_int_member(o, "expires_at", now + ctx->ttl);
  json_object_set_member(o, "participant", login_participant_json(entry));
  JsonNode *ice = turn_ice_servers(ctx->turn_urls, ctx->turn_secret, entry->badge, now,
                                   ctx->turn_ttl);
  if (ice)
    json_object_set_member(o, "ice_servers", ice);
  *response = node_to_text(json_text_node(o));
  return 200;
}

guint
login_handle(const LoginContext *ctx, const char *body, gsize len, gint64 now_us,
             char **response)
{
  LoginJob *job = NULL;
  guint status = login_begin(ctx, body, len, now_us, NULL, &job, response);
  if (job) {
    login_job_verify(job);
    status = login_finish(ctx, job, now_us, response);
    login_job_free(job);
  }
  return status;
}
