/* The demo configuration (demo.c): what `make run` serves with nothing else running. */
#ifndef GH_SERVER_DEMO_H
#define GH_SERVER_DEMO_H

#include <stddef.h>

/* The demo realm's signing key, made on first run in state_dir/demo-signing-key.jwk.json
 * (private; mode 0600) and read back later. A fresh gh_signing_key, or NULL (message on stderr). */
struct gh_signing_key *demo_key(const char *state_dir);
/* The demo configuration for that key and the echo upstream on 127.0.0.1:echo_port (malloc'd). */
char *demo_config(const struct gh_signing_key *key, int echo_port, size_t *len);
/* A demo token for sub with role, valid for a day (malloc'd), or NULL. */
char *demo_token(const struct gh_signing_key *key, const char *sub, const char *role, long long now_s);

#define DEMO_REALM "demo" /* the realm whose tokens sign developers in to the portal */
#define DEMO_ISSUER "https://demo.gatehouse.invalid"
#define DEMO_AUDIENCE "gatehouse-demo"
#define DEMO_KID "demo-1"
#define DEMO_API_KEY "demo-key-DO-NOT-USE"

#endif
