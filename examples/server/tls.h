/* TLS with mbedTLS, both ways: TLS 1.2 (the newest that mbedTLS 2.28 ships
 * as stable). As a server: ALPN "http/1.1", the certificate and key from
 * files, and optionally client certificates verified against a CA, whose
 * SHA-256 goes to the pipeline for mTLS-bound tokens (RFC 8705). As a
 * client (fetching key sets): the peer's certificate verified against a CA
 * bundle and the host name (RFC 6125). One tls_config per thread (its random
 * generator and keys are not shared across threads); one tls_conn per
 * connection, fed the ciphertext libuv reads and handing back the
 * ciphertext to write. */
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

typedef struct tls_config {
  mbedtls_ssl_config conf;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_x509_crt cert, ca;
  mbedtls_pk_context key;
} tls_config;

/* Loads the files and sets TLS up; 0, or -1 with err saying which file and why. */
int tls_config_server(tls_config *t, const tls_options *o, char *err, size_t cap);
/* A client's: peers must present a certificate for the host name, chained to
 * a CA of ca_file (PEM; NULL: the system's bundle), which errors name as
 * ca_option ("--upstream-ca"). 0, or -1 with err. */
int tls_config_client(tls_config *t, const char *ca_file, const char *ca_option, char *err, size_t cap);
void tls_config_free(tls_config *t);

typedef struct tls_conn {
  mbedtls_ssl_context ssl;
  const char *in; /* ciphertext being consumed */
  size_t in_len;
  wbuf out;             /* ciphertext to write (tls_conn_take_output) */
  bool ready;           /* handshake done */
  bool has_client_cert; /* a client certificate that verified against the CA */
  int last_error;       /* mbedTLS's code of the last failure */
  unsigned char peer_ip[16]; /* a client's peer named by an IP address: the certificate must name it (RFC 5280 §4.2.1.6) */
  size_t peer_ip_len;        /* 4, 16, or 0: a host name, checked by mbedTLS */
  unsigned char client_cert_sha256[32];
} tls_conn;

/* 0, or -1 (out of memory). A client's names the server's host (SNI and the
 * certificate check) and starts the handshake: its first bytes are in the output. */
int tls_conn_init(tls_conn *c, tls_config *t);
int tls_conn_init_client(tls_conn *c, tls_config *t, const char *host);
/* Does the certificate's subjectAltName extension (OID 2.5.29.17) hold this
 * iPAddress (tag [7], 4 or 16 bytes)? mbedTLS 2.28 matches host names only.
 * Walks the extensions' DER within their bounds (fuzz_cert_ip). */
bool tls_cert_names_ip(const mbedtls_x509_crt *crt, const unsigned char *ip, size_t ip_len);
/* Why the last call failed, for a log line. */
void tls_conn_error(const tls_conn *c, char *out, size_t cap);
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
