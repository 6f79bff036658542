//! The web apps compiled into the `baraza` binary (`rust-embed`): the same files `./dev`
//! writes to `target/client`, served as `ServeDir::precompressed_gzip` serves that folder —
//! the `.gz` beside a file to a browser that accepts gzip, so phones download exactly the
//! bytes the size budget measures.

use axum::extract::State;
use axum::http::header::{
    ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION,
    VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::EmbeddedFile;

/// Looks a file up by its path under the apps' folder (`pkg/app_bg.wasm`): the `get` of a
/// `#[derive(rust_embed::Embed)]` type.
pub type Embedded = fn(&str) -> Option<EmbeddedFile>;

/// The build hash the web client's service worker carries (`size.json`, written by `./dev`),
/// or `None` when no apps are embedded.
pub fn build_hash(get: Embedded) -> Option<String> {
    let size = get("size.json")?;
    let json: serde_json::Value = serde_json::from_slice(&size.data).ok()?;
    json["build"].as_str().map(str::to_owned)
}

/// Serves one request for an embedded file; what is not a file is the API's JSON 404.
pub async fn serve(
    State(get): State<Embedded>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return super::handlers::not_found().await.into_response();
    }
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_owned()
    };
    let Some(file) = get(&path) else {
        // `/console` is the folder: send the browser to `/console/`, as `ServeDir` does, so
        // the page's relative addresses resolve inside it.
        if get(&format!("{path}/index.html")).is_some() {
            let to = format!("/{path}/");
            return (
                StatusCode::TEMPORARY_REDIRECT,
                [(
                    LOCATION,
                    HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/")),
                )],
            )
                .into_response();
        }
        return super::handlers::not_found().await.into_response();
    };
    let etag = format!(
        "\"{}\"",
        file.metadata.sha256_hash()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let mut response_headers = HeaderMap::new();
    if let Ok(mime) = HeaderValue::from_str(file.metadata.mimetype()) {
        response_headers.insert(CONTENT_TYPE, mime);
    }
    let gzipped = get(&format!("{path}.gz"));
    if gzipped.is_some() {
        response_headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    let (body, etag) = match gzipped.filter(|_| accepts_gzip(&headers)) {
        Some(gz) => {
            response_headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            (gz.data, format!("{}-gz\"", etag.trim_end_matches('"')))
        }
        None => (file.data, etag),
    };
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response_headers.insert(ETAG, value);
    }
    let unchanged = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if unchanged {
        return (StatusCode::NOT_MODIFIED, response_headers).into_response();
    }
    if method == Method::HEAD {
        response_headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        return (response_headers, ()).into_response();
    }
    (response_headers, body.into_owned()).into_response()
}

/// Whether `Accept-Encoding` lists gzip (or `*`) with a weight above zero.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_ENCODING, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn gzip_is_sent_only_to_a_browser_that_accepts_it() {
        assert!(accepts_gzip(&with("gzip, deflate, br, zstd")));
        assert!(accepts_gzip(&with("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&with("*")));
        assert!(!accepts_gzip(&with("gzip;q=0, br")));
        assert!(!accepts_gzip(&with("identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
