/* TLS termination (tls.h). The connection's bytes never touch a socket
 * here: mbedTLS reads the ciphertext libuv received from `in` and writes
 * into `out`, which the caller sends. */
#include "tls.h"

#include <arpa/inet.h>
#include <mbedtls/asn1.h>
#include <mbedtls/error.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <string.h>

static const char *ALPN[] = {"http/1.1", NULL};
#define ERR_IP_NOT_NAMED (-0x7F01) /* ours: the certificate does not name the address (no mbedTLS code is this) */

static int failed(char *err, size_t cap, const char *what, const char *file, int rc) {
  char why[160];
  mbedtls_strerror(rc, why, sizeof why);
  snprintf(err, cap, "%s %s: %s", what, file ? file : "", why);
  return -1;
}

/* What both ends share: every member set up (so tls_config_free is always safe), the generator
 * seeded, mbedTLS's defaults for the endpoint, TLS 1.2 at least. */
static int config_common(tls_config *t, int endpoint, const char *personal, char *err, size_t cap) {
  mbedtls_ssl_config_init(&t->conf);
  mbedtls_entropy_init(&t->entropy);
  mbedtls_ctr_drbg_init(&t->drbg);
  mbedtls_x509_crt_init(&t->cert);
  mbedtls_x509_crt_init(&t->ca);
  mbedtls_pk_init(&t->key);
  int rc;
  if ((rc = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy, (const unsigned char *)personal,
                                  strlen(personal))))
    return failed(err, cap, "the random generator", NULL, rc);
  if ((rc = mbedtls_ssl_config_defaults(&t->conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)))
    return failed(err, cap, "TLS defaults", NULL, rc);
  mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
  mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3); /* TLS 1.2 */
  return 0;
}

int tls_config_server(tls_config *t, const tls_options *o, char *err, size_t cap) {
  if (config_common(t, MBEDTLS_SSL_IS_SERVER, "gatehouse-server", err, cap)) return -1;
  int rc;
  if ((rc = mbedtls_x509_crt_parse_file(&t->cert, o->cert_file)))
    return failed(err, cap, "--tls-cert", o->cert_file, rc);
  if ((rc = mbedtls_pk_parse_keyfile(&t->key, o->key_file, NULL)))
    return failed(err, cap, "--tls-key", o->key_file, rc);
  if ((rc = mbedtls_ssl_conf_alpn_protocols(&t->conf, ALPN))) return failed(err, cap, "ALPN", NULL, rc);
  if ((rc = mbedtls_ssl_conf_own_cert(&t->conf, &t->cert, &t->key)))
    return failed(err, cap, "--tls-cert and --tls-key do not go together:", o->cert_file, rc);
  if (o->client_ca_file) {
    if ((rc = mbedtls_x509_crt_parse_file(&t->ca, o->client_ca_file)))
      return failed(err, cap, "--tls-client-ca", o->client_ca_file, rc);
    mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
    mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_OPTIONAL); /* asked for, not required: tokens say */
  } else {
    mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_NONE);
  }
  return 0;
}

#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt" /* Debian's ca-certificates */

int tls_config_client(tls_config *t, const char *ca_file, const char *ca_option, char *err, size_t cap) {
  if (config_common(t, MBEDTLS_SSL_IS_CLIENT, "gatehouse-server client", err, cap)) return -1;
  const char *bundle = ca_file ? ca_file : SYSTEM_CA_BUNDLE;
  int rc;
  if ((rc = mbedtls_x509_crt_parse_file(&t->ca, bundle)) < 0) /* > 0: some certificates skipped */
    return failed(err, cap, ca_file ? ca_option : "the system's CA bundle", bundle, rc);
  mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
  mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  return 0;
}

void tls_config_free(tls_config *t) {
  mbedtls_ssl_config_free(&t->conf);
  mbedtls_ctr_drbg_free(&t->drbg);
  mbedtls_entropy_free(&t->entropy);
  mbedtls_x509_crt_free(&t->cert);
  mbedtls_x509_crt_free(&t->ca);
  mbedtls_pk_free(&t->key);
}

static int bio_send(void *ctx, const unsigned char *p, size_t n) {
  tls_conn *c = ctx;
  wbuf_put(&c->out, p, n);
  return c->out.failed ? MBEDTLS_ERR_SSL_ALLOC_FAILED : (int)n;
}

static int bio_recv(void *ctx, unsigned char *p, size_t n) {
  tls_conn *c = ctx;
  if (!c->in_len) return MBEDTLS_ERR_SSL_WANT_READ;
  if (n > c->in_len) n = c->in_len;
  memcpy(p, c->in, n);
  c->in += n, c->in_len -= n;
  return (int)n;
}

int tls_conn_init(tls_conn *c, tls_config *t) {
  memset(c, 0, sizeof *c);
  mbedtls_ssl_init(&c->ssl);
  if (mbedtls_ssl_setup(&c->ssl, &t->conf)) return -1;
  mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
  return 0;
}

int tls_conn_init_client(tls_conn *c, tls_config *t, const char *host) {
  if (tls_conn_init(c, t)) return -1;
  /* mbedTLS 2.28 matches host names only: an address is matched here, after the handshake */
  if (inet_pton(AF_INET, host, c->peer_ip) == 1) c->peer_ip_len = 4;
  else if (inet_pton(AF_INET6, host, c->peer_ip) == 1) c->peer_ip_len = 16;
  else if (mbedtls_ssl_set_hostname(&c->ssl, host)) return -1;
  wbuf none = {0};
  int rc = tls_conn_receive(c, NULL, 0, &none); /* the ClientHello, into the output */
  wbuf_free(&none);
  return rc < 0 ? -1 : 0;
}

void tls_conn_error(const tls_conn *c, char *out, size_t cap) {
  uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
  if (c->last_error == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != (uint32_t)-1 && flags) {
    char why[256];
    mbedtls_x509_crt_verify_info(why, sizeof why, "", flags);
    why[strcspn(why, "\n")] = 0;
    snprintf(out, cap, "the certificate is not accepted: %s", why);
    return;
  }
  if (c->last_error == ERR_IP_NOT_NAMED) {
    snprintf(out, cap, "the certificate is not accepted: it does not name the address connected to");
    return;
  }
  mbedtls_strerror(c->last_error, out, cap);
}

void tls_conn_free(tls_conn *c) {
  mbedtls_ssl_free(&c->ssl);
  wbuf_free(&c->out);
}

bool tls_cert_names_ip(const mbedtls_x509_crt *crt, const unsigned char *ip, size_t ip_len) {
  if (!crt->v3_ext.p) return false; /* no extensions at all */
  unsigned char *p = crt->v3_ext.p, *end = p + crt->v3_ext.len;
  size_t len;
  if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) return false;
  end = p + len;
  while (p < end) {
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) return false;
    unsigned char *ext_end = p + len;
    if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OID)) return false;
    bool san = len == 3 && !memcmp(p, "\x55\x1d\x11", 3);
    p += len;
    int critical;
    if (p < ext_end && *p == MBEDTLS_ASN1_BOOLEAN && mbedtls_asn1_get_bool(&p, ext_end, &critical)) return false;
    if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING)) return false;
    if (san) {
      unsigned char *q = p, *names_end;
      if (mbedtls_asn1_get_tag(&q, p + len, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) return false;
      names_end = q + len;
      while (q < names_end) {
        unsigned char tag = *q++;
        size_t n;
        if (mbedtls_asn1_get_len(&q, names_end, &n)) return false;
        if (tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && n == ip_len && !memcmp(q, ip, n)) return true;
        q += n;
      }
      return false;
    }
    p = ext_end;
  }
  return false;
}

/* After the handshake: the client certificate's SHA-256, when it verified against the CA. */
static void note_client_cert(tls_conn *c) {
  const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&c->ssl);
  if (!peer || mbedtls_ssl_get_verify_result(&c->ssl) != 0) return;
  c->has_client_cert = mbedtls_sha256_ret(peer->raw.p, peer->raw.len, c->client_cert_sha256, 0) == 0;
}

int tls_conn_receive(tls_conn *c, const char *cipher, size_t n, wbuf *plain) {
  c->in = cipher, c->in_len = n;
  if (!c->ready) {
    int rc = mbedtls_ssl_handshake(&c->ssl);
    if (rc == MBEDTLS_ERR_SSL_WANT_READ) return 0;
    if (rc) {
      c->last_error = rc;
      return -1;
    }
    c->ready = true;
    note_client_cert(c);
    const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&c->ssl);
    if (c->peer_ip_len && (!peer || !tls_cert_names_ip(peer, c->peer_ip, c->peer_ip_len))) {
      c->last_error = ERR_IP_NOT_NAMED;
      return -1;
    }
  }
  unsigned char buf[16384];
  for (;;) {
    int rc = mbedtls_ssl_read(&c->ssl, buf, sizeof buf);
    if (rc > 0) {
      wbuf_put(plain, buf, (size_t)rc);
      if (plain->failed) return -1;
      continue;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_READ) return 0;
    if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return 1;
    c->last_error = rc;
    return -1;
  }
}

int tls_conn_send(tls_conn *c, const char *p, size_t n) {
  while (n) {
    int rc = mbedtls_ssl_write(&c->ssl, (const unsigned char *)p, n);
    if (rc <= 0) return -1; /* the output never says "wait": it grows */
    p += rc, n -= (size_t)rc;
  }
  return 0;
}

void tls_conn_close_notify(tls_conn *c) {
  if (c->ready) mbedtls_ssl_close_notify(&c->ssl);
}

wbuf tls_conn_take_output(tls_conn *c) {
  wbuf out = c->out;
  c->out = (wbuf){0};
  return out;
}
