#include "redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
  socklen_t len = sizeof a;
  int port = -1;
  if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) close(fd);
  return port;
}

static int answers(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons((uint16_t)port)};
  int ok = 0;
  if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
    char buf[16] = "";
    ok = write(fd, "PING\r\n", 6) == 6 && read(fd, buf, sizeof buf - 1) > 0 && !strncmp(buf, "+PONG", 5);
  }
  if (fd >= 0) close(fd);
  return ok;
}

int redis_server_start(redis_server *s, int port) {
  s->port = port ? port : free_port();
  char port_text[16];
  snprintf(port_text, sizeof port_text, "%d", s->port);
  char *argv[] = {"redis-server", "--port", port_text, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                  "--protected-mode", "no", NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  int rc = posix_spawnp(&s->pid, "redis-server", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc) return -1;
  for (int i = 0; i < 500; i++) { /* up to 5 s */
    if (answers(s->port)) return 0;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  redis_server_stop(s, 1);
  return -1;
}

void redis_server_stop(redis_server *s, int hard) {
  if (s->pid <= 0) return;
  kill(s->pid, hard ? SIGKILL : SIGTERM);
  waitpid(s->pid, NULL, 0);
  s->pid = 0;
}
