//! `GET /feeds/projects.csv`, `/feeds/projects.json`, `/feeds/reports.json`: read-only data for
//! BI tools, authenticated by `Authorization: Bearer <feed key>` only, read through the key's
//! connection with nobody signed in ([`crate::reporting::feeds`]).
//!
//! - A key in the query string is refused (400) before anything else: URLs end up in proxy
//!   logs, browser history and shared workbooks.
//! - A wrong or revoked key gets a bare 401 (no hint whether the key exists).
//! - Each key has its own rate limit (429 with `Retry-After`).
//! - `ETag` / `If-None-Match`: the projects feeds first walk the data once, hashing the bytes
//!   they would send (nothing is buffered); when the hash equals the tag the client already
//!   has, the answer is a 304 with no body, so a scheduled refresh of unchanged data costs one
//!   scan. Otherwise the data is walked again and streamed, the same formula-neutralised CSV
//!   as the dashboard's export. (If the data changes between the two walks, the tag is that
//!   of the first; the next refresh then simply downloads again.) The report feed hashes its
//!   JSON, computed from the cached report scan.

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use futures::StreamExt;
use sha2::{Digest, Sha256};

use crate::{
    filevine::{walk::Walk, AuthedError, GatewayError},
    projects::{
        export::{first_query, start, Format},
        report_scan::{as_of, compute, ReportKey},
        ProjectFilters,
    },
    reporting::{feeds, PatAccount, ReportError},
    state::AppState,
};

/// Query parameters that would carry a key: refused outright.
const KEY_PARAMS: [&str; 8] = [
    "key",
    "feed_key",
    "token",
    "access_token",
    "api_key",
    "apikey",
    "authorization",
    "bearer",
];

/// `GET /feeds/projects.csv`.
pub async fn projects_csv(state: State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    serve(state, headers, uri, Some(Format::Csv)).await
}

/// `GET /feeds/projects.json`.
pub async fn projects_json(state: State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    serve(state, headers, uri, Some(Format::Json)).await
}

/// `GET /feeds/reports.json`.
pub async fn reports_json(state: State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    serve(state, headers, uri, None).await
}

fn plain(status: StatusCode, text: impl Into<String>) -> Response {
    let text: String = text.into();
    (
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        text,
    )
        .into_response()
}

fn unauthorized() -> Response {
    let mut r = plain(StatusCode::UNAUTHORIZED, "Unauthorized\n");
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

/// Whether the query string carries something that looks like a key.
fn key_in_query(query: Option<&str>) -> bool {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes()).any(|(k, v)| {
        KEY_PARAMS.contains(&k.to_ascii_lowercase().as_str())
            || v.trim().starts_with(feeds::KEY_PREFIX)
            || k.trim().starts_with(feeds::KEY_PREFIX)
    })
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, key) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(key.trim())
}

/// `"<first 128 bits of the SHA-256, hex>"`.
fn etag(digest: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// Whether `If-None-Match` names `tag` (or `*`); weak tags compare by their value.
fn not_modified(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == tag)
}

fn with_tag(mut r: Response, tag: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(tag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    r
}

fn upstream_failed() -> Response {
    plain(
        StatusCode::BAD_GATEWAY,
        "The feed could not read Filevine right now. Try again later; an administrator can see the connection's status on /settings/connections.\n",
    )
}

async fn serve(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    format: Option<Format>,
) -> Response {
    if key_in_query(uri.query()) {
        return plain(
            StatusCode::BAD_REQUEST,
            "Send the feed key in the Authorization header (Authorization: Bearer <key>), never in the address. This key is now in logs: revoke it on /settings/feeds and make a new one.\n",
        );
    }
    let Some(presented) = bearer(&headers) else {
        return unauthorized();
    };
    let feed = match feeds::authenticate(&state, presented).await {
        Ok(Some(f)) => f,
        Ok(None) => return unauthorized(),
        Err(e) => {
            tracing::error!(error = %e, "feed key lookup failed");
            return plain(StatusCode::SERVICE_UNAVAILABLE, "Try again in a moment.\n");
        }
    };
    if let Err(secs) = state.feed_limits.check(&feed.id) {
        let mut r = plain(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests with this feed key; wait and refresh again.\n",
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return r;
    }
    let served = match feeds::account_for(&state, &feed).await {
        Ok((account, ctx)) => {
            let filters = ProjectFilters::from_query(&feed.filters);
            tracing::info!(feed = %feed.id, org_id = ctx.org_id, "feed served");
            match format {
                Some(format) => projects(&headers, &account, ctx, &filters, format).await,
                None => report(&state, &headers, &account, ctx, &filters).await,
            }
        }
        Err(e) => Err(e),
    };
    match served {
        Ok(response) => response,
        Err(e) => {
            feeds::record_failure(&state, &feed, &e).await;
            match e {
                // Waiting will not help: the key reads an org its connection is not in.
                ReportError::Org(_) => plain(
                    StatusCode::CONFLICT,
                    format!(
                        "This feed key reads organization {}, but its connection's service account is not a member of it, so it cannot be served. An administrator can make a new key on /settings/feeds.\n",
                        feed.org_id
                    ),
                ),
                _ => upstream_failed(),
            }
        }
    }
}

async fn projects(
    headers: &HeaderMap,
    account: &PatAccount,
    ctx: crate::filevine::OrgContext,
    filters: &ProjectFilters,
    format: Format,
) -> Result<Response, ReportError> {
    let base = first_query(filters.walk_query());
    let walk = Walk::new(account.concurrency);
    let fetch = account.gw.page_fetcher(ctx);
    // First walk: the tag of what would be sent.
    let mut hasher = Sha256::new();
    let body = start::<_, _, GatewayError>(format, base.clone(), walk, fetch.clone()).await?;
    futures::pin_mut!(body);
    while let Some(chunk) = body.next().await {
        hasher.update(&chunk?);
    }
    let tag = etag(&hasher.finalize());
    if not_modified(headers, &tag) {
        return Ok(with_tag(StatusCode::NOT_MODIFIED.into_response(), &tag));
    }
    let body = start::<_, _, GatewayError>(format, base, walk, fetch).await?;
    let response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.content_type()),
        )],
        Body::from_stream(body),
    )
        .into_response();
    Ok(with_tag(response, &tag))
}

async fn report(
    state: &AppState,
    headers: &HeaderMap,
    account: &PatAccount,
    ctx: crate::filevine::OrgContext,
    filters: &ProjectFilters,
) -> Result<Response, ReportError> {
    let (now, zone) = (state.clock.now_utc(), &state.settings.time_zone);
    let key = ReportKey {
        environment: account.environment.clone(),
        org_id: ctx.org_id,
        user_id: ctx.user_id,
        filters: filters.clone(),
        as_of: as_of(now, zone),
    };
    let types = async {
        let r = account.gw.project_types(ctx).await;
        r.map_err(AuthedError::into_gateway)
    };
    let load = compute(
        filters,
        now,
        zone,
        account.concurrency,
        account.gw.page_fetcher(ctx),
        types,
    );
    let report = state.reports.get(key, load).await?;
    let Ok(json) = serde_json::to_vec(&*report) else {
        return Ok(plain(StatusCode::INTERNAL_SERVER_ERROR, "Try again.\n"));
    };
    let tag = etag(&Sha256::digest(&json));
    if not_modified(headers, &tag) {
        return Ok(with_tag(StatusCode::NOT_MODIFIED.into_response(), &tag));
    }
    let response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json,
    )
        .into_response();
    Ok(with_tag(response, &tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_the_address_are_spotted() {
        assert!(key_in_query(Some("key=abc")));
        assert!(key_in_query(Some("Access_Token=abc")));
        assert!(key_in_query(Some("x=fvfeed_abc")));
        assert!(!key_in_query(Some("x=1")));
        assert!(!key_in_query(None));
    }

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b\""),
        );
        assert!(not_modified(&h, "\"b\""));
        assert!(!not_modified(&h, "\"c\""));
    }
}
