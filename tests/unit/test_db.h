/* SPDX-License-Identifier: Apache-2.0 */
/* For the tests of the attendance log: removes a SQLite database in WAL
 * mode (the file, its -wal and -shm) and the temporary folder it was in. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

static inline void
test_db_remove(const char *dir, const char *path)
{
  g_autofree char *wal = g_strconcat(path, "-wal", NULL);
  g_autofree char *shm = g_strconcat(path, "-shm", NULL);
  g_unlink(path);
  g_unlink(wal);
  g_unlink(shm);
  g_rmdir(dir);
}
