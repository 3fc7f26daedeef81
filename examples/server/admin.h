/* The admin API (admin.c), on its own loopback port. */
#ifndef GH_SERVER_ADMIN_H
#define GH_SERVER_ADMIN_H

#include "server.h"

/* Listens on srv->admin_host:admin_port in loop. 0 or a libuv error. */
int admin_listen(server *srv, uv_loop_t *loop, uv_tcp_t *listener);
/* Reloads srv->config_path (SIGHUP); says what happened on stderr. */
void admin_reload_file(server *srv);

#endif
