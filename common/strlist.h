/* SPDX-License-Identifier: Apache-2.0 */
/* Lists in config values: "a, b c" → {"a", "b", "c"}. Pure. */
#pragma once

#include <glib.h>

/* Splits @text at commas and blanks, dropping empty items. Never NULL
 * (an empty vector for an empty text). Transfer full: g_strfreev(). */
char **strlist_split(const char *text);
