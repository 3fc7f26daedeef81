/* Error names and messages, generated from GH_ERRNO_MAP. */
#include "core.h"

const char *gh_strerror(int err) {
  switch (err) { GH_ERRNO_MAP(GH__CASE_MESSAGE) }
  return "unknown error";
}

const char *gh_err_name(int err) {
  switch (err) { GH_ERRNO_MAP(GH__CASE_NAME) }
  return "UNKNOWN";
}
