/**
 * @file gatehouse/metrics.h
 * @brief API management around a gateway: analytics (Prometheus), usage per
 *        consumer for billing, the access log, subscriptions at runtime and
 *        the OpenAPI 3.1 export of the catalog.
 *
 * The gateway records every completed decision (gh_gateway_complete) when
 * the configuration's "analytics" section leaves metrics on (the default):
 * per API version, route, consumer and status class, the request count,
 * bytes and latency histograms kept apart for the authenticate, authorize
 * and limits stages, the rest of the pipeline, and the upstream. Recording
 * takes no lock. Metrics and usage survive reloads while "analytics" keeps
 * its max_series. Durations are milliseconds in calls (the exposition speaks
 * seconds, as Prometheus asks).
 */
#ifndef GATEHOUSE_METRICS_H
#define GATEHOUSE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/export.h"
#include "gatehouse/gateway.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The parts of a request's time that have their own histogram. */
#define GH_METRIC_AUTHENTICATE 0
#define GH_METRIC_AUTHORIZE 1
#define GH_METRIC_LIMITS 2
#define GH_METRIC_OTHER 3 /* route, lifecycle, GraphQL guard, transform, upstream pick, hooks between */
#define GH_METRIC_UPSTREAM 4 /* as the host reported it to gh_gateway_complete */

/**
 * The Prometheus text exposition (format 0.0.4) of the gateway's metrics, in
 * a fresh allocation freed with gh_free:
 * gatehouse_requests_total, gatehouse_request_bytes_total,
 * gatehouse_response_bytes_total (labels api, version, route, consumer,
 * code_class), gatehouse_stage_duration_seconds (a histogram, plus the label
 * stage), gatehouse_authentication_failures_total (realm, reason),
 * gatehouse_limit_denials_total (limit), gatehouse_upstream_responses_total
 * (upstream, target, outcome) and gatehouse_metrics_overflow_total.
 * @return GH_OK; GH_EMISUSE before a load or with metrics off; GH_ENOMEM
 */
GH_EXTERN int gh_metrics_write(gh_gateway *gw, char **out, size_t *len);
/**
 * The q-quantile (0 < q <= 1, e.g. 0.99) of one part of the requests' time
 * (GH_METRIC_*), in milliseconds, over the series whose labels equal those
 * given (NULL: any), interpolated within a histogram bucket.
 * @return GH_OK; GH_ENOTFOUND when nothing matched; GH_EINVAL; GH_EMISUSE as gh_metrics_write
 */
GH_EXTERN int gh_metrics_quantile(gh_gateway *gw, const char *api, const char *version, const char *route,
                                  const char *consumer, int part, double q, double *ms);

/** A consumer's usage (sums over the entries asked for). */
typedef struct gh_usage {
  uint64_t requests;    /**< completed requests of the consumer */
  uint64_t forwarded;   /**< of which forwarded upstream */
  uint64_t denied;      /**< of which answered by the gateway */
  uint64_t quota_units; /**< units counted against the plan's quotas */
  uint64_t bytes_in;    /**< bytes received from the consumer */
  uint64_t bytes_out;   /**< bytes sent to the consumer */
} gh_usage;
/**
 * Usage of the consumers (configured in "consumers"), summed over the
 * entries whose consumer, API and version equal those given (NULL: any).
 * @return GH_OK (all zero when none match); GH_EMISUSE before a load
 */
GH_EXTERN int gh_usage_get(gh_gateway *gw, const char *consumer, const char *api, const char *version, gh_usage *out);
/**
 * Every usage entry as JSON lines, one per consumer, plan, API and version:
 * {"consumer", "plan", "api", "version", "requests", "forwarded", "denied",
 * "quota_units", "bytes_in", "bytes_out"}; a fresh allocation freed with gh_free.
 * @return GH_OK; GH_EMISUSE before a load; GH_ENOMEM
 */
GH_EXTERN int gh_usage_write(gh_gateway *gw, char **out, size_t *len);

/** Receives one access-log line: a JSON object and a line feed, valid during the call. */
typedef void (*gh_access_log_fn)(void *ud, const char *line, size_t len);
/**
 * Sets the access log's sink (NULL: none), called from gh_gateway_complete on
 * the completing thread with one line per request: time, request_id, method,
 * api, version, route, consumer, subject, status, reason, target,
 * gateway_ms, upstream_ms, bytes_in, bytes_out, config_version. Never a
 * credential, a path, a query or a header: those may carry secrets.
 * Set it before the first load, as hooks are. @return GH_OK, GH_EINVAL; GH_EMISUSE after a load
 */
GH_EXTERN int gh_gateway_set_access_log(gh_gateway *gw, gh_access_log_fn fn, void *ud);

/**
 * Adds, changes or removes a consumer's subscription to an API version
 * (version "*": every version) through a new snapshot: state "active",
 * "suspended", or NULL to remove it. Limits and metrics keep their state.
 * @return as gh_gateway_patch; GH_ENOTFOUND when removing a subscription that does not exist
 */
GH_EXTERN int gh_gateway_subscribe(gh_gateway *gw, const char *consumer, const char *api, const char *version,
                                   const char *state, char *errors, size_t errors_cap);

/**
 * The OpenAPI 3.1 document of the published catalog (published and
 * deprecated versions): each version's operations, security schemes from
 * their realms, lifecycle dates, limits and plans as x-gatehouse extensions.
 * A fresh allocation freed with gh_free. @return GH_OK; GH_EMISUSE before a load; GH_ENOMEM
 */
GH_EXTERN int gh_gateway_openapi(gh_gateway *gw, char **out, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
