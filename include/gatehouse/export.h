/**
 * @file gatehouse/export.h
 * @brief Symbol visibility: every public function is declared with GH_EXTERN.
 *
 * The library is built with -fvisibility=hidden; only GH_EXTERN symbols are
 * exported from the shared object. Static-library users define nothing.
 */
#ifndef GATEHOUSE_EXPORT_H
#define GATEHOUSE_EXPORT_H

#if defined(_WIN32)
#if defined(GH_BUILDING_SHARED)
#define GH_EXTERN __declspec(dllexport)
#elif defined(GH_USING_SHARED)
#define GH_EXTERN __declspec(dllimport)
#else
#define GH_EXTERN
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define GH_EXTERN __attribute__((visibility("default")))
#else
#define GH_EXTERN
#endif

#endif
