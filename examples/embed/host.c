/* A whole gateway host in one file: a blocking, single-threaded HTTP/1.1
 * loop that loads a configuration, decides each request with gatehouse,
 * answers it or forwards it, and reports back. It shows the calls, not a
 * production server (one request per connection, bodies read whole).
 *   usage: gateway-host CONFIG_FILE [PORT]     (listens on 127.0.0.1, default 8080) */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gatehouse.h>

#define MAX_HEAD 16384
#define MAX_BODY (1 << 20)
#define MAX_HEADERS 64

static int write_all(int fd, const char *p, size_t n) {
  for (ssize_t w; n; p += w, n -= (size_t)w)
    if ((w = write(fd, p, n)) <= 0) return -1;
  return 0;
}

/* Reads the head (through the blank line) and a Content-Length body. Returns the bytes read, or -1. */
static ssize_t read_message(int fd, char *buf, size_t cap, size_t *head_len) {
  size_t n = 0;
  char *end = NULL;
  while (!end) {
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r <= 0 || (n += (size_t)r) >= cap - 1) return -1;
    buf[n] = 0;
    end = strstr(buf, "\r\n\r\n");
    if (!end && n > MAX_HEAD) return -1;
  }
  *head_len = (size_t)(end + 4 - buf);
  const char *cl = strcasestr(buf, "\r\ncontent-length:");
  size_t want = *head_len + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
  while (n < want && n < cap - 1) {
    ssize_t r = read(fd, buf + n, cap - 1 - n);
    if (r <= 0) return -1;
    n += (size_t)r;
  }
  return n < want ? -1 : (ssize_t)n;
}

/* Cuts the request line and headers out of the head, in place. */
static int parse_request(char *head, gh_request *q, gh_header *h) {
  char *line_end = strstr(head, "\r\n"), *sp1 = strchr(head, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
  if (!sp1 || !sp2 || sp2 > line_end) return -1;
  char *target = sp1 + 1, *query = memchr(target, '?', (size_t)(sp2 - target));
  *q = (gh_request){.method = head, .method_len = (size_t)(sp1 - head), .path = target,
                    .path_len = (size_t)((query ? query : sp2) - target), .headers = h};
  if (query) q->query = query + 1, q->query_len = (size_t)(sp2 - query - 1);
  for (char *line = line_end + 2; strncmp(line, "\r\n", 2) && q->n_headers < MAX_HEADERS;) {
    char *eol = strstr(line, "\r\n"), *colon = memchr(line, ':', (size_t)(eol - line));
    if (!colon) return -1;
    char *v = colon + 1;
    while (*v == ' ' || *v == '\t') v++;
    h[q->n_headers++] = (gh_header){line, v, (size_t)(colon - line), (size_t)(eol - v)};
    if (colon - line == 4 && !strncasecmp(line, "Host", 4)) q->host = v, q->host_len = (size_t)(eol - v);
    line = eol + 2;
  }
  return 0;
}

/* Connects to "http://host:port". */
static int connect_to(const char *target) {
  char host[256];
  const char *port = "80";
  if (strncmp(target, "http://", 7) || snprintf(host, sizeof host, "%s", target + 7) >= (int)sizeof host) return -1;
  char *colon = strchr(host, ':'), *slash = strchr(host, '/');
  if (slash) *slash = 0;
  if (colon) *colon = 0, port = colon + 1;
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
  if (getaddrinfo(host, port, &hints, &ai)) return -1;
  int fd = socket(ai->ai_family, SOCK_STREAM, 0);
  if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen)) close(fd), fd = -1;
  freeaddrinfo(ai);
  return fd;
}

static void put_header(char *out, size_t *n, size_t cap, const gh_header *h) {
  *n += (size_t)snprintf(out + *n, cap - *n, "%.*s: %.*s\r\n", (int)h->name_len, h->name, (int)h->value_len, h->value);
}

static int hop_by_hop(const gh_header *h) { /* RFC 9110 §7.6.1: not forwarded */
  static const char *const names[] = {"Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Upgrade",
                                      "Proxy-Connection", "Content-Length"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (h->name_len == strlen(names[i]) && !strncasecmp(h->name, names[i], h->name_len)) return 1;
  return 0;
}

/* Sends the request upstream and relays the answer, with the decision's response headers added. */
static int forward(int client, gh_decision *d, const gh_request *q, const char *body, size_t body_len, uint64_t *sent) {
  int up = connect_to(gh_decision_target(d));
  if (up < 0) return 0;
  static char out[MAX_HEAD * 2], in[MAX_BODY + MAX_HEAD];
  size_t n = (size_t)snprintf(out, sizeof out, "%.*s %s HTTP/1.1\r\n", (int)q->method_len, q->method,
                              gh_decision_upstream_path(d, NULL)), count;
  const gh_header *h = gh_decision_upstream_headers(d, &count);
  for (size_t i = 0; i < count; i++)
    if (!hop_by_hop(&h[i])) put_header(out, &n, sizeof out, &h[i]);
  n += (size_t)snprintf(out + n, sizeof out - n, "X-Request-Id: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                        gh_decision_request_id(d), body_len);
  size_t got = 0;
  ssize_t r;
  if (n >= sizeof out || write_all(up, out, n) || write_all(up, body, body_len)) return close(up), 0;
  while ((r = read(up, in + got, sizeof in - 1 - got)) > 0) got += (size_t)r;
  close(up);
  in[got] = 0;
  char *eol = strstr(in, "\r\n");
  if (got < 12 || !eol) return 0;
  int status = atoi(in + 9);
  n = 0; /* status line, the decision's headers (Deprecation, RateLimit, ...), then the upstream's */
  for (size_t i = 0; i < gh_decision_header_count(d); i++) put_header(out, &n, sizeof out, gh_decision_header(d, i));
  if (write_all(client, in, (size_t)(eol + 2 - in)) || write_all(client, out, n) ||
      write_all(client, eol + 2, got - (size_t)(eol + 2 - in)))
    return 0;
  *sent = got + n;
  return status;
}

static void respond(int client, const gh_decision *d, uint64_t *sent) {
  static char out[MAX_HEAD];
  size_t body_len, n = (size_t)snprintf(out, sizeof out, "HTTP/1.1 %d \r\n", gh_decision_status(d));
  const char *body = gh_decision_body(d, &body_len);
  for (size_t i = 0; i < gh_decision_header_count(d); i++) put_header(out, &n, sizeof out, gh_decision_header(d, i));
  n += (size_t)snprintf(out + n, sizeof out - n, "X-Request-Id: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                        gh_decision_request_id(d) ? gh_decision_request_id(d) : "-", body_len);
  if (!write_all(client, out, n) && !write_all(client, body, body_len)) *sent = n + body_len;
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help")) {
    fprintf(argc < 2 ? stderr : stdout, "usage: gateway-host CONFIG_FILE [PORT]   (listens on 127.0.0.1)\n");
    return argc < 2 ? 2 : 0;
  }
  static char doc[1 << 22], errors[16384], buf[MAX_BODY + MAX_HEAD];
  FILE *f = fopen(argv[1], "rb");
  size_t len = f ? fread(doc, 1, sizeof doc, f) : 0;
  if (f) fclose(f);
  gh_gateway *gw;
  gh_decision *d;
  if (gh_gateway_new(&gw) || gh_gateway_load(gw, doc, len, errors, sizeof errors) || gh_decision_new(&d)) {
    fprintf(stderr, "gateway-host: %s: %s\n", argv[1], f ? errors : "cannot read it");
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  int s = socket(AF_INET, SOCK_STREAM, 0), on = 1;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(argc > 2 ? atoi(argv[2]) : 8080))};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (bind(s, (struct sockaddr *)&addr, sizeof addr) || listen(s, 64)) return perror("gateway-host: listen"), 1;
  fprintf(stderr, "gateway-host: configuration %llu, listening on 127.0.0.1:%d\n",
          (unsigned long long)gh_gateway_version(gw), ntohs(addr.sin_port));
  for (;;) {
    struct sockaddr_in peer;
    socklen_t peer_len = sizeof peer;
    int c = accept(s, (struct sockaddr *)&peer, &peer_len);
    if (c < 0) continue;
    char ip[INET_ADDRSTRLEN];
    gh_header headers[MAX_HEADERS];
    gh_request q;
    size_t head_len;
    ssize_t n = read_message(c, buf, sizeof buf, &head_len);
    if (n < 0 || parse_request(buf, &q, headers)) {
      write_all(c, "HTTP/1.1 400 \r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 56);
      close(c);
      continue;
    }
    inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
    q.client_ip = ip, q.client_ip_len = strlen(ip);
    q.body = buf + head_len, q.body_len = (size_t)n - head_len;
    int64_t start = gh_now_ms();
    gh_gateway_decide(gw, &q, start, d); /* an error still leaves an answer to send */
    uint64_t sent = 0;
    int status = gh_decision_status(d);
    if (gh_decision_verdict(d) == GH_VERDICT_FORWARD) {
      status = forward(c, d, &q, q.body, q.body_len, &sent);
      if (!status) { /* the upstream failed: 502, and the target's health hears of it */
        gh_decision_respond(d, 502, "the upstream did not answer");
        respond(c, d, &sent);
      }
    } else {
      respond(c, d, &sent);
    }
    gh_gateway_complete(gw, d, status, gh_now_ms() - start, (uint64_t)n, sent);
    close(c);
  }
}
