/* The gatehouse command-line tool: shared declarations of its commands. */
#ifndef GH_CLI_H
#define GH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gatehouse/gateway.h"

/* Exit codes: 0 valid/ok, 1 rejected, 2 usage or input error. */
enum { EXIT_VALID = 0, EXIT_REJECTED = 1, EXIT_USAGE = 2 };

/* The command table (help.c): synopsis and help of each command. */
typedef struct cli_command {
  const char *group, *sub, *synopsis, *help;
} cli_command;
const cli_command *cli_find(const char *group, const char *sub);
/* Every command's synopsis; exit EXIT_VALID on stdout, EXIT_USAGE on stderr. */
int cli_overview(FILE *out);
/* A command's help (a group alone: each of its commands) on stdout; EXIT_VALID. */
int cli_help(const char *group, const char *sub);
/* "error: <why>" and the command's synopsis on stderr; EXIT_USAGE. */
int cli_usage(const char *group, const char *sub, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

int cmd_jwt(int argc, char **argv);
int cmd_jwk(int argc, char **argv);
int cmd_jwks(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_ratelimit(int argc, char **argv);
int cmd_route(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_decide(int argc, char **argv);
int cmd_openapi(int argc, char **argv);
int cmd_token(int argc, char **argv);

/* Reads a whole file ("-" for standard input) up to max bytes; NULL on error
 * (message printed). The caller frees. */
char *cli_read_file(const char *path, size_t max, size_t *len);
/* Prints "error: <GH_E name>: <msg, or the code's text>" on stderr; returns EXIT_USAGE. */
int cli_library_error(int rc, const char *msg);
/* A gateway loaded from a configuration file; 0, or the exit status after saying what is wrong. */
int cli_load_gateway(const char *config, gh_gateway **out);
/* Numbers from the command line and input lines: plain decimal only (no
 * exponent, hex, "nan", "inf", sign on what must be positive, or trailing
 * text), within [lo, hi]. 0 on success, -1 otherwise. */
int cli_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out);
/* The same for a decimal that may have a fraction ("0.5"). */
int cli_parse_decimal(const char *s, double lo, double hi, double *out);
/* What a file handed to an option looks like, when it is not what the option
 * takes: "a PEM key", "a JWK Set", "one JWK", "YAML", "JSON", "not JSON". */
const char *cli_shape(const char *text, size_t len);
/* The usage error for an option arg the parser did not take: "needs a value"
 * when arg is one of the NULL-terminated known options, else "unknown option". */
int cli_option_error(const char *group, const char *sub, const char *arg, const char *const *known);
/* A document (the text of option's file at path) the library refused: says so
 * plainly when it is YAML, where gatehouse reads JSON; else cli_library_error. */
int cli_document_error(const char *option, const char *path, const char *text, size_t len, int rc, const char *msg);
/* An option ("--x", "-x"), as opposed to a value or "-" (standard input). */
bool cli_is_option(const char *arg);
/* Strips trailing white space (a token piped in ends with a newline). */
void cli_trim(char *s, size_t *len);

#endif
