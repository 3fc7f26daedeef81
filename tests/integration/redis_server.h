/* A real redis-server for tests: started on a free loopback port, stopped by its PID. */
#ifndef GH_TEST_REDIS_SERVER_H
#define GH_TEST_REDIS_SERVER_H

#include <sys/types.h>

typedef struct redis_server {
  pid_t pid;
  int port;
} redis_server;

/* Starts redis-server (no persistence) on port, or on a free port when 0; waits until it answers. */
int redis_server_start(redis_server *s, int port);
/* Stops it (SIGKILL when hard, SIGTERM otherwise) and reaps it. */
void redis_server_stop(redis_server *s, int hard);

#endif
