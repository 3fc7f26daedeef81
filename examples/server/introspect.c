/* Token introspection (introspect.h). */
#include "introspect.h"

#include <mbedtls/base64.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "gatehouse.h"
#include "http_client.h"
#include "tls.h"
#include "wire.h"

static const introspect_options *options;

void introspect_configure(const introspect_options *o) { options = o; }

/* What each deciding thread keeps between calls: its loop and TLS configuration. */
static _Thread_local struct {
  bool ready, tls_ready;
  uv_loop_t loop;
  tls_config tls;
} here;

typedef struct answer {
  bool done;
  int status;
  char *body;
  size_t len;
  char error[256];
} answer;

static void on_answer(void *ud, int status, const char *body, size_t len, const char *error) {
  answer *a = ud;
  a->done = true;
  a->status = status;
  if (status == 200 && (a->body = malloc(len + 1))) {
    memcpy(a->body, body, len);
    a->body[len] = 0;
    a->len = len;
  }
  snprintf(a->error, sizeof a->error, "%s", error ? error : "");
}

/* application/x-www-form-urlencoded (RFC 6749 appendix B): unreserved characters as they are, the rest %XX. */
static void form_encode(wbuf *out, const char *p, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)p[i];
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || strchr("-._~", ch))
      wbuf_put(out, p + i, 1);
    else
      wbuf_putf(out, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
  }
}

/* "Authorization: Basic base64(urlencode(id):urlencode(secret))" (RFC 6749 §2.3.1). */
static void basic_field(wbuf *out, const char *client) {
  const char *colon = strchr(client, ':');
  if (!colon) return;
  wbuf pair = {0};
  form_encode(&pair, client, (size_t)(colon - client));
  wbuf_put(&pair, ":", 1);
  form_encode(&pair, colon + 1, strlen(colon + 1));
  unsigned char b64[1024];
  size_t n = 0;
  if (!pair.failed && !mbedtls_base64_encode(b64, sizeof b64, &n, (const unsigned char *)pair.p, pair.len))
    wbuf_putf(out, "Authorization: Basic %.*s\r\n", (int)n, b64);
  wbuf_free(&pair);
}

int introspect_call(void *ud, const char *endpoint, const char *token, size_t len, char **json, size_t *json_len) {
  (void)ud;
  if (!here.ready) {
    if (uv_loop_init(&here.loop)) return GH_ENOMEM;
    here.ready = true;
  }
  if (!here.tls_ready && !strncmp(endpoint, "https://", 8)) {
    char err[300];
    if (tls_config_client(&here.tls, options ? options->ca_file : NULL, "--fetch-ca", err, sizeof err)) {
      tls_config_free(&here.tls);
      fprintf(stderr, "gatehouse-server: introspection at %s: %s\n", endpoint, err);
      return GH_EIO;
    }
    here.tls_ready = true;
  }
  wbuf body = {0}, fields = {0};
  wbuf_puts(&body, "token=");
  form_encode(&body, token, len);
  wbuf_puts(&body, "&token_type_hint=access_token");
  wbuf_puts(&fields, "Content-Type: application/x-www-form-urlencoded\r\n");
  if (options && options->client) basic_field(&fields, options->client);
  wbuf_put(&fields, "", 1); /* a C string for http_send (a wbuf is not one by itself) */
  answer a = {0};
  http_request post = {.method = "POST", .url = endpoint, .fields = fields.p, .body = body.p, .body_len = body.len,
                       .tls = here.tls_ready ? &here.tls : NULL,
                       .max_bytes = options ? options->max_bytes : 1u << 20,
                       .timeout_ms = options ? options->timeout_ms : 5000};
  int rc = body.failed || fields.failed ? GH_ENOMEM : http_send(&here.loop, &post, on_answer, &a) ? GH_EINVAL : GH_OK;
  if (!rc) uv_run(&here.loop, UV_RUN_DEFAULT); /* until the exchange is over, its handles closed */
  wbuf_free(&body);
  wbuf_free(&fields);
  if (rc) return rc;
  if (!a.body) { /* the pipeline answers 503 and logs; say why once here */
    fprintf(stderr, "gatehouse-server: introspection at %s failed: %s%s\n", endpoint,
            a.status ? "the answer is not 200" : a.error, a.status == 401 ? " (give --introspection-client ID:SECRET)" : "");
    return GH_EIO;
  }
  *json = a.body;
  *json_len = a.len;
  return GH_OK;
}
