/* The developer portal, on the gateway's port under /portal: the page (three
 * files built into the server), the catalog's OpenAPI export, and
 * self-service for developers signed in with a token of the portal's realm:
 * API keys for a plan (shown once, kept as digests), subscriptions, usage.
 * Every change is a JSON Patch of the serving configuration, so a new
 * gateway snapshot. Pure request → answer: no I/O, no event loop. */
#ifndef GH_SERVER_PORTAL_H
#define GH_SERVER_PORTAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "gatehouse.h"

/* The largest request body the portal reads (a small JSON object). */
#define PORTAL_MAX_BODY 16384

typedef struct portal {
  gh_gateway *gw;
  const char *realm;    /* whose tokens sign developers in; NULL: the page and the catalog only */
  pthread_mutex_t lock; /* one change of the configuration at a time */
} portal;

typedef struct portal_answer {
  int status;
  const char *content_type;
  char *body; /* malloc'd, or NULL */
  size_t body_len;
  char fields[1024]; /* more header field lines, "Name: value\r\n"... */
} portal_answer;

void portal_init(portal *p, gh_gateway *gw, const char *realm);
void portal_destroy(portal *p);
/* Is the path (without query) the portal's: /portal or under /portal/? */
bool portal_path(const char *path, size_t len);
/* Answers one request to the portal (its body, if any, given whole) at now_ms. */
void portal_handle(portal *p, const gh_request *q, const char *body, size_t body_len, int64_t now_ms,
                   portal_answer *out);
void portal_answer_free(portal_answer *a);

#endif
