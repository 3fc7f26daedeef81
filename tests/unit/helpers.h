/* Test helpers: files, hex, JSON vectors, and a counting allocator that can
 * fail the Nth allocation (SQLite faultsim style). */
#ifndef GH_TEST_HELPERS_H
#define GH_TEST_HELPERS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Whole file under tests/vectors/ (NUL-terminated); aborts the test on error. */
char *t_read_vector(const char *rel_path, size_t *len);
/* Whole file at path (NUL-terminated); aborts the test on error. */
char *t_read_file(const char *path, size_t *len);
/* JSON vector file parsed with plain cJSON (test data is trusted). */
cJSON *t_load_json(const char *rel_path);
/* Hex to bytes (malloc); *len set. */
unsigned char *t_unhex(const char *hex, size_t *len);

/* Counting allocator: install, then t_alloc_fail_at(n) makes the nth
 * allocation from now fail (0: never). */
void t_alloc_install(void);
void t_alloc_uninstall(void);
void t_alloc_fail_at(long n);
long t_alloc_outstanding(void); /* allocations not yet freed */
long t_alloc_count(void);       /* allocations made since the last fail_at */
/* Step between failure points: 1 (every allocation) unless GH_FAULTSIM_STEP
 * says otherwise: the valgrind run strides, the ASan run is exhaustive. */
long t_faultsim_step(void);

/* The library's log (gh_set_log) captured from here on at min_level and
 * above; t_log_count counts the lines holding text; t_log_stop uninstalls. */
void t_log_capture(int min_level);
int t_log_count(const char *text);
const char *t_log_all(void); /* every line so far, '\n'-separated */
void t_log_stop(void);

/* An identity authenticated in a fresh realm by a custom IdP that answers
 * with these claims (JSON). */
typedef struct gh_identity gh_identity;
gh_identity *t_identity_with_claims(const char *realm, const char *claims_json);

#endif
