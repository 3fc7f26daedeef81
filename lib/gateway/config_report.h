/* A configuration document's errors, all of them, each located: the JSON
 * path of the member at fault and its line:column in the document's text,
 * with a suggestion when a misspelt name is close to a known one. */
#ifndef GH_CONFIG_REPORT_H
#define GH_CONFIG_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/core.h"

#define GH__CONFIG_PATH_DEPTH 32

/* One step of a JSON path: a member name, or an array index (name NULL). */
typedef struct gh__path_step {
  const char *name;
  size_t index;
} gh__path_step;

typedef struct gh__config_report {
  const char *text; /* the document, for line:column */
  size_t text_len;
  gh__path_step steps[GH__CONFIG_PATH_DEPTH];
  size_t depth;
  gh__buf out; /* the errors, one per line */
  size_t count;
} gh__config_report;

void gh__report_init(gh__config_report *r, const char *text, size_t len);
void gh__report_free(gh__config_report *r);

/* The path the checker is at: push before looking into a member or an element, pop after. */
void gh__report_push_name(gh__config_report *r, const char *name);
void gh__report_push_index(gh__config_report *r, size_t index);
void gh__report_pop(gh__config_report *r);

/* An error at the current path (located at its value). */
void gh__report_error(gh__config_report *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* An error about the member `name` of the object at the current path (located at its name). */
void gh__report_member_error(gh__config_report *r, const char *name, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Checks that each member of the object at the current path is one of
 * `known` (NULL-terminated); reports each other one, with the closest known
 * name when it is near. Returns true when all are known. */
bool gh__report_unknown_members(gh__config_report *r, const void *object, const char *const *known);
/* name as it may be shown in a message (printable ASCII, escaped, bounded). */
const char *gh__report_quote(const char *name, char *buf, size_t cap);
/* The known name closest to `name` (edit distance at most 2, and less than
 * half its length), or NULL. */
const char *gh__closest_name(const char *name, const char *const *known);

/* The offset of the value (or, with at_name, of the member name) at a path in
 * a JSON text; SIZE_MAX when the path is not there. */
size_t gh__json_locate(const char *text, size_t len, const gh__path_step *steps, size_t depth, bool at_name);

#endif
