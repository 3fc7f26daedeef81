/* Error names and messages, generated from GH_ERRNO_MAP. */
#include "gatehouse/error.h"

const char *gh_strerror(int err) {
  switch (err) {
#define GH__ERR_MSG(name, value, msg) \
  case value:                         \
    return msg;
    GH_ERRNO_MAP(GH__ERR_MSG)
#undef GH__ERR_MSG
  }
  return "unknown error";
}

const char *gh_err_name(int err) {
  switch (err) {
#define GH__ERR_NAME(name, value, msg) \
  case value:                          \
    return #name;
    GH_ERRNO_MAP(GH__ERR_NAME)
#undef GH__ERR_NAME
  }
  return "UNKNOWN";
}
