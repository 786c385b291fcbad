/* SPDX-License-Identifier: Apache-2.0 */
/* rostrum-admin: the secretariat's command line (docs/roster.md).
 *   rostrum-admin [OPTIONS] import ROSTER.csv       import (all or nothing)
 *   rostrum-admin [OPTIONS] check ROSTER.csv        validate only
 *   rostrum-admin [OPTIONS] codes issue BADGE|--all new access codes, shown once
 *   rostrum-admin [OPTIONS] codes reset BADGE       replace a badge's code
 *   rostrum-admin [OPTIONS] revoke BADGE | restore BADGE
 *   rostrum-admin [OPTIONS] checkin BADGE | checkout BADGE   onsite
 *   rostrum-admin [OPTIONS] export bluesheet --session S [--item I] [--format csv|json]
 *   rostrum-admin [OPTIONS] export audit [--format csv|json]
 *   rostrum-admin [OPTIONS] summary --session S
 *   rostrum-admin [OPTIONS] participants            list (codes never shown)
 *   rostrum-admin hash CODE | check-meeting FILE
 * Options: --config FILE (the INI: [signalling] database, meeting),
 * --database PATH, --meeting ID|FILE. Exit 0 on success, 1 on an error
 * (said on stderr), 2 on bad usage. */
#include "attendance.h"
#include "bluesheet.h"
#include "export.h"
#include "meeting.h"
#include "passhash.h"
#include "roster.h"
#include "storage.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  char *config, *database, *meeting, *format, *session, *item, *output;
  gboolean all, per_session;
  gint grace_s;
  Storage *storage; /* opened on demand */
  Meeting *mtg;     /* loaded on demand */
} Admin;

static int G_GNUC_PRINTF(1, 2) fail(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("rostrum-admin: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

/* Fills database/meeting/grace from the INI unless given on the command
 * line: --config FILE must load; the default config/rostrum.ini may be
 * absent. */
static int
load_config(Admin *a)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) error = NULL;
  const char *path = a->config ? a->config : "config/rostrum.ini";

  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error))
    return a->config ? fail("%s: %s", path, error->message) : 0;
  if (!a->database)
    a->database = g_key_file_get_string(kf, "signalling", "database", NULL);
  if (!a->meeting)
    a->meeting = g_key_file_get_string(kf, "signalling", "meeting", NULL);
  if (a->database)
    g_strstrip(a->database);
  if (a->meeting)
    g_strstrip(a->meeting);
  if (a->grace_s < 0 && g_key_file_has_key(kf, "signalling", "attendance_grace_seconds", NULL))
    a->grace_s = g_key_file_get_integer(kf, "signalling", "attendance_grace_seconds", NULL);
  return 0;
}

static Storage *
storage(Admin *a)
{
  g_autoptr(GError) error = NULL;
  if (!a->storage && (!a->database || !*a->database)) {
    fail("no database: give --database PATH, or --config FILE with [signalling] database");
    return NULL;
  }
  if (!a->storage) {
    a->storage = storage_open(a->database, &error);
    if (!a->storage)
      fail("%s", error->message);
  }
  return a->storage;
}

/* The meeting: --meeting / [signalling] meeting, an id of config/meetings/
 * or a file; wtpf-26 by default. */
static Meeting *
meeting(Admin *a)
{
  if (a->mtg)
    return a->mtg;
  const char *m = a->meeting && *a->meeting ? a->meeting : "wtpf-26";
  g_autofree char *path = strchr(m, '/') || g_str_has_suffix(m, ".json")
                              ? g_strdup(m)
                              : g_strdup_printf("config/meetings/%s.json", m);
  g_autoptr(GPtrArray) errors = NULL;
  if (meeting_load_file(path, &a->mtg, &errors) < 0) {
    for (guint i = 0; errors && i < errors->len; i++) {
      g_autofree char *line = meeting_error_format(errors->pdata[i]);
      fprintf(stderr, "%s\n", line);
    }
    fail("the meeting %s does not load", path);
    return NULL;
  }
  return a->mtg;
}

static char *
actor(void)
{
  return g_strdup_printf("admin:%s", g_get_user_name());
}

static void
audit(Admin *a, const char *action, const char *target, const char *detail)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *who = actor();
  g_autofree char *now = attendance_wall_time_now();
  StorageAudit e = {
      .actor = who, .action = action, .target = target, .detail = detail, .wall_time = now};
  if (!storage_audit(a->storage, &e, &error))
    fail("audit: %s", error->message);
}

static int
write_out(Admin *a, const char *text)
{
  if (!a->output) {
    fputs(text, stdout);
    return 0;
  }
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents(a->output, text, -1, &error))
    return fail("%s", error->message);
  return 0;
}

/* ---- roster ---- */

static int
parse_file(Admin *a, const char *path, Roster **out)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  gsize len;
  Meeting *m = meeting(a);

  if (!m)
    return 1;
  if (!g_file_get_contents(path, &text, &len, &error))
    return fail("%s", error->message);
  if (roster_parse_checked(text, len, m, 0, out, &problems) == 0)
    return 0;
  for (guint i = 0; i < problems->len; i++) {
    g_autofree char *p = roster_problem_format(problems->pdata[i]);
    fprintf(stderr, "%s: %s\n", path, p);
  }
  return fail("%s: %u bad line(s); nothing imported", path, problems->len);
}

static int
cmd_check(Admin *a, char **args)
{
  g_autoptr(Roster) r = NULL;
  if (!args[0] || args[1])
    return 2;
  if (parse_file(a, args[0], &r))
    return 1;
  printf("%s: %u participants, OK\n", args[0], roster_size(r));
  return 0;
}

static int
cmd_import(Admin *a, char **args)
{
  g_autoptr(Roster) r = NULL;
  g_autoptr(GError) error = NULL;
  if (!args[0] || args[1])
    return 2;
  if (parse_file(a, args[0], &r) || !storage(a))
    return 1;
  g_autoptr(Roster) before = storage_participants_load(a->storage, TRUE, &error);
  if (!before)
    return fail("%s", error->message);
  guint fresh = 0;
  for (guint i = 0; i < roster_size(r); i++)
    fresh += roster_lookup(before, roster_nth(r, i)->badge) == NULL;
  if (!storage_participants_import(a->storage, r, &error))
    return fail("%s", error->message);
  g_autofree char *detail =
      g_strdup_printf("%u participants (%u new) from %s", roster_size(r), fresh, args[0]);
  audit(a, "roster.import", NULL, detail);
  printf("imported %s\n", detail);
  return 0;
}

/* 12 characters from an alphabet without look-alikes, as xxxx-xxxx-xxxx
 * (~59 bits). */
static char *
new_code(void)
{
  static const char alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789"; /* 31 */
  guint8 raw[32];
  GString *s = g_string_new(NULL);
  if (RAND_bytes(raw, sizeof raw) != 1)
    return NULL;
  for (guint i = 0, n = 0; i < sizeof raw && n < 12; i++) {
    if (raw[i] >= 248) /* 248 = 8 * 31: no modulo bias */
      continue;
    if (n && n % 4 == 0)
      g_string_append_c(s, '-');
    g_string_append_c(s, alphabet[raw[i] % 31]);
    n++;
  }
  return g_string_free(s, FALSE);
}

static int
set_code(Admin *a, const char *badge, const char *action)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = new_code(), *hash = NULL;
  if (!code || passhash_hash(code, 0, &hash) < 0)
    return fail("cannot make a code");
  if (!storage_participant_set_code_hash(a->storage, badge, hash, &error))
    return fail("%s", error->message);
  audit(a, action, badge, NULL);
  printf("%s\t%s\n", badge, code);
  return 0;
}

static int
cmd_codes(Admin *a, char **args)
{
  g_autoptr(GError) error = NULL;
  if (!args[0] || (!a->all && !args[1]) || (args[1] && args[2]) || (a->all && args[1]))
    return 2;
  gboolean reset = strcmp(args[0], "reset") == 0;
  if (!reset && strcmp(args[0], "issue") != 0)
    return 2;
  if (reset && a->all)
    return fail("codes reset takes one badge, not --all");
  if (!storage(a))
    return 1;
  g_autoptr(Roster) r = storage_participants_load(a->storage, TRUE, &error);
  if (!r)
    return fail("%s", error->message);
  if (a->all) {
    guint n = 0;
    for (guint i = 0; i < roster_size(r); i++) {
      const RosterEntry *e = roster_nth(r, i);
      if (e->code_hash || e->revoked)
        continue;
      if (set_code(a, e->badge, "codes.issue"))
        return 1;
      n++;
    }
    fprintf(stderr, "rostrum-admin: %u code(s) issued; they are shown only now\n", n);
    return 0;
  }
  const RosterEntry *e = roster_lookup(r, args[1]);
  if (!e)
    return fail("no participant with badge '%s'", args[1]);
  if (!reset && e->code_hash)
    return fail("%s already has a code; 'codes reset %s' replaces it", e->badge, e->badge);
  if (e->revoked)
    return fail("%s is revoked; 'restore %s' first", e->badge, e->badge);
  return set_code(a, e->badge, reset ? "codes.reset" : "codes.issue");
}

static int
cmd_revoke(Admin *a, char **args, gboolean revoke)
{
  g_autoptr(GError) error = NULL;
  if (!args[0] || args[1])
    return 2;
  if (!storage(a))
    return 1;
  if (!storage_participant_set_revoked(a->storage, args[0], revoke, &error))
    return fail("%s", error->message);
  audit(a, revoke ? "revoke" : "restore", args[0], NULL);
  printf("%s %s\n", args[0], revoke ? "revoked" : "restored");
  return 0;
}

static int
cmd_check_io(Admin *a, char **args, gboolean in)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *session = NULL, *item = NULL;
  if (!args[0] || args[1])
    return 2;
  if (!storage(a))
    return 1;
  g_autoptr(Roster) r = storage_participants_load(a->storage, FALSE, &error);
  if (!r)
    return fail("%s", error->message);
  const RosterEntry *e = roster_lookup(r, args[0]);
  if (!e)
    return fail("no participant with badge '%s' (or revoked)", args[0]);
  if (!storage_current_session(a->storage, &session, &item, &error)) {
    if (error)
      return fail("%s", error->message);
    if (!a->session)
      return fail("no session is open; say which with --session S");
  }
  if (a->session) {
    g_free(session);
    session = g_strdup(a->session);
  }
  if (a->item) {
    g_free(item);
    item = g_strdup(a->item);
  }
  Meeting *m = meeting(a);
  g_autofree char *now = attendance_wall_time_now();
  StorageEvent ev = {
      .badge = e->badge,
      .kind = in ? STORAGE_KIND_CHECK_IN : STORAGE_KIND_CHECK_OUT,
      .agenda_item = item,
      .wall_time = now,
      .mono_us = g_get_monotonic_time(),
      .meeting = m ? m->id : NULL,
      .session = session,
      .role = e->roles[0],
      .where = "onsite",
  };
  if (!storage_record_events(a->storage, &ev, 1, &error))
    return fail("%s", error->message);
  audit(a, in ? "checkin" : "checkout", e->badge, session);
  printf("%s checked %s (session %s)\n", e->badge, in ? "in" : "out", session);
  return 0;
}

/* ---- exports ---- */

static gint64
grace_us(const Admin *a)
{
  return (gint64)(a->grace_s >= 0 ? a->grace_s : BLUESHEET_GRACE_DEFAULT_S) * G_USEC_PER_SEC;
}

static gboolean
format_of(Admin *a, ExportFormat *out)
{
  g_autoptr(GError) error = NULL;
  if (export_format_parse(a->format ? a->format : "csv", out, &error))
    return TRUE;
  fail("--%s", error->message);
  return FALSE;
}

static int
export_text(Admin *a, char *text, GError *error)
{
  if (!text)
    return fail("%s", error->message);
  int rc = write_out(a, text);
  g_free(text);
  return rc;
}

static int
cmd_export(Admin *a, char **args)
{
  g_autoptr(GError) error = NULL;
  ExportFormat format;
  if (!args[0] || args[1] || (strcmp(args[0], "bluesheet") != 0 && strcmp(args[0], "audit") != 0))
    return 2;
  if (!format_of(a, &format))
    return 1;
  if (strcmp(args[0], "audit") == 0) {
    if (!storage(a))
      return 1;
    char *text = export_audit(a->storage, format, &error);
    return export_text(a, text, error);
  }
  if (!a->session)
    return fail("export bluesheet needs --session S");
  if (!storage(a))
    return 1;
  Meeting *m = meeting(a);
  if (m && !meeting_find_session(m, a->session))
    fprintf(stderr, "rostrum-admin: note: %s has no session '%s' in its config\n", m->id,
            a->session);
  if (m && a->item && !meeting_find_item(m, a->item))
    return fail("%s has no agenda item '%s'", m->id, a->item);
  BluesheetOptions opt = {.grace_us = grace_us(a), .item = a->item, .per_session = a->per_session};
  char *text = export_bluesheet(a->storage, a->session, &opt, format, &error);
  return export_text(a, text, error);
}

static int
cmd_summary(Admin *a, char **args)
{
  g_autoptr(GError) error = NULL;
  if (args[0])
    return 2;
  if (!a->session)
    return fail("summary needs --session S");
  if (!storage(a))
    return 1;
  char *text = export_summary(a->storage, a->session, grace_us(a), &error);
  return export_text(a, text, error);
}

static int
cmd_participants(Admin *a, char **args)
{
  g_autoptr(GError) error = NULL;
  if (args[0])
    return 2;
  if (!storage(a))
    return 1;
  g_autoptr(Roster) r = storage_participants_load(a->storage, TRUE, &error);
  if (!r)
    return fail("%s", error->message);
  GString *out = g_string_new("badge,family_name,given_name,entity,category,roles,email,ldc,"
                              "code,revoked\r\n");
  for (guint i = 0; i < roster_size(r); i++) {
    const RosterEntry *e = roster_nth(r, i);
    g_autofree char *roles = roster_entry_roles_text(e);
    const char *cells[] = {e->badge,       e->family_name, e->given_name, e->entity,
                           e->category_id, roles,          e->email};
    for (guint c = 0; c < G_N_ELEMENTS(cells); c++) {
      bluesheet_csv_field(out, cells[c]);
      g_string_append_c(out, ',');
    }
    g_string_append_printf(out, "%s,%s,%s\r\n", e->ldc ? "yes" : "no",
                           e->code_hash ? "issued" : "none", e->revoked ? "yes" : "no");
  }
  g_autofree char *text = g_string_free(out, FALSE);
  return write_out(a, text);
}

static int
cmd_hash(Admin *a, char **args)
{
  g_autofree char *hash = NULL;
  if (!args[0] || args[1])
    return 2;
  if (!*args[0] || passhash_hash(args[0], 0, &hash) < 0)
    return fail("cannot hash this code");
  printf("%s\n", hash);
  return 0;
}

static int
cmd_check_meeting(Admin *a, char **args)
{
  g_autoptr(Meeting) m = NULL;
  g_autoptr(GPtrArray) errors = NULL;
  if (!args[0] || args[1])
    return 2;
  if (meeting_load_file(args[0], &m, &errors) < 0) {
    for (guint i = 0; i < errors->len; i++) {
      g_autofree char *line = meeting_error_format(errors->pdata[i]);
      fprintf(stderr, "%s\n", line);
    }
    return 1;
  }
  printf("ok\n");
  return 0;
}

static int
cmd_revoke_on(Admin *a, char **args)
{
  return cmd_revoke(a, args, TRUE);
}
static int
cmd_restore(Admin *a, char **args)
{
  return cmd_revoke(a, args, FALSE);
}
static int
cmd_checkin(Admin *a, char **args)
{
  return cmd_check_io(a, args, TRUE);
}
static int
cmd_checkout(Admin *a, char **args)
{
  return cmd_check_io(a, args, FALSE);
}

static const struct {
  const char *name;
  int (*run)(Admin *a, char **args);
} commands[] = {
    {"import", cmd_import},     {"check", cmd_check},
    {"codes", cmd_codes},       {"revoke", cmd_revoke_on},
    {"restore", cmd_restore},   {"checkin", cmd_checkin},
    {"checkout", cmd_checkout}, {"export", cmd_export},
    {"summary", cmd_summary},   {"participants", cmd_participants},
    {"hash", cmd_hash},         {"check-meeting", cmd_check_meeting},
};

static const char usage_text[] =
    "COMMAND ...\n\n"
    "  import ROSTER.csv             import a roster (docs/roster.md); any bad line: nothing\n"
    "  check ROSTER.csv              validate a roster against the meeting\n"
    "  codes issue BADGE | --all     generate access codes (shown once, stored hashed)\n"
    "  codes reset BADGE             replace a badge's access code\n"
    "  revoke BADGE | restore BADGE  end / give back a badge's access\n"
    "  checkin BADGE | checkout BADGE  onsite presence (the open session, or --session)\n"
    "  export bluesheet --session S [--item I] [--per-session] [--format csv|json]\n"
    "  export audit [--format csv|json]\n"
    "  summary --session S           participants by category, remote/onsite, LDC\n"
    "  participants                  the stored roster (codes never shown)\n"
    "  hash CODE                     a code_hash for a roster file\n"
    "  check-meeting FILE            validate a meeting (config/meetings/)";

int
main(int argc, char **argv)
{
  Admin a = {.grace_s = -1};
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &a.config,
       "INI file ([signalling] database, meeting; default config/rostrum.ini)", "FILE"},
      {"database", 'd', 0, G_OPTION_ARG_FILENAME, &a.database, "the database (overrides the INI)",
       "PATH"},
      {"meeting", 'm', 0, G_OPTION_ARG_STRING, &a.meeting,
       "meeting id (config/meetings/ID.json) or file; default wtpf-26", "ID|FILE"},
      {"session", 's', 0, G_OPTION_ARG_STRING, &a.session, "session id", "S"},
      {"item", 'i', 0, G_OPTION_ARG_STRING, &a.item, "agenda item id", "I"},
      {"format", 'f', 0, G_OPTION_ARG_STRING, &a.format, "csv (default) or json", "FMT"},
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &a.output, "write to FILE, not stdout", "FILE"},
      {"all", 0, 0, G_OPTION_ARG_NONE, &a.all, "codes issue: every badge without a code", NULL},
      {"per-session", 0, 0, G_OPTION_ARG_NONE, &a.per_session,
       "export bluesheet: one row per participant for the session", NULL},
      {"grace", 0, 0, G_OPTION_ARG_INT, &a.grace_s,
       "seconds a rejoin after a media loss stays one interval (default 60)", "S"},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new(usage_text);
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "rostrum-admin: %s\n", error->message);
    return 2;
  }
  int rc = load_config(&a) ? 1 : 2;
  for (guint i = 0; rc == 2 && argc >= 2 && i < G_N_ELEMENTS(commands); i++)
    if (strcmp(argv[1], commands[i].name) == 0) {
      rc = commands[i].run(&a, argv + 2);
      break;
    }
  if (rc == 2) {
    g_autofree char *help = g_option_context_get_help(ctx, TRUE, NULL);
    fprintf(stderr, "rostrum-admin: bad usage\n%s", help);
  }
  storage_close(a.storage);
  meeting_free(a.mtg);
  g_free(a.config);
  g_free(a.database);
  g_free(a.meeting);
  g_free(a.format);
  g_free(a.session);
  g_free(a.item);
  g_free(a.output);
  return rc;
}
