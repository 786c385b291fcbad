/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the roster CSV import (roster_parse_checked), without a
 * meeting and against the WTPF-26 sample (read once from config/meetings/,
 * scripts/fuzz runs from the repository root). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "roster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static Meeting *wtpf;
  static gboolean tried;
  Roster *r = NULL;
  GPtrArray *problems = NULL;

  if (!tried) {
    tried = TRUE;
    meeting_load_file("config/meetings/wtpf-26.json", &wtpf, NULL);
  }
  /* the first byte picks the meeting and the flags; the rest is the file */
  guint8 mode = size ? data[0] : 0;
  const char *text = size ? (const char *)data + 1 : "";
  gsize len = size ? size - 1 : 0;
  const Meeting *m = (mode & 1) ? wtpf : NULL;
  guint flags = (mode & 2) ? ROSTER_REQUIRE_CODE_HASH : 0;

  int rc = roster_parse_checked(text, len, m, flags, &r, &problems);
  if (rc == ROSTER_OK) {
    /* a loaded roster is whole: every entry found by its badge, valid */
    if (!r || problems)
      __builtin_trap();
    for (guint i = 0; i < roster_size(r); i++) {
      const RosterEntry *e = roster_nth(r, i);
      if (roster_lookup(r, e->badge) != e || !roster_badge_valid(e->badge) || !e->roles[0] ||
          !*e->name || !*e->entity || !e->email || !e->category_id)
        __builtin_trap();
      if ((flags & ROSTER_REQUIRE_CODE_HASH) && !e->code_hash)
        __builtin_trap();
      if (m && !meeting_find_category(m, e->category_id))
        __builtin_trap();
    }
    roster_free(r);
  } else {
    /* a refusal loads nothing and names at least one line, in order */
    if (r || rc != ROSTER_EINVAL || !problems || !problems->len)
      __builtin_trap();
    guint last = 0;
    for (guint i = 0; i < problems->len; i++) {
      const RosterProblem *p = problems->pdata[i];
      if (p->line < last || p->line == 0 || !p->reason || !*p->reason)
        __builtin_trap();
      last = p->line;
    }
    g_ptr_array_unref(problems);
  }
  return 0;
}
