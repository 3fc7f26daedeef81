/* HTTP message pieces (gatehouse/http.h): only their sizes live here. */
#include "gatehouse/http.h"

size_t gh_header_size(void) { return sizeof(gh_header); }
