/* SPDX-License-Identifier: Apache-2.0 */
/* Venue description (config/venue.json): meeting name, dates, languages,
 * agenda, current item. Pure: no loop, no sockets, no globals. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

/* Error codes: negative, errno style. */
enum {
  VENUE_OK = 0,
  VENUE_EINVAL = -22, /* bad JSON or content; the detail says what */
  VENUE_EIO = -5,     /* file could not be read */
  VENUE_ENOENT = -2,  /* no such agenda item */
};

typedef struct {
  char *id;    /* short id: "1", "2", ... */
  char *title; /* English */
} VenueItem;

typedef struct {
  char *meeting;   /* "WTPF-26" */
  char *title;     /* full name of the meeting */
  char *dates;     /* human text */
  char *location;
  char **languages; /* NULL-terminated ISO 639-1 codes */
  GPtrArray *agenda; /* VenueItem*, owned */
  char *current_item; /* id of an agenda item */
} Venue;

/* Parses venue JSON. Returns VENUE_OK and *out (transfer full, free with
 * venue_free) or a negative code with *detail (transfer full) if not NULL. */
int venue_parse(const char *data, gsize len, Venue **out, char **detail);
int venue_load_file(const char *path, Venue **out, char **detail);
void venue_free(Venue *venue);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Venue, venue_free)

/* The item with @id (transfer none) or NULL. */
const VenueItem *venue_find_item(const Venue *venue, const char *id);
/* The current agenda item (transfer none); never NULL for a parsed venue. */
const VenueItem *venue_current(const Venue *venue);
/* Makes @id current: VENUE_OK or VENUE_ENOENT. */
int venue_set_current(Venue *venue, const char *id);

/* {"id":..,"title":..} of an item (transfer full). */
JsonNode *venue_item_to_json(const VenueItem *item);
/* The whole venue as served by GET /api/venue (transfer full). */
JsonNode *venue_to_json(const Venue *venue);
