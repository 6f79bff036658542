//! The OpenRosa 1.0 API for ODK Collect and ODK Web Forms, following ODK Central where the
//! specification is loose: `formList`, each form's XForm and media manifest, and
//! `submission` (HEAD, then a multipart POST). Every route also lives under
//! `/key/<device key>/`, the way Central's app users configure a phone: the credential of an
//! OpenRosa device a supervisor made for the enumerator in the console (`POST /odk-keys`),
//! revoked like any device. Without a key, an enumerator signs in with a username and
//! password: HTTP Basic, over HTTPS only (a 401 challenges for it). Digest is not offered: it
//! would need an MD5 of every password stored beside the Argon2 hash, which a stolen database
//! would give up at billions of guesses a second.
//!
//! Every answer carries `X-OpenRosa-Version: 1.0` and `X-OpenRosa-Accept-Content-Length`; a
//! request without `X-OpenRosa-Version` is refused. Errors are `OpenRosaResponse` messages
//! (Collect shows their text to the enumerator). A submission is answered 201 only after its
//! transaction committed, so a phone deletes nothing Baraza does not hold.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use baraza_schema::api::{EnrollmentCodeRequest, ErrorBody, FormState, OdkKey, Role};
use baraza_schema::wire::ItemStatus;
use baraza_schema::{Form, Kind};
use md5::Digest;
use serde::Deserialize;

mod digest;

pub use digest::Nonces as DigestNonces;

use super::auth::Session;
use super::error::{ApiError, Json};
use super::{AppState, MAX_BODY_BYTES, blocking};
use crate::openrosa::{instance, xform::escape};
use crate::storage::{Device, Incoming, LoginError, OpenRosaSubmission, PART_BYTES};

/// A post to `/submission` may take this many times the request timeout: it may carry a
/// large file over a slow network.
const POST_TIME_FACTOR: u32 = 10;

/// The OpenRosa routes, at the root and under `/key/{token}`, each within the request
/// timeout but a submission's post (`POST_TIME_FACTOR` times as long).
pub fn routes(state: &AppState) -> Router<Arc<AppState>> {
    use tower_http::timeout::TimeoutLayer;
    let mut router = Router::new();
    for prefix in ["", "/key/{token}"] {
        router = router
            .route(&format!("{prefix}/formList"), get(form_list))
            .route(
                &format!("{prefix}/forms/{{form_id}}/{{version}}/form.xml"),
                get(form_xml),
            )
            .route(
                &format!("{prefix}/forms/{{form_id}}/{{version}}/manifest"),
                get(manifest),
            )
            .route(
                &format!("{prefix}/forms/{{form_id}}/{{version}}/files/{{name}}"),
                get(media_file),
            )
            .route(
                &format!("{prefix}/submission"),
                axum::routing::head(submission_head),
            );
    }
    router = router.route_layer(TimeoutLayer::new(state.request_timeout));
    // A submission's post is as large as an interview's files (its parts are spooled to
    // disk and counted as they come), and may be slow.
    let post = axum::routing::post(submission)
        .layer::<_, std::convert::Infallible>(TimeoutLayer::new(
            state.request_timeout * POST_TIME_FACTOR,
        ))
        .layer(axum::extract::DefaultBodyLimit::disable());
    for prefix in ["", "/key/{token}"] {
        router = router.route(&format!("{prefix}/submission"), post.clone());
    }
    router.layer(axum::middleware::from_fn_with_state(
        state.attachment_limits.post_bytes(),
        headers,
    ))
}

/// A path without its `/key/<token>` prefix.
fn unkeyed(path: &str) -> &str {
    match path.strip_prefix("/key/") {
        Some(rest) => rest.find('/').map_or("", |i| &rest[i..]),
        None => path,
    }
}

/// Whether a path is one of the OpenRosa routes (their errors are OpenRosa messages).
pub fn is_openrosa_path(path: &str) -> bool {
    let path = unkeyed(path);
    path == "/formList" || path == "/submission" || path.starts_with("/forms/")
}

/// Whether a path is a submission's (a post that may carry files).
pub fn is_submission(path: &str) -> bool {
    unkeyed(path) == "/submission"
}

/// OpenRosa's headers on every answer; a request without `X-OpenRosa-Version` is refused.
async fn headers(
    State(post_bytes): State<u64>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut res = if req.headers().contains_key("x-openrosa-version") {
        next.run(req).await
    } else {
        OpenRosaError::new(
            StatusCode::BAD_REQUEST,
            "this is an OpenRosa endpoint: send the header X-OpenRosa-Version: 1.0",
        )
        .into_response()
    };
    with_headers(&mut res, post_bytes);
    res
}

/// Adds OpenRosa's two headers to an answer: the second says how large a post may be.
pub fn with_headers(res: &mut Response, post_bytes: u64) {
    let h = res.headers_mut();
    h.insert("x-openrosa-version", HeaderValue::from_static("1.0"));
    h.insert(
        "x-openrosa-accept-content-length",
        HeaderValue::from(post_bytes),
    );
}

/// An `OpenRosaResponse` with one message.
fn message(status: StatusCode, nature: &str, text: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OpenRosaResponse xmlns=\"http://openrosa.org/http/response\"><message nature=\"{nature}\">{}</message></OpenRosaResponse>\n",
        escape(text)
    );
    xml(status, body)
}

fn xml(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// An error as ODK clients read one.
#[derive(Debug)]
pub struct OpenRosaError {
    status: StatusCode,
    text: String,
    /// What a 401 asks for: `WWW-Authenticate` values (Basic over HTTPS, Digest when on).
    challenges: Vec<HeaderValue>,
    retry_after: Option<u64>,
}

impl OpenRosaError {
    pub fn new(status: StatusCode, text: impl Into<String>) -> OpenRosaError {
        OpenRosaError {
            status,
            text: text.into(),
            challenges: Vec::new(),
            retry_after: None,
        }
    }

    fn bad(text: impl Into<String>) -> OpenRosaError {
        OpenRosaError::new(StatusCode::BAD_REQUEST, text)
    }
}

impl IntoResponse for OpenRosaError {
    fn into_response(self) -> Response {
        let mut res = message(self.status, "error", &self.text);
        for challenge in self.challenges {
            res.headers_mut()
                .append(header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

impl From<ApiError> for OpenRosaError {
    fn from(e: ApiError) -> OpenRosaError {
        OpenRosaError::new(e.status, e.message)
    }
}

/// The device an OpenRosa request acts as (its credential in the URL), and the URL prefix
/// that names it, for the links `formList` gives.
pub struct Caller {
    device: Device,
    prefix: String,
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = OpenRosaError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, OpenRosaError> {
        let path = parts.uri.path();
        let key = path
            .strip_prefix("/key/")
            .and_then(|rest| rest.split('/').next())
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .map(str::to_owned);
        let Some(token) = key else {
            let device = password(parts, state).await?;
            return Ok(Caller {
                device,
                prefix: String::new(),
            });
        };
        let t = token.clone();
        let device = blocking(state, move |db| Ok(db.openrosa_device_by_token(&t)?))
            .await?
            .ok_or_else(|| {
                OpenRosaError::new(
                    StatusCode::FORBIDDEN,
                    "this device key is not known; ask your supervisor for a new one",
                )
            })?;
        if device.revoked_at.is_some() {
            return Err(OpenRosaError::new(
                StatusCode::FORBIDDEN,
                "this device key has been revoked; keep the forms on the phone and ask your supervisor",
            ));
        }
        Ok(Caller {
            device,
            prefix: format!("/key/{token}"),
        })
    }
}

/// Whether this request came over HTTPS (Baraza's own TLS, or a reverse proxy on this machine
/// that says so).
fn is_https(state: &AppState, headers: &HeaderMap) -> bool {
    state.tls.is_some()
        || (state.trust_forwarded_for
            && headers
                .get("x-forwarded-proto")
                .is_some_and(|v| v.as_bytes() == b"https"))
}

/// An enumerator signing in with a username and password: HTTP Basic over HTTPS, with the
/// sign-in's throttling; Digest when the server offers it (`--odk-digest`, for Collect over
/// plain HTTP). Without credentials, the challenges Collect answers.
async fn password(parts: &Parts, state: &Arc<AppState>) -> Result<Device, OpenRosaError> {
    let https = is_https(state, &parts.headers);
    let digest = state.odk_digest.as_ref();
    let challenge = |text: &str, stale: bool| {
        let mut e = OpenRosaError::new(StatusCode::UNAUTHORIZED, text);
        if https {
            e.challenges.push(HeaderValue::from_static(
                "Basic realm=\"Baraza\", charset=\"UTF-8\"",
            ));
        }
        if let Some(nonces) = digest {
            e.challenges.push(nonces.challenge(stale));
        }
        e
    };
    if !https && digest.is_none() {
        return Err(challenge(
            "use the server URL with your device key (…/key/…) that your supervisor gave you; a username and password are accepted over HTTPS only",
            false,
        ));
    }
    let given = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    let address = super::handlers::client_address(state, peer, &parts.headers);
    let now = std::time::Instant::now();
    if let Some(secs) = state.login_throttle.wait(&address, now) {
        let mut e = OpenRosaError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed sign-ins; try again in {secs} s"),
        );
        e.retry_after = Some(secs);
        return Err(e);
    }
    let signed_in = match (given, digest) {
        (Some(basic), _) if https && basic.starts_with("Basic ") => {
            basic_sign_in(state, &basic["Basic ".len()..], &address).await?
        }
        (Some(given), Some(nonces)) if given.starts_with("Digest ") => {
            let (user, method) = (&given["Digest ".len()..], parts.method.as_str());
            let uri = parts.uri.path_and_query().map_or("", |p| p.as_str());
            let username = digest::param(user, "username").unwrap_or_default();
            let found = blocking(state, move |db| Ok(db.digest_credential(&username)?)).await?;
            match nonces.check(user, method, uri, found) {
                Ok(user_id) => Ok(user_id),
                Err(digest::Refused::Stale) => {
                    return Err(challenge("the sign-in took too long; again, please", true));
                }
                Err(digest::Refused::Wrong) => Err(LoginError::BadCredentials),
            }
        }
        _ => {
            return Err(challenge(
                "sign in with your Baraza username and password",
                false,
            ));
        }
    };
    let user_id = match signed_in {
        Ok(user_id) => user_id,
        Err(LoginError::BadCredentials) => {
            state.login_throttle.failed(&address, now);
            return Err(challenge("wrong username or password", false));
        }
        Err(e) => return Err(ApiError::from(e).into()),
    };
    Ok(blocking(state, move |db| Ok(db.openrosa_password_device(user_id)?)).await?)
}

/// HTTP Basic's `username:password` (base64), checked as a sign-in is: the enumerator's id.
async fn basic_sign_in(
    state: &Arc<AppState>,
    encoded: &str,
    address: &str,
) -> Result<Result<i64, LoginError>, OpenRosaError> {
    use base64::Engine as _;
    let Some((username, password)) = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned())))
    else {
        return Ok(Err(LoginError::BadCredentials));
    };
    let _slot = state
        .login_slots
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    let at = address.to_owned();
    let checked = blocking(state, move |db| {
        Ok(db.verify_login(&username, &at, &password))
    })
    .await?;
    let caller = match checked {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    if caller.role != Role::Enumerator {
        return Err(OpenRosaError::new(
            StatusCode::FORBIDDEN,
            format!(
                "a {} does not send interviews; sign in as an enumerator",
                caller.role.as_str()
            ),
        ));
    }
    Ok(Ok(caller.user_id))
}

/// `scheme://host` of this request, for absolute links: the `Host` header (HTTP/1.1), else
/// the request's authority (HTTP/2 carries it there).
fn base(
    state: &AppState,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
) -> Result<String, OpenRosaError> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .ok_or_else(|| OpenRosaError::bad("a Host header is required"))?;
    let scheme = if is_https(state, headers) {
        "https"
    } else {
        "http"
    };
    Ok(format!("{scheme}://{host}"))
}

fn md5_hex(text: &str) -> String {
    md5::Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Deserialize)]
pub struct FormListQuery {
    #[serde(rename = "formID")]
    form_id: Option<String>,
}

/// `GET /formList`: the newest open version of each form (`xformsList`).
async fn form_list(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<FormListQuery>,
) -> Result<Response, OpenRosaError> {
    let base = format!("{}{}", base(&s, &headers, &uri)?, caller.prefix);
    let forms = blocking(&s, |db| {
        let mut forms = Vec::new();
        for (f, xform) in db.openrosa_forms()? {
            let media = !db.form_files(&f.form_id, &f.version)?.is_empty();
            forms.push((f, xform, media));
        }
        Ok(forms)
    })
    .await?;
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xforms xmlns=\"http://openrosa.org/xforms/xformsList\">",
    );
    for (f, xform, media) in forms
        .iter()
        .filter(|(f, ..)| q.form_id.as_ref().is_none_or(|id| *id == f.form_id))
    {
        let (id, version) = (escape(&f.form_id), escape(&f.version));
        let url = |what: &str| {
            escape(&format!(
                "{base}/forms/{}/{}/{what}",
                urlencode(&f.form_id),
                urlencode(&f.version)
            ))
        };
        // A form that carries files names its manifest, as Central's do.
        let manifest = match media {
            true => format!("<manifestUrl>{}</manifestUrl>", url("manifest")),
            false => String::new(),
        };
        body.push_str(&format!(
            "<xform><formID>{id}</formID><name>{}</name><version>{version}</version><hash>md5:{}</hash><downloadUrl>{}</downloadUrl>{manifest}</xform>",
            escape(&f.title),
            md5_hex(xform),
            url("form.xml"),
        ));
    }
    body.push_str("</xforms>\n");
    Ok(xml(StatusCode::OK, body))
}

/// Percent-encodes a path segment.
pub(super) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /forms/{form_id}/{version}/form.xml`: the XForm, the same bytes every time.
async fn form_xml(
    State(s): State<Arc<AppState>>,
    _caller: Caller,
    Path(p): Path<FormPath>,
) -> Result<Response, OpenRosaError> {
    let (form_id, version) = (p.form_id, p.version);
    let xform = blocking(&s, move |db| Ok(db.xform(&form_id, &version)?)).await?;
    Ok(xml(StatusCode::OK, xform))
}

#[derive(Deserialize)]
pub struct FormPath {
    form_id: String,
    version: String,
}

/// `GET /forms/{form_id}/{version}/manifest`: the files the form carries (its choice lists'
/// CSV and XML files, `pulldata()` sources, media), each with its MD5 and where to get it.
async fn manifest(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Path(p): Path<FormPath>,
) -> Result<Response, OpenRosaError> {
    let base = format!("{}{}", base(&s, &headers, &uri)?, caller.prefix);
    let (form_id, version) = (p.form_id, p.version);
    let (id, v) = (form_id.clone(), version.clone());
    let files = blocking(&s, move |db| {
        db.xform(&id, &v)?;
        Ok(db.form_files(&id, &v)?)
    })
    .await?;
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest xmlns=\"http://openrosa.org/xforms/xformsManifest\">",
    );
    for (file, md5) in files {
        let url = format!(
            "{base}/forms/{}/{}/files/{}",
            urlencode(&form_id),
            urlencode(&version),
            urlencode(&file.name)
        );
        body.push_str(&format!(
            "<mediaFile><filename>{}</filename><hash>md5:{md5}</hash><downloadUrl>{}</downloadUrl></mediaFile>",
            escape(&file.name),
            escape(&url)
        ));
    }
    body.push_str("</manifest>\n");
    Ok(xml(StatusCode::OK, body))
}

#[derive(Deserialize)]
pub struct FilePath {
    form_id: String,
    version: String,
    name: String,
}

/// `GET /forms/{form_id}/{version}/files/{name}`: one file of the manifest.
async fn media_file(
    State(s): State<Arc<AppState>>,
    _caller: Caller,
    Path(p): Path<FilePath>,
) -> Result<Response, OpenRosaError> {
    let (id, v, n) = (p.form_id.clone(), p.version.clone(), p.name.clone());
    let file = blocking(&s, move |db| Ok(db.form_file(&id, &v, &n)?))
        .await?
        .ok_or_else(|| {
            OpenRosaError::new(
                StatusCode::NOT_FOUND,
                format!(
                    "the form {:?} version {:?} has no file {:?}",
                    p.form_id, p.version, p.name
                ),
            )
        })?;
    let etag = format!("\"{}\"", file.sha256);
    Ok(super::attachments::serve_file(
        s.db.clone(),
        file,
        Some(etag),
    ))
}

/// `HEAD /submission`: Collect asks before it sends (credentials, and how large a post may be).
async fn submission_head(_caller: Caller) -> StatusCode {
    StatusCode::NO_CONTENT
}

/// A file part as it arrived: written to a temporary file (never whole in memory) and hashed
/// on the way.
struct Spooled {
    name: String,
    sha256: String,
    size: u64,
    bytes: std::fs::File,
}

fn too_large(text: String) -> OpenRosaError {
    OpenRosaError::new(StatusCode::PAYLOAD_TOO_LARGE, text)
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> OpenRosaError {
    OpenRosaError::new(
        e.status(),
        format!("the multipart body cannot be read: {}", e.body_text()),
    )
}

/// Spools a file part of at most `limit` bytes to a temporary file (in `TMPDIR`, deleted when
/// dropped), hashing it as it comes.
async fn spool(
    mut part: axum::extract::multipart::Field<'_>,
    name: String,
    limit: u64,
) -> Result<Spooled, OpenRosaError> {
    use sha2::Digest as _;
    use tokio::io::AsyncWriteExt;
    let io = |e: std::io::Error| OpenRosaError::from(ApiError::internal(e));
    let file = tokio::task::spawn_blocking(tempfile::tempfile)
        .await
        .map_err(ApiError::internal)?
        .map_err(io)?;
    let mut out = tokio::io::BufWriter::with_capacity(PART_BYTES, tokio::fs::File::from_std(file));
    let mut hash = sha2::Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = part.chunk().await.map_err(multipart_error)? {
        size += chunk.len() as u64;
        if size > limit {
            return Err(too_large(format!(
                "the file {name:?} is larger than {limit} bytes, the most this server takes a file"
            )));
        }
        hash.update(&chunk);
        out.write_all(&chunk).await.map_err(io)?;
    }
    out.flush().await.map_err(io)?;
    let mut file = out.into_inner().into_std().await;
    std::io::Seek::rewind(&mut file).map_err(io)?;
    Ok(Spooled {
        name,
        sha256: baraza_schema::hex(&hash.finalize()),
        size,
        bytes: file,
    })
}

/// A submission post's parts: its XML, its files spooled, and whether more posts follow
/// (Collect's split upload).
async fn read_parts(
    multipart: &mut Multipart,
    limits: super::AttachmentLimits,
) -> Result<(Option<String>, Vec<Spooled>, bool), OpenRosaError> {
    let mut xml_text = None;
    let mut files: Vec<Spooled> = Vec::new();
    let mut incomplete = false;
    let mut post_files = 0u64;
    while let Some(mut part) = multipart.next_field().await.map_err(multipart_error)? {
        let name = part.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "xml_submission_file" => {
                let kind = part.content_type().unwrap_or("text/xml").to_owned();
                if !kind.contains("xml") {
                    return Err(OpenRosaError::bad(format!(
                        "xml_submission_file must be text/xml or application/xml, not {kind}"
                    )));
                }
                let mut bytes = Vec::new();
                while let Some(chunk) = part.chunk().await.map_err(multipart_error)? {
                    if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                        return Err(too_large(format!(
                            "xml_submission_file is larger than {MAX_BODY_BYTES} bytes"
                        )));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                let text = String::from_utf8(bytes)
                    .map_err(|_| OpenRosaError::bad("xml_submission_file is not UTF-8 text"))?;
                if xml_text.replace(text).is_some() {
                    return Err(OpenRosaError::bad("xml_submission_file is given twice"));
                }
            }
            // Collect's split uploads: every part but the last says so; the XML is the same.
            "*isIncomplete*" => {
                while part.chunk().await.map_err(multipart_error)?.is_some() {}
                incomplete = true;
            }
            // A file the instance names: Collect names the part after the file.
            other => {
                let name = part.file_name().unwrap_or(other).to_owned();
                if !baraza_schema::attachment::valid_name(&name) {
                    return Err(OpenRosaError::bad(format!(
                        "the part {other:?} names its file {name:?}: a file name has no folders and at most 255 bytes"
                    )));
                }
                let file = spool(part, name, limits.file_bytes).await?;
                post_files += file.size;
                if post_files > limits.interview_bytes {
                    return Err(too_large(format!(
                        "the files of this post are more than {} bytes; this server takes at most that many bytes of files an interview",
                        limits.interview_bytes
                    )));
                }
                files.push(file);
            }
        }
    }
    Ok((xml_text, files, incomplete))
}

/// `POST /submission`: one XML instance (`xml_submission_file`) as multipart/form-data.
async fn submission(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, OpenRosaError> {
    let mut multipart = multipart.map_err(|e| {
        OpenRosaError::bad(format!(
            "a submission is multipart/form-data with an xml_submission_file part: {e}"
        ))
    })?;
    let limits = s.attachment_limits;
    let (xml_text, files, incomplete) = match read_parts(&mut multipart, limits).await {
        Err(e) if e.status == StatusCode::PAYLOAD_TOO_LARGE => {
            // The rest of the post is read (as far as a post may go, while it keeps coming)
            // so that the phone reads this answer, not a connection broken while it was
            // still sending.
            let idle = std::time::Duration::from_secs(5);
            let mut budget = limits.post_bytes();
            while let Ok(Ok(Some(mut part))) =
                tokio::time::timeout(idle, multipart.next_field()).await
            {
                while let Ok(Ok(Some(chunk))) = tokio::time::timeout(idle, part.chunk()).await {
                    budget = budget.saturating_sub(chunk.len() as u64);
                    if budget == 0 {
                        return Err(e);
                    }
                }
            }
            return Err(e);
        }
        read => read?,
    };
    let xml_text = xml_text
        .ok_or_else(|| OpenRosaError::bad("the submission has no xml_submission_file part"))?;
    let (form_id, version) = instance::form_of(&xml_text).map_err(OpenRosaError::bad)?;
    let device = caller.device;
    let today = super::handlers::server_today();
    let _slot = s.push_slots.acquire().await.map_err(ApiError::internal)?;
    let done = blocking(&s, move |db| {
        let found = db.form_for_validation(&form_id, &version)?;
        let Some((form, state)) = found else {
            return Ok(Err(OpenRosaError::new(
                StatusCode::NOT_FOUND,
                format!("this server has no form {form_id:?} version {version:?}; get the blank form again"),
            )));
        };
        if state == FormState::Closed {
            return Ok(Err(OpenRosaError::new(
                StatusCode::FORBIDDEN,
                format!("the form {form_id:?} version {version:?} is closed and accepts no more submissions; keep this one on the phone and ask your supervisor"),
            )));
        }
        let read = match instance::read(&xml_text, &form) {
            Ok(r) => r,
            Err(e) => return Ok(Err(OpenRosaError::bad(e))),
        };
        for file in files {
            let Spooled { name, sha256, size, mut bytes } = file;
            let bytes = &mut bytes;
            db.openrosa_file(&device, &read.instance_id, Incoming { name, sha256, size, bytes })?;
        }
        if incomplete {
            // A split upload: the files are kept, and the last post stores the instance with
            // all of them.
            return Ok(Ok(None));
        }
        let sent = db.openrosa_files(&read.instance_id)?;
        let mut answers = read.answers;
        baraza_schema::attachment::fill(&form, &mut answers, &|name| {
            sent.iter().find(|a| a.name == name).cloned()
        });
        fill_known_metadata(&form, &mut answers, db, &device)?;
        let sub = OpenRosaSubmission {
            form_id,
            version,
            instance_id: read.instance_id,
            deprecated_id: read.deprecated_id,
            payload: serde_json::Value::Object(answers).to_string(),
            xml: xml_text,
        };
        Ok(Ok(Some(db.openrosa_submit(&device, &sub, today)?)))
    })
    .await??;
    let Some(done) = done else {
        return Ok(message(
            StatusCode::CREATED,
            "submit_success",
            "Received; the submission is stored when its last part comes.",
        ));
    };
    let text = match done.status {
        ItemStatus::Duplicate => "Already received: nothing was stored twice.".to_owned(),
        ItemStatus::Stored => "Received and stored.".to_owned(),
        ItemStatus::Conflict => {
            "Received and stored beside another version of this interview; a supervisor will choose.".to_owned()
        }
        ItemStatus::Quarantined => format!(
            "Received and held for a supervisor: {}",
            done.reason.as_deref().unwrap_or("it could not be accepted as it is")
        ),
        ItemStatus::Retry => {
            return Err(OpenRosaError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not stored; send it again later",
            ));
        }
    };
    let mut res = message(StatusCode::CREATED, "submit_success", &text);
    res.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(&format!("{}/submission", caller.prefix))
            .unwrap_or(HeaderValue::from_static("/submission")),
    );
    Ok(res)
}

/// The metadata the server knows for certain and an ODK client may leave empty: the
/// enumerator's user name (Collect sends it only when set in its settings) and the device.
/// Only what is missing is filled; what the phone sent is kept.
fn fill_known_metadata(
    form: &Form,
    answers: &mut serde_json::Map<String, serde_json::Value>,
    db: &dyn crate::storage::Store,
    device: &Device,
) -> Result<(), ApiError> {
    for f in form.outside_repeats() {
        if answers.contains_key(&f.name) {
            continue;
        }
        let value = match f.kind {
            Kind::Username => db
                .users()?
                .into_iter()
                .find(|u| u.id == device.user_id)
                .map(|u| u.username)
                .unwrap_or_default(),
            Kind::DeviceId => format!("baraza:{}", device.id),
            _ => continue,
        };
        answers.insert(f.name.clone(), value.into());
    }
    Ok(())
}

/// A device key for an enumerator's ODK Collect: the server URL to type in Collect, and
/// Collect's settings for "Configure with QR code" (drawn by the console). Shown once; the key
/// is a device credential, revoked like any device.
#[utoipa::path(post, path = "/odk-keys", tag = "devices", security(("session" = [])), request_body = EnrollmentCodeRequest,
    responses((status = 201, body = OdkKey), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "not an enabled enumerator")))]
pub async fn create_odk_key(
    State(s): State<Arc<AppState>>,
    session: Session,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Json(b): Json<EnrollmentCodeRequest>,
) -> Result<(StatusCode, Json<OdkKey>), ApiError> {
    let by = session.require(&[Role::Admin, Role::Supervisor])?.user_id;
    let base = base(&s, &headers, &uri).map_err(|e| ApiError::malformed(e.text))?;
    let (device_id, token, username) =
        blocking(&s, move |db| Ok(db.create_odk_device(b.user_id, by)?)).await?;
    let server_url = format!("{base}/key/{token}");
    Ok((
        StatusCode::CREATED,
        Json(OdkKey {
            device_id,
            user_id: b.user_id,
            collect_settings: collect_settings(&server_url, &username),
            username,
            server_url,
        }),
    ))
}

/// ODK Collect's project settings as its QR code carries them (and ODK Central writes them):
/// the JSON, zlib-compressed, in standard base64.
pub fn collect_settings(server_url: &str, username: &str) -> String {
    use base64::Engine as _;
    use std::io::Write as _;
    let settings = serde_json::json!({
        "general": {
            "server_url": server_url,
            "username": username,
            "form_update_mode": "match_exactly",
            "autosend": "wifi_and_cellular",
        },
        "admin": {},
        "project": {"name": format!("Baraza · {username}"), "icon": "B"},
    });
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = z.write_all(settings.to_string().as_bytes());
    base64::engine::general_purpose::STANDARD.encode(z.finish().unwrap_or_default())
}
