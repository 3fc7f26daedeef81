/**
 * @file gatehouse/version.h
 * @brief Library version. SOVERSION equals GH_VERSION_MAJOR.
 */
#ifndef GATEHOUSE_VERSION_H
#define GATEHOUSE_VERSION_H

#include "gatehouse/export.h"

#define GH_VERSION_MAJOR 0
#define GH_VERSION_MINOR 1
#define GH_VERSION_PATCH 0
#define GH_VERSION_HEX ((GH_VERSION_MAJOR << 16) | (GH_VERSION_MINOR << 8) | GH_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/** @return "MAJOR.MINOR.PATCH" of the library actually linked (static storage). */
GH_EXTERN const char *gh_version_string(void);
/** @return GH_VERSION_HEX of the library actually linked. */
GH_EXTERN unsigned gh_version_hex(void);
/** @return the crypto backend compiled in: "mbedtls" or "openssl". */
GH_EXTERN const char *gh_crypto_backend(void);

#ifdef __cplusplus
}
#endif
#endif
