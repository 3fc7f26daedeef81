/**
 * @file gatehouse.h
 * @brief Umbrella header: everything public in gatehouse.
 */
#ifndef GATEHOUSE_H
#define GATEHOUSE_H

#include "gatehouse/version.h"
#include "gatehouse/error.h"
#include "gatehouse/alloc.h"
#include "gatehouse/attrs.h"
#include "gatehouse/http.h"
#include "gatehouse/jwk.h"
#include "gatehouse/jwt.h"
#include "gatehouse/apikey.h"
#include "gatehouse/oidc.h"
#include "gatehouse/policy.h"
#include "gatehouse/dpop.h"
#include "gatehouse/realm.h"
#include "gatehouse/ratelimit.h"
#include "gatehouse/redis.h"
#include "gatehouse/path.h"
#include "gatehouse/router.h"
#include "gatehouse/upstream.h"
#include "gatehouse/transform.h"
#include "gatehouse/gateway.h"
#include "gatehouse/metrics.h"

#endif
