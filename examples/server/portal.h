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
  const char *realm;      /* whose tokens sign developers in; NULL: the page and the catalog only */
  pthread_mutex_t lock;   /* one change of the configuration at a time */
  const char *store_path; /* where the developers' consumers are kept across restarts; NULL: not kept */
  struct cJSON *store;    /* those consumers by name, as last changed */
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
/* Keeps the consumers developers make in path (a JSON object of consumers
 * by name, written whole on each change, mode 0600: it holds key digests).
 * 0, or -1 with err saying why (a file that is not such an object). */
int portal_open_store(portal *p, const char *path, char *err, size_t err_cap);
/* Lays the kept consumers over the configuration just loaded (at start,
 * after SIGHUP, after the admin API's PUT); one that the configuration
 * refuses is reported on stderr and left out. */
void portal_overlay(portal *p);
/* Takes into the store what the admin API changed in kept consumers. */
void portal_refresh(portal *p);
/* Is the path (without query) the portal's: /portal or under /portal/? */
bool portal_path(const char *path, size_t len);
/* Answers one request to the portal (its body, if any, given whole) at now_ms. */
void portal_handle(portal *p, const gh_request *q, const char *body, size_t body_len, int64_t now_ms,
                   portal_answer *out);
void portal_answer_free(portal_answer *a);

#endif
