/* SPDX-License-Identifier: Apache-2.0 */
#include "strlist.h"

char **
strlist_split(const char *text)
{
  char **items = g_strsplit_set(text ? text : "", ", \t", -1);
  guint j = 0;
  for (guint i = 0; items[i]; i++) {
    if (items[i][0])
      items[j++] = items[i];
    else
      g_free(items[i]);
  }
  items[j] = NULL;
  return items;
}
