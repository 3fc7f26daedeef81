/**
 * @file gatehouse/path.h
 * @brief The canonical form of a request path, shared by every object that
 *        matches on paths (router, policy, transformations).
 *
 * Two spellings of one resource must never be told apart by one object and
 * confused by another: a deny rule on `/admin/` holds however a client spells
 * the path. Every object canonicalises with this one function, and a host that
 * forwards a request should forward the canonical path it was decided on.
 *
 * The rules, in the order they apply (RFC 3986 §6.2.2 plus what a gateway
 * must refuse):
 * - Only the path counts: the text stops at the first `?` or `#`. It must
 *   start with `/` (origin-form, RFC 9112 §3.2.1).
 * - Percent-encoding (§6.2.2.2): an escape of an unreserved character
 *   (`A-Z a-z 0-9 - . _ ~`) is decoded (`%61dmin` is `admin`); every other
 *   escape stays, with upper-case hex digits (`%2f` would be `%2F`).
 * - Refused (GH_EPARSE): a `%` without two hex digits; an encoded `/` (`%2F`),
 *   `\` (`%5C`) or NUL (`%00`), which backends decode into separators or
 *   string ends; a raw `\`, control character or DEL.
 * - Other bytes that may not stand raw in a path (space, `"`, `<`, `>`, `^`,
 *   backtick, `{`, `|`, `}`, bytes >= 0x80) are percent-encoded, so a host
 *   that hands over a decoded path gets the same canonical form.
 * - Dot segments (§5.2.4) are refused, never resolved: `.` and `..`, in any
 *   spelling (`%2e%2E`, `.%2e`), and also `.;x` and `..;x`, which servers
 *   that strip path parameters (Tomcat) take as dot segments.
 * - Empty segments are merged: `//a///b` is `/a/b`. A trailing slash stays
 *   (`/a/` is not `/a` here; see each object's trailing-slash rule).
 * - With GH_PATH_IGNORE_CASE, letters outside escapes are lower-cased, for
 *   backends that ignore case.
 *
 * The canonical form is a fixed point: canonicalising it again gives it back.
 */
#ifndef GATEHOUSE_PATH_H
#define GATEHOUSE_PATH_H

#include <stddef.h>

#include "gatehouse/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The longest path accepted, before and after canonicalisation, in bytes. */
#define GH_PATH_MAX 4096
/** Lower-case letters outside percent-escapes. */
#define GH_PATH_IGNORE_CASE 1u

/** GH_PATH_MAX, for callers that cannot see macros. */
GH_EXTERN size_t gh_path_max(void);

/**
 * Writes the canonical form of path (see the file comment) to out, NUL-terminated.
 * Thread-safe; allocates nothing.
 * @param flags 0 or GH_PATH_IGNORE_CASE
 * @param out_len the canonical length, without the NUL (may be NULL)
 * @param msg why a path was refused ("dot segment ..", "encoded '/'"); may be NULL
 * @return GH_OK; GH_EPARSE refused (msg says why); GH_ETOOBIG over GH_PATH_MAX
 *   (in or out); GH_EBUFFER out_cap too small (GH_PATH_MAX + 1 always fits);
 *   GH_EINVAL NULL arguments or unknown flags
 */
GH_EXTERN int gh_path_canonicalize(const char *path, size_t len, unsigned flags, char *out, size_t out_cap,
                                   size_t *out_len, char *msg, size_t msg_cap);

#ifdef __cplusplus
}
#endif
#endif
