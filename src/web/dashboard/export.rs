//! `GET /projects/export.csv` and `.json`: the export stream of [`crate::projects::export`]
//! as a download. The first page is fetched before answering, so a refused token or a 403
//! becomes a proper error page; the rest is streamed.

use axum::{
    body::Body,
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};
use futures::{future::BoxFuture, Stream};

use crate::{
    filevine::{ProjectPage, ProjectQuery},
    projects::export::Format,
    web::{error::AppError, gateway::OrgGateway},
};

/// The export's page fetcher, as the user in their org, with the web layer's errors: a
/// session whose tokens are gone sends the user to sign in again (and back), as any page
/// does, instead of a bare 401.
pub fn page_fetcher(
    gw: &OrgGateway,
) -> impl Fn(ProjectQuery) -> BoxFuture<'static, Result<ProjectPage, AppError>> + Send + Sync + 'static
{
    let (api, here, ctx) = (gw.api.walk_gateway(), gw.api.here.clone(), gw.ctx);
    move |q: ProjectQuery| {
        let (api, here) = (api.clone(), here.clone());
        Box::pin(async move {
            api.projects(ctx, &q)
                .await
                .map_err(|e| AppError::from_authed(e, here))
        })
    }
}

/// The streaming response with download headers.
pub fn response<S>(format: Format, org_id: i64, body: S) -> Response
where
    S: Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static,
{
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]-[hour][minute]"
        ))
        .unwrap_or_default();
    let filename = format!("filevine-projects-{org_id}-{stamp}.{}", format.ext());
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Body::from_stream(body),
    )
        .into_response()
}
