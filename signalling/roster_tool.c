/* SPDX-License-Identifier: Apache-2.0 */
/* rostrum-roster: roster helper.
 *   rostrum-roster hash CODE          print a code_hash for the roster
 *   rostrum-roster check ROSTER.csv   validate a roster file
 *   rostrum-roster check-meeting FILE validate a meeting (config/meetings/) */
#include "meeting.h"
#include "passhash.h"
#include "roster.h"

#include <stdio.h>
#include <string.h>

static int
usage(void)
{
  fprintf(stderr, "usage: rostrum-roster hash CODE\n"
                  "       rostrum-roster check ROSTER.csv\n"
                  "       rostrum-roster check-meeting FILE\n");
  return 2;
}

int
main(int argc, char **argv)
{
  if (argc != 3)
    return usage();
  if (strcmp(argv[1], "hash") == 0) {
    g_autofree char *hash = NULL;
    if (!*argv[2] || passhash_hash(argv[2], 0, &hash) < 0) {
      fprintf(stderr, "rostrum-roster: cannot hash this code\n");
      return 1;
    }
    printf("%s\n", hash);
    return 0;
  }
  if (strcmp(argv[1], "check") == 0) {
    g_autoptr(Roster) roster = NULL;
    g_autofree char *detail = NULL;
    if (roster_load_file(argv[2], &roster, &detail) < 0) {
      fprintf(stderr, "%s: %s\n", argv[2], detail ? detail : "error");
      return 1;
    }
    printf("%s: %u entries, OK\n", argv[2], roster_size(roster));
    return 0;
  }
  if (strcmp(argv[1], "check-meeting") == 0) {
    g_autoptr(Meeting) meeting = NULL;
    g_autoptr(GPtrArray) errors = NULL;
    if (meeting_load_file(argv[2], &meeting, &errors) < 0) {
      for (guint i = 0; i < errors->len; i++) {
        g_autofree char *line = meeting_error_format(errors->pdata[i]);
        fprintf(stderr, "%s\n", line);
      }
      return 1;
    }
    printf("ok\n");
    return 0;
  }
  return usage();
}
