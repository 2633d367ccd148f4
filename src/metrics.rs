//! Prometheus metrics: one global recorder (the `metrics` facade), rendered at `GET /metrics`.
//!
//! Every name the app records is a constant here, so dashboards and alerts have one place to
//! look. Labels are bounded on purpose: HTTP methods are the standard ones or `other` (a
//! client invents methods at will), routes are the matched route *template* (never the raw
//! path, which would carry ids and make a series per URL), gateway endpoints have their numeric
//! segments replaced by `{id}`, and failure reasons come from fixed `&'static str` tables.
//!
//! The recorder is process-global. [`install`] is idempotent so that tests (and benchmarks)
//! running several apps in one process share it instead of panicking on a second install;
//! counters then add up across those apps.

use std::{sync::OnceLock, time::Duration};

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// HTTP requests served, by `method`, `route` (template) and `status`.
pub const HTTP_REQUESTS: &str = "fv_http_requests_total";
/// HTTP request latency in seconds, by `method`, `route` and `status`.
pub const HTTP_DURATION: &str = "fv_http_request_duration_seconds";
/// Logins started (redirects to the provider).
pub const LOGINS_STARTED: &str = "fv_logins_started_total";
/// Logins completed at the callback.
pub const LOGINS_SUCCEEDED: &str = "fv_logins_succeeded_total";
/// Logins refused at the callback, by `reason` (`auth::LoginError::reason`).
pub const LOGINS_FAILED: &str = "fv_logins_failed_total";
/// Refresh-token grants sent to the provider, by `outcome`.
pub const REFRESHES: &str = "fv_token_refreshes_total";
/// Personal access token exchanges, by `outcome` (reserved for the service-account code).
pub const PAT_EXCHANGES: &str = "fv_pat_exchanges_total";
/// Gateway calls, by `endpoint` and `status` (an HTTP status, `timeout` or `network`).
pub const GATEWAY_REQUESTS: &str = "fv_gateway_requests_total";
/// Gateway call latency in seconds, by `endpoint` and `status`.
pub const GATEWAY_DURATION: &str = "fv_gateway_request_duration_seconds";
/// Signed-in sessions holding tokens (rows of the token vault), sampled periodically.
pub const ACTIVE_SESSIONS: &str = "fv_active_sessions";

/// Connections closed as soon as they were accepted because `FV_MAX_CONNECTIONS` were open.
pub const CONNECTIONS_REFUSED: &str = "fv_http_connections_refused_total";

/// Failed uses of a named connection, by `connection` (an admin-chosen slug, so bounded)
/// and the `status` it left (`needs_authorization`, `unreachable`).
pub const CONNECTION_FAILURES: &str = "fv_connection_failures_total";

/// Whether a connection's last health check found it working (1) or not (0), by
/// `connection` and `environment`.
pub const CONNECTION_UP: &str = "fv_connection_up";
/// Connection health checks, by `connection` and `outcome` (`ok`, `degraded`, `broken`).
pub const CONNECTION_CHECKS: &str = "fv_connection_checks_total";
/// Alert deliveries, by `channel` (`email`, `webhook`) and `outcome` (`sent`, `failed`).
pub const ALERT_DELIVERIES: &str = "fv_alert_deliveries_total";

/// Requests refused with 429 by the per-address rate limit.
pub const RATE_LIMITED: &str = "fv_http_rate_limited_total";

/// Latency buckets (seconds): page requests are milliseconds, gateway calls up to the
/// 30-second client timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often the active-session gauge is sampled.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(30);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the global recorder the first time; later calls return the same handle.
///
/// If some other recorder was installed first (an embedding program's), ours is not
/// installed, a warning is logged, and `/metrics` renders an empty page rather than failing.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = builder
            .set_buckets_for_metric(Matcher::Suffix("_duration_seconds".into()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics will be empty");
        }
        describe();
        handle
    })
}

/// The Prometheus text exposition of every metric.
pub fn render() -> String {
    install().render()
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests served, by route template and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "HTTP request latency, by route template and status"
    );
    describe_counter!(
        LOGINS_STARTED,
        "Logins started (redirects to Filevine Identity)"
    );
    describe_counter!(LOGINS_SUCCEEDED, "Logins completed at the callback");
    describe_counter!(LOGINS_FAILED, "Logins refused at the callback, by reason");
    describe_counter!(
        REFRESHES,
        "Refresh-token grants sent to the provider, by outcome"
    );
    describe_counter!(PAT_EXCHANGES, "Personal access token exchanges, by outcome");
    describe_counter!(
        GATEWAY_REQUESTS,
        "Filevine gateway calls, by endpoint and status"
    );
    describe_histogram!(
        GATEWAY_DURATION,
        metrics::Unit::Seconds,
        "Filevine gateway call latency, by endpoint and status"
    );
    describe_gauge!(ACTIVE_SESSIONS, "Signed-in sessions holding tokens");
    describe_counter!(
        RATE_LIMITED,
        "Requests refused with 429 by the per-address rate limit"
    );
    describe_counter!(
        CONNECTIONS_REFUSED,
        "Connections closed at once because FV_MAX_CONNECTIONS were open"
    );
}

/// The `method` label: a standard method's name, or `other`. A client can send any token as
/// a method (`FOO`, 200 characters of `A`), and a label made from it is a new series that lives
/// for the life of the process: 40,000 made-up methods once took `/metrics` to 104 MB.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// The `status` label: the code when it is a real HTTP status (100 to 599; the app only ever
/// sends a few dozen of them), else its class, so the label set stays closed.
pub fn status_label(status: u16) -> String {
    match status {
        100..=599 => status.to_string(),
        _ => "other".to_owned(),
    }
}

/// One HTTP request answered. `method` comes from [`method_label`], `route` is the matched
/// route template or `<unmatched>`: every label is from a closed set.
pub fn http_request(method: &'static str, route: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status_label(status)),
    ];
    counter!(HTTP_REQUESTS, &labels).increment(1);
    histogram!(HTTP_DURATION, &labels).record(elapsed.as_secs_f64());
}

/// A connection was refused: the connection limit was reached.
pub fn connection_refused() {
    counter!(CONNECTIONS_REFUSED).increment(1);
}

/// A use of connection `name` failed, leaving `status`.
pub fn connection_failure(name: &str, status: &'static str) {
    counter!(CONNECTION_FAILURES, "connection" => name.to_owned(), "status" => status).increment(1);
}

/// A health check of connection `name` (of `environment`) found `outcome`.
pub fn connection_checked(name: &str, environment: &str, outcome: &'static str) {
    let up = if outcome == "ok" { 1.0 } else { 0.0 };
    let labels = [
        ("connection", name.to_owned()),
        ("environment", environment.to_owned()),
    ];
    gauge!(CONNECTION_UP, &labels).set(up);
    counter!(CONNECTION_CHECKS, "connection" => name.to_owned(), "outcome" => outcome).increment(1);
}

/// An alert delivery on `channel` ended with `outcome`.
pub fn alert_delivery(channel: &str, outcome: &'static str) {
    counter!(ALERT_DELIVERIES, "channel" => channel.to_owned(), "outcome" => outcome).increment(1);
}

/// A request was refused by the per-address rate limit.
pub fn rate_limited() {
    counter!(RATE_LIMITED).increment(1);
}

/// A login was started.
pub fn login_started() {
    counter!(LOGINS_STARTED).increment(1);
}

/// A callback finished: `None` when the login succeeded, else the failure's bounded reason
/// (`auth::LoginError::reason`). Takes the label, not the error, so metrics stay below auth.
pub fn login_finished(failure: Option<&'static str>) {
    match failure {
        None => counter!(LOGINS_SUCCEEDED).increment(1),
        Some(reason) => counter!(LOGINS_FAILED, "reason" => reason).increment(1),
    }
}

/// A refresh-token grant's outcome, as a bounded label (`auth::RefreshError::outcome`).
pub fn refresh_finished(outcome: &'static str) {
    counter!(REFRESHES, "outcome" => outcome).increment(1);
}

/// A PAT exchange's outcome (`success`, `rejected`, `client`, `scope`, `unavailable`,
/// `protocol`), counted by the service account's token source once per exchange.
pub fn pat_exchange(outcome: &'static str) {
    counter!(PAT_EXCHANGES, "outcome" => outcome).increment(1);
}

/// One gateway call. `path` is the request path relative to the gateway base; numeric segments
/// become `{id}` so that per-project calls share one series.
pub fn gateway_call(path: &str, status: &str, elapsed: Duration) {
    let labels = [
        ("endpoint", endpoint_label(path)),
        ("status", status.to_owned()),
    ];
    counter!(GATEWAY_REQUESTS, &labels).increment(1);
    histogram!(GATEWAY_DURATION, &labels).record(elapsed.as_secs_f64());
}

/// `fv-app/v2/Projects/123/Notes` -> `fv-app/v2/Projects/{id}/Notes`.
pub fn endpoint_label(path: &str) -> String {
    path.trim_start_matches('/')
        .split('?')
        .next()
        .unwrap_or_default()
        .split('/')
        .map(|seg| {
            if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit() || c == '-') {
                "{id}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Sets the active-session gauge.
pub fn set_active_sessions(n: u64) {
    gauge!(ACTIVE_SESSIONS).set(n as f64);
}

/// Samples the active-session gauge now and every [`SAMPLE_EVERY`], and keeps the exporter's
/// histograms drained when nobody scrapes. Runs until the runtime stops.
pub fn spawn_sampler(db: crate::store::Db, clock: crate::util::Clock) {
    let handle = install();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        loop {
            tick.tick().await;
            match db.vault_count_live(clock.now_unix()).await {
                Ok(n) => set_active_sessions(n),
                Err(e) => tracing::warn!(error = %e, "could not count sessions for metrics"),
            }
            handle.run_upkeep();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_labels_hide_ids() {
        assert_eq!(
            endpoint_label("fv-app/v2/Projects/123/Notes?x=1"),
            "fv-app/v2/Projects/{id}/Notes"
        );
        assert_eq!(endpoint_label("/fv-app/v2/Users/Me"), "fv-app/v2/Users/Me");
        assert_eq!(endpoint_label("fv-app/v2/Projects"), "fv-app/v2/Projects");
    }

    #[test]
    fn install_twice_is_fine_and_renders() {
        let a = install() as *const _;
        let b = install() as *const _;
        assert_eq!(a, b);
        login_started();
        gateway_call("fv-app/v2/Projects/77", "200", Duration::from_millis(3));
        let text = render();
        assert!(text.contains(LOGINS_STARTED), "{text}");
        assert!(
            text.contains(r#"endpoint="fv-app/v2/Projects/{id}""#),
            "{text}"
        );
        assert!(
            text.contains("fv_gateway_request_duration_seconds_bucket"),
            "{text}"
        );
    }
}
