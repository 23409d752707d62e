//! The integrator REST API (nextAuth API 2.2: shared/reference/nextauth-api-2.2.swagger.yaml),
//! described as served by `openapi.json` (`GET /openapi.json`).
//!
//! One module per entity; every handler authenticates the caller ([`auth::Caller`]), checks
//! its permission, and only then looks at the server, account or user it names. Paths are
//! served with and without their trailing `/`.

pub mod accounts;
pub mod apikeys;
pub mod app_tokens;
pub mod attributes;
pub mod auth;
pub mod error;
pub mod extract;
pub mod fraud_reports;
mod ops;
pub mod permissions;
pub mod servers;
pub mod sessions;
pub mod transactions;
pub mod users;

use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, MethodRouter};
use axum::Router;
use nextauth_protocol::ids::ServerId;
use serde::Deserialize;

use self::auth::Caller;
use self::error::{ApiError, ApiResult};
use crate::state::SharedState;
use crate::store::query::{AttributeFilter, ListQuery, SortKey};
use crate::store::servers::{self as server_store, ServerRow};

/// The OpenAPI 3 document of this API (JSON, which is also valid YAML).
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

/// The API's routes (mounted at the root, as the reference API's base path is `/`).
pub fn routes() -> Router<SharedState> {
    let api = Router::new();
    let api = apikeys::routes(api);
    let api = attributes::routes(api);
    let api = servers::routes(api);
    let api = permissions::routes(api);
    let api = accounts::routes(api);
    let api = users::routes(api);
    let api = sessions::routes(api);
    let api = transactions::routes(api);
    let api = fraud_reports::routes(api);
    let api = app_tokens::routes(api);
    api.layer(DefaultBodyLimit::max(extract::BODY_LIMIT))
        .route("/openapi.json", get(openapi_json))
        .route("/openapi.yaml", get(openapi_yaml))
}

/// Adds `method_router` at `path` and at `path` with its trailing `/` toggled.
pub(crate) fn both(
    router: Router<SharedState>,
    path: &str,
    method_router: MethodRouter<SharedState>,
) -> Router<SharedState> {
    let other = match path.strip_suffix('/') {
        Some(bare) => bare.to_owned(),
        None => format!("{path}/"),
    };
    router
        .route(path, method_router.clone())
        .route(&other, method_router)
}

async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

/// The same document: JSON is a subset of YAML 1.2.
async fn openapi_yaml() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI_JSON)
}

/// A stored server, or 404.
pub(crate) async fn load_server(state: &SharedState, id: &ServerId) -> ApiResult<ServerRow> {
    server_store::get(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound("server"))
}

/// The server named by a path's `serverid`, once the caller is known to hold one of `acls`
/// on it: 400 for a bad id, 403 before 404 so that ids do not leak.
pub(crate) async fn server_for(
    state: &SharedState,
    caller: &Caller,
    serverid: &str,
    acls: &'static [&'static str],
) -> ApiResult<ServerRow> {
    let id = extract::server_id(serverid)?;
    caller.require_any(state, &id, acls).await?;
    load_server(state, &id).await
}

/// The list parameters the swagger gives the list endpoints.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    /// At most this many results.
    pub limit: Option<String>,
    /// Skip this many results.
    pub marker: Option<String>,
    /// `col[:asc|:desc][,col2…]`.
    pub sort: Option<String>,
    /// `attr=value` or `attr=in:v1,v2`.
    pub filter: Option<String>,
    /// Substring of the user id (users only).
    pub search: Option<String>,
}

fn non_negative(text: Option<&str>, message: &'static str) -> ApiResult<Option<i64>> {
    text.map(|t| {
        t.trim()
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
            .ok_or(ApiError::BadRequest(message))
    })
    .transpose()
}

impl ListParams {
    /// `limit` and `marker` as (limit, offset).
    pub fn page(&self) -> ApiResult<(Option<i64>, i64)> {
        let limit = non_negative(
            self.limit.as_deref(),
            "limit must be a non-negative integer",
        )?;
        let marker = non_negative(
            self.marker.as_deref(),
            "marker must be a non-negative integer",
        )?;
        Ok((limit, marker.unwrap_or(0)))
    }

    /// The whole query, with sort columns named as `column` maps them.
    pub fn to_query<C>(&self, column: impl Fn(&str) -> Option<C>) -> ApiResult<ListQuery<C>> {
        let (limit, offset) = self.page()?;
        let mut sort = Vec::new();
        for part in self.sort.as_deref().unwrap_or_default().split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (name, direction) = part.split_once(':').unwrap_or((part, "asc"));
            let descending = match direction.trim().to_ascii_lowercase().as_str() {
                "asc" => false,
                "desc" => true,
                _ => return Err(ApiError::BadRequest("sort direction is asc or desc")),
            };
            let column = column(name.trim()).ok_or(ApiError::BadRequest("unknown sort column"))?;
            sort.push(SortKey { column, descending });
        }
        if sort.len() > 8 {
            return Err(ApiError::BadRequest("at most 8 sort columns"));
        }
        let filter = self.filter.as_deref().map(parse_filter).transpose()?;
        let search = self
            .search
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                if s.len() > 255 {
                    Err(ApiError::BadRequest("search is at most 255 bytes"))
                } else {
                    Ok(s.to_owned())
                }
            })
            .transpose()?;
        Ok(ListQuery {
            filter,
            search,
            sort,
            limit,
            offset,
        })
    }
}

fn parse_filter(text: &str) -> ApiResult<AttributeFilter> {
    let (key, value) = text.split_once('=').ok_or(ApiError::BadRequest(
        "filter is attribute=value or attribute=in:v1,v2",
    ))?;
    let key = extract::attribute_key(key.trim())?.to_owned();
    let values: Vec<String> = match value.strip_prefix("in:") {
        Some(list) => list.split(',').map(str::to_owned).collect(),
        None => vec![value.to_owned()],
    };
    if values.len() > 100 {
        return Err(ApiError::BadRequest("a filter takes at most 100 values"));
    }
    Ok(AttributeFilter { key, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_list_parameters() {
        let params = ListParams {
            limit: Some("10".into()),
            marker: Some("5".into()),
            sort: Some("created:desc, id".into()),
            filter: Some("group=in:a,b".into()),
            search: Some("ali".into()),
        };
        let q = params
            .to_query(|c| ["created", "id"].contains(&c).then(|| c.to_owned()))
            .unwrap();
        assert_eq!((q.limit, q.offset), (Some(10), 5));
        assert_eq!(
            q.sort,
            vec![
                SortKey {
                    column: "created".to_owned(),
                    descending: true
                },
                SortKey {
                    column: "id".to_owned(),
                    descending: false
                }
            ]
        );
        assert_eq!(
            q.filter,
            Some(AttributeFilter {
                key: "group".into(),
                values: vec!["a".into(), "b".into()]
            })
        );
        let bad = |p: ListParams| p.to_query(|_| Some(())).is_err();
        assert!(bad(ListParams {
            limit: Some("-1".into()),
            ..ListParams::default()
        }));
        assert!(bad(ListParams {
            sort: Some("x:sideways".into()),
            ..ListParams::default()
        }));
        assert!(bad(ListParams {
            filter: Some("novalue".into()),
            ..ListParams::default()
        }));
        assert!(ListParams {
            sort: Some("nope".into()),
            ..ListParams::default()
        }
        .to_query(|_| None::<()>)
        .is_err());
    }
}
