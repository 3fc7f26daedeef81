/* The demo upstream (echo.c). */
#ifndef GH_SERVER_ECHO_H
#define GH_SERVER_ECHO_H

#include <llhttp.h>
#include <uv.h>

/* Listens on host:port (0: any free port, told in *bound_port). 0 or a libuv error. */
int echo_listen(uv_loop_t *loop, uv_tcp_t *listener, const char *host, int port, int *bound_port);

#endif
