/* The commands, their synopses and their help: one table, so that the
 * overview, each command's --help and each usage error say the same. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_command COMMANDS[] = {
    {"jwt", "verify", "gatehouse jwt verify --jwks FILE [--iss ISSUER]... [--aud AUDIENCE]... [--now UNIX_SECONDS]\n"
                      "                     [--leeway SECONDS] [--alg ALG]... [--typ TYP] [TOKEN]",
     "Verifies a compact JWS/JWT against a JWK Set (RFC 7515, 7517, 7519, 8725).\n"
     "  --jwks FILE      the key set (JSON, as an issuer's jwks_uri serves it)\n"
     "  --iss ISSUER     accept this issuer only (repeatable); --aud AUDIENCE likewise\n"
     "  --now SECONDS    the time to check exp/nbf/iat against (default: now)\n"
     "  --leeway SECONDS clock skew allowed, 0 to 86400 (default 60)\n"
     "  --alg ALG        accept only these algorithms (repeatable); --typ TYP requires the typ header\n"
     "Prints the claims and exits 0, or prints `error: REASON: explanation` and exits 1.\n"
     "Example: gatehouse jwt verify --jwks examples/tokens/jwks.json --now 1700000000 TOKEN"},
    {"jwt", "sign", "gatehouse jwt sign --alg ALG (--key PEM_FILE | --jwk JWK_FILE) [--kid KID] [PAYLOAD_JSON]",
     "Signs a JSON object as a compact JWS. --key takes a private PEM key (RSA or EC);\n"
     "--jwk takes a private JWK (oct for HS*, RSA, EC) and keeps its kid.\n"
     "Example: gatehouse jwt sign --alg RS256 --jwk private.jwk.json '{\"sub\":\"alice\"}'"},
    {"jwt", "decode", "gatehouse jwt decode [TOKEN]",
     "Prints a token's header and payload WITHOUT verifying anything (it says so on stderr)."},
    {"jwk", "thumbprint", "gatehouse jwk thumbprint [JWK_FILE]",
     "Prints a JWK's RFC 7638 thumbprint (SHA-256, base64url): DPoP's jkt, for instance."},
    {"jwk", "generate", "gatehouse jwk generate (--kty EC|RSA|oct | --alg ALG) [--crv P-256|P-384|P-521] [--bits N]\n"
                        "                       [--bytes N] [--kid KID] [--alg ALG] [--use sig|enc] [--pem FILE]",
     "Makes a new private key and prints it as a JWK (RFC 7517) on stdout.\n"
     "  --kty            EC (--crv, default P-256), RSA (--bits, 2048 to 8192, default 2048) or\n"
     "                   oct (--bytes, 32 to 1024, default 32); --alg alone picks the kty and curve\n"
     "  --kid KID        the key's id (default: its RFC 7638 thumbprint); --alg and --use label it\n"
     "  --pem FILE       also writes the private key as PEM to FILE (created, mode 0600)\n"
     "Example: gatehouse jwk generate --alg ES256 > private.jwk.json"},
    {"jwk", "from-pem", "gatehouse jwk from-pem [PEM_FILE] [--kid KID] [--alg ALG] [--use sig|enc]",
     "Prints a PEM key as a JWK: a private key (PKCS#1, SEC1, PKCS#8) as a private JWK, a public\n"
     "key (PUBLIC KEY, RSA PUBLIC KEY) as a public one. kid defaults to the RFC 7638 thumbprint.\n"
     "Example: gatehouse jwk from-pem --alg RS256 key.pem > private.jwk.json"},
    {"jwks", "add", "gatehouse jwks add [--set JWKS_FILE] JWK_FILE...",
     "Prints a JWK Set of the keys in --set (if any) and the public half of each JWK file: private\n"
     "members dropped, kid kept or set to the key's thumbprint, a kid given twice refused. The set\n"
     "is checked as jwt verify --jwks reads it.\n"
     "Example: gatehouse jwks add private.jwk.json > jwks.json"},
    {"policy", "check", "gatehouse policy check --policy FILE (--batch | --subject S [--role R]... [--scope S]...\n"
                        "                       --action A --resource PATH [--context JSON])",
     "Decides one request against a policy document (docs/authorization.md).\n"
     "Prints `allow RULE` (exit 0) or `deny RULE|no-rule` (exit 1).\n"
     "  --context JSON   {\"claims\": {...}, \"ip\": \"10.1.2.3\", \"headers\": {\"x-env\": \"prod\"}, \"time\": UNIX_SECONDS}\n"
     "  --batch          one JSON request per line on stdin, in place of the request options:\n"
     "                   {\"subject\": S, \"roles\": [R...], \"scopes\": [S...], \"action\": A, \"resource\": PATH,\n"
     "                    \"context\": {...}}; action and resource required, other members refused by name.\n"
     "                   One line per request on stdout: the verdict, or `error` (its reason on stderr);\n"
     "                   exit 0 when no line was refused, 2 otherwise."},
    {"policy", "explain", "gatehouse policy explain --policy FILE (--batch | --subject S [--role R]... [--scope S]...\n"
                          "                         --action A --resource PATH [--context JSON])",
     "Like policy check, and prints every rule with why it applies or not.\n"
     "  --batch          requests as for policy check --batch; each trace is followed by an empty line"},
    {"ratelimit", "simulate", "gatehouse ratelimit simulate --algorithm ALG --limit N --period SECONDS [--burst B]",
     "Replays arrivals for one key through a limiter (docs/ratelimits.md).\n"
     "  --algorithm      gcra, token-bucket, sliding-window, fixed-window, concurrency, quota-day, quota-month\n"
     "  --limit N        requests per period; --period SECONDS (0.001 to 1e9); --burst B (default: the limit)\n"
     "Input, one arrival per line: <unix-ms> [cost] (whole numbers; cost 1 by default).\n"
     "Output, one line per arrival: allow|deny REMAINING RETRY_AFTER_MS, where REMAINING is how many\n"
     "requests of cost 1 are still allowed now and RETRY_AFTER_MS when a denied one would first pass.\n"
     "Example: printf '0\\n0\\n100\\n' | gatehouse ratelimit simulate --algorithm gcra --limit 10 --period 1"},
    {"route", "match", "gatehouse route match --openapi FILE [METHOD PATH]",
     "Builds a router from an OpenAPI 3.x document and looks one request up, or one\n"
     "`METHOD PATH` line at a time from stdin; prints one JSON object per request\n"
     "(status, route, pattern, params). Exit 0 when every request matched, 1 otherwise."},
    {"config", "lint", "gatehouse config lint FILE",
     "Checks a gateway configuration (docs/gateway.md) and prints every error at once, one per line:\n"
     "FILE: $.json.path (line:column): what is wrong, with a suggestion for a misspelt name.\n"
     "Exit 0 when valid, 1 when not, 2 when the file cannot be read."},
    {"decide", "", "gatehouse decide --config FILE [--now UNIX_SECONDS] [--header 'Name: value']...\n"
                   "  [--client-ip IP] METHOD URL",
     "Runs one request through the gateway pipeline of a configuration and prints the decision\n"
     "as JSON: verdict, status, reason, each stage's outcome and the rule that decided, the\n"
     "response headers and body, or the upstream target, path and headers. URL is a path\n"
     "(\"/v2/orders/7?x=1\") or a full URL whose authority is the Host. --now defaults to now.\n"
     "Exit 0 when the request would be forwarded, 1 when it would be answered (denied).\n"
     "Example: gatehouse decide --config examples/gateway/gateway.json --header 'Authorization: Bearer ...' \\\n"
     "  GET /v2/orders/7"},
    {"openapi", "export", "gatehouse openapi export --config FILE",
     "Prints the OpenAPI 3.1 document of the configuration's published catalog (published and\n"
     "deprecated versions): operations, security schemes from the realms, lifecycle dates, limits\n"
     "and plans as x-gatehouse extensions (docs/apim.md). Exit 0, or 2 when FILE is not valid.\n"
     "Example: gatehouse openapi export --config examples/gateway/gateway.json"},
    {"token", "issue", "gatehouse token issue --realm NAME --sub SUBJECT [--role ROLE]... [--state DIR] [--ttl SECONDS]",
     "Prints a token of a local realm (the reference server's demo realm), signed with the key the state\n"
     "folder keeps (DIR/NAME-signing-key.jwk.json, made by gatehouse-server on its first run; default\n"
     "DIR .gatehouse), with the issuer and audience DIR/NAME-realm.json names. --ttl: seconds it lasts\n"
     "(default 3600).\n"
     "Example: gatehouse token issue --realm demo --sub alice --role viewer"},
};
#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

const cli_command *cli_find(const char *group, const char *sub) {
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (!strcmp(COMMANDS[i].group, group) && (!sub || !strcmp(COMMANDS[i].sub, sub))) return &COMMANDS[i];
  return NULL;
}

/* lead, then the synopsis without its first skip bytes; continuation lines
 * re-indented by what lead adds and skip removes, so they stay aligned. */
static void put_synopsis(FILE *out, const char *lead, const char *synopsis, size_t skip) {
  fputs(lead, out);
  const char *last = strrchr(lead, '\n');
  size_t width = strlen(last ? last + 1 : lead); /* of lead's last line */
  const char *line = synopsis + skip;
  for (;;) {
    const char *end = strchr(line, '\n');
    fwrite(line, 1, end ? (size_t)(end - line) : strlen(line), out);
    fputc('\n', out);
    if (!end) return;
    line = end + 1;
    size_t spaces = strspn(line, " ");
    size_t indent = spaces + width > skip + 2 ? spaces + width - skip : 2;
    fprintf(out, "%*s", (int)indent, "");
    line += spaces;
  }
}

int cli_overview(FILE *out) {
  fprintf(out, "usage: gatehouse <command> [options]        (gatehouse <command> --help for one command)\n\ncommands:\n");
  for (size_t i = 0; i < N_COMMANDS; i++) put_synopsis(out, "  ", COMMANDS[i].synopsis, strlen("gatehouse "));
  fprintf(out, "  --version\n\n"
               "A TOKEN, payload or file given as '-' or left out is read from standard input.\n"
               "Exit status: 0 valid, 1 rejected (a token, a request, a route), 2 usage or input error.\n");
  return out == stdout ? EXIT_VALID : EXIT_USAGE;
}

int cli_help(const char *group, const char *sub) {
  int shown = 0;
  for (size_t i = 0; i < N_COMMANDS; i++) /* a group alone: each of its commands */
    if (!strcmp(COMMANDS[i].group, group) && (!sub || !strcmp(COMMANDS[i].sub, sub))) {
      put_synopsis(stdout, shown++ ? "\nusage: " : "usage: ", COMMANDS[i].synopsis, 0);
      printf("\n%s\n", COMMANDS[i].help);
    }
  if (shown) return EXIT_VALID;
  fprintf(stderr, "error: no command '%s%s%s'\n", group, sub ? " " : "", sub ? sub : "");
  return cli_overview(stderr);
}

int cli_usage(const char *group, const char *sub, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("error: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  const cli_command *c = cli_find(group, sub);
  if (c && sub) {
    put_synopsis(stderr, "\nusage: ", c->synopsis, 0);
    fprintf(stderr, "(gatehouse %s%s%s --help says more)\n", group, *sub ? " " : "", sub);
  }
  else {
    fprintf(stderr, "\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
      if (!strcmp(COMMANDS[i].group, group)) put_synopsis(stderr, "  ", COMMANDS[i].synopsis, 0);
  }
  return EXIT_USAGE;
}
