/**
 * @file gatehouse/attrs.h
 * @brief Attribute views: how one object reads what another established
 *        about the caller, without either knowing the other.
 *
 * Limit keys and transformation templates read the caller's subject or a
 * claim; the identity that knows them comes from the IAM layer. They meet
 * through this view: a lookup function and its user data, filled by whoever
 * composes them (the gateway, or a host), e.g.
 * `{.attr = gh_identity_attr, .attr_ud = identity}` (gatehouse/realm.h).
 *
 * Names a view answers (others are absent):
 * - "subject", "client_id", "realm": strings;
 * - "claims": the claims as one JSON object text;
 * - "operation": on a gateway's GraphQL routes, the operation's name (its type when anonymous).
 */
#ifndef GATEHOUSE_ATTRS_H
#define GATEHOUSE_ATTRS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Looks up one attribute. Returns its value (not necessarily NUL-terminated;
 * it stays valid while ud does) and its length in *value_len, or NULL when
 * absent. Must be thread-safe for a ud shared between threads.
 */
typedef const char *(*gh_attr_fn)(void *ud, const char *name, size_t name_len, size_t *value_len);

#ifdef __cplusplus
}
#endif
#endif
