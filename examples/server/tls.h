/* TLS termination with mbedTLS: TLS 1.2 (the newest that mbedTLS 2.28 ships
 * as stable), ALPN "http/1.1", the certificate and key from files, and
 * optionally client certificates verified against a CA, whose SHA-256 goes
 * to the pipeline for mTLS-bound tokens (RFC 8705). One tls_server per
 * worker (its random generator and keys are not shared across threads);
 * one tls_conn per connection, fed the ciphertext libuv reads and handing
 * back the ciphertext to write. */
#ifndef GH_SERVER_TLS_H
#define GH_SERVER_TLS_H

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <stdbool.h>
#include <stddef.h>

#include "wire.h"

typedef struct tls_options {
  const char *cert_file, *key_file; /* PEM; NULL: no TLS */
  const char *client_ca_file;       /* PEM; NULL: client certificates are not asked for */
} tls_options;

typedef struct tls_server {
  mbedtls_ssl_config conf;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_x509_crt cert, ca;
  mbedtls_pk_context key;
} tls_server;

/* Loads the files and sets TLS up; 0, or -1 with err saying which file and why. */
int tls_server_init(tls_server *t, const tls_options *o, char *err, size_t cap);
void tls_server_free(tls_server *t);

typedef struct tls_conn {
  mbedtls_ssl_context ssl;
  const char *in; /* ciphertext being consumed */
  size_t in_len;
  wbuf out;             /* ciphertext to write (tls_conn_take_output) */
  bool ready;           /* handshake done */
  bool has_client_cert; /* a client certificate that verified against the CA */
  unsigned char client_cert_sha256[32];
} tls_conn;

/* 0, or -1 (out of memory). */
int tls_conn_init(tls_conn *c, tls_server *t);
void tls_conn_free(tls_conn *c);
/* Ciphertext in: the handshake goes on, and application bytes are appended to plain.
 * 0; 1 when the peer closed the session; -1 on a TLS failure (close the connection). */
int tls_conn_receive(tls_conn *c, const char *cipher, size_t n, wbuf *plain);
/* Application bytes out, encrypted into the output. 0 or -1. */
int tls_conn_send(tls_conn *c, const char *p, size_t n);
/* The close_notify alert, into the output. */
void tls_conn_close_notify(tls_conn *c);
/* The ciphertext waiting to be written (taken: the output is emptied). */
wbuf tls_conn_take_output(tls_conn *c);

#endif
