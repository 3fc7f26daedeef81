#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server.h"

int listen_reuseport(uv_loop_t *loop, uv_tcp_t *tcp, const char *host, int port, uv_connection_cb on_connection) {
  struct sockaddr_storage addr;
  int rc = strchr(host, ':') ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr)
                             : uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
  if (rc) return rc;
  /* libuv 1.44 has no reuse-port flag: the socket is made here and handed over */
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return uv_translate_sys_error(errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  socklen_t len = addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  if (bind(fd, (struct sockaddr *)&addr, len) < 0) {
    rc = uv_translate_sys_error(errno);
    close(fd);
    return rc;
  }
  if ((rc = uv_tcp_init(loop, tcp)) || (rc = uv_tcp_open(tcp, fd))) {
    close(fd);
    return rc;
  }
  return uv_listen((uv_stream_t *)tcp, 1024, on_connection);
}
