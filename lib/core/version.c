#include "gatehouse/version.h"

const char *gh_version_string(void) {
#define GH__STR2(x) #x
#define GH__STR(x) GH__STR2(x)
  return GH__STR(GH_VERSION_MAJOR) "." GH__STR(GH_VERSION_MINOR) "." GH__STR(GH_VERSION_PATCH);
}

unsigned gh_version_hex(void) { return GH_VERSION_HEX; }
