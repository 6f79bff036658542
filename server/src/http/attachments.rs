//! Answer attachments over HTTP. A device sends a file after the revision naming it is
//! acknowledged, resumably, the way the tus 1.0 protocol does it (core protocol, with the
//! file's sha256 as its address): `HEAD` says how many bytes are held, `PATCH` appends from
//! there and answers the new offset; each part is committed before it is counted, so a
//! dropped connection keeps what arrived. The last byte checks the sha256. Reviewers open a
//! file as a download that can never run in the page (`Content-Disposition: attachment`, a
//! sandboxing CSP, no sniffing), its type read from its bytes.

use std::io::Write;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use baraza_schema::api::ErrorBody;
use baraza_schema::attachment::valid_sha256;
use futures_util::StreamExt;

use super::auth::{DeviceAuth, Session};
use super::handlers::REVIEWERS;
use super::{ApiError, AppState, blocking};
use crate::storage::{Appended, PART_BYTES, Upload};

type St = State<Arc<AppState>>;

/// The largest file, and the most bytes of files in one interview, this server takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentLimits {
    pub file_bytes: u64,
    pub interview_bytes: u64,
}

impl Default for AttachmentLimits {
    /// 64 MiB a file (a few minutes of phone video), 256 MiB an interview.
    fn default() -> AttachmentLimits {
        AttachmentLimits {
            file_bytes: 64 << 20,
            interview_bytes: 256 << 20,
        }
    }
}

impl AttachmentLimits {
    /// The largest post to `/submission`: an interview's files and its XML.
    pub fn post_bytes(&self) -> u64 {
        self.interview_bytes + super::MAX_BODY_BYTES as u64
    }
}

/// The content type of a `PATCH` body, as tus names it.
const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

fn tus_headers(offset: u64, size: u64) -> [(&'static str, String); 4] {
    [
        ("tus-resumable", "1.0.0".to_owned()),
        ("upload-offset", offset.to_string()),
        ("upload-length", size.to_string()),
        ("cache-control", "no-store".to_owned()),
    ]
}

/// Whether a backup holds the file: only then may the phone delete its copy (DESIGN.md,
/// guarantee 1, as for interviews).
const BACKED_UP: &str = "baraza-backed-up";

/// The upload a file's address names, within this server's limits.
async fn upload_of(s: &AppState, sha256: String) -> Result<Upload, ApiError> {
    if !valid_sha256(&sha256) {
        return Err(ApiError::malformed(
            "a file is addressed by its sha256: 64 lowercase hexadecimal digits",
        ));
    }
    let upload = blocking(s, move |db| Ok(db.upload(&sha256)?))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no interview held here names this file; send the interview first",
            )
        })?;
    let limits = s.attachment_limits;
    if upload.size > limits.file_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the file is {} bytes; this server takes files of at most {} bytes",
                upload.size, limits.file_bytes
            ),
        ));
    }
    if upload.interview_bytes > limits.interview_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the interview's files are {} bytes in all; this server takes at most {} bytes of files an interview",
                upload.interview_bytes, limits.interview_bytes
            ),
        ));
    }
    Ok(upload)
}

#[utoipa::path(head, path = "/attachments/{sha256}", tag = "sync", security(("device" = [])),
    params(("sha256" = String, Path, description = "the file's sha256, as the answers name it")),
    responses((status = 200, description = "how much of the file is held: `Upload-Offset` of `Upload-Length` bytes; `Baraza-Backed-Up: yes` once a backup holds it whole (the phone may then delete its copy)"),
        (status = 404, description = "no interview held here names this file"),
        (status = 413, description = "the file, or its interview's files, are over this server's limit")))]
/// How many bytes of a file are held (tus's `HEAD`): send the rest from `Upload-Offset`.
pub async fn upload_state(
    State(s): St,
    DeviceAuth(_device): DeviceAuth,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    let upload = upload_of(&s, sha256).await?;
    Ok((
        StatusCode::OK,
        tus_headers(upload.offset, upload.size),
        [(BACKED_UP, if upload.backed_up { "yes" } else { "no" })],
    )
        .into_response())
}

#[utoipa::path(patch, path = "/attachments/{sha256}", tag = "sync", security(("device" = [])),
    params(("sha256" = String, Path, description = "the file's sha256, as the answers name it"),
        ("Upload-Offset" = u64, Header, description = "where these bytes start: what HEAD said is held")),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream", description = "the file's next bytes"),
    responses((status = 204, description = "held up to `Upload-Offset`; when that is `Upload-Length` the file is whole and its sha256 checked"),
        (status = 404, body = ErrorBody, description = "no interview held here names this file"),
        (status = 409, body = ErrorBody, description = "`Upload-Offset` is not what is held: ask with HEAD"),
        (status = 413, body = ErrorBody, description = "over this server's limits"),
        (status = 415, body = ErrorBody, description = "the body is not application/offset+octet-stream"),
        (status = 460, body = ErrorBody, description = "the bytes are not the file named (their sha256 differs): every part was dropped, send it again from 0")))]
/// Appends to a file (tus's `PATCH`). Each part is committed before it counts, so a dropped
/// connection keeps what arrived; the last byte checks the sha256.
pub async fn upload_bytes(
    State(s): St,
    DeviceAuth(_device): DeviceAuth,
    Path(sha256): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !kind.eq_ignore_ascii_case(OFFSET_OCTET_STREAM) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("a file's bytes are sent as {OFFSET_OCTET_STREAM}, not {kind:?}"),
        ));
    }
    let start: u64 = headers
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            ApiError::malformed("Upload-Offset must say where these bytes start, in bytes")
        })?;
    let upload = upload_of(&s, sha256.clone()).await?;
    if upload.complete {
        return Ok((
            StatusCode::NO_CONTENT,
            tus_headers(upload.size, upload.size),
        )
            .into_response());
    }
    if start != upload.offset {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "{} bytes of this file are held; send from there, not from {start}",
                upload.offset
            ),
        ));
    }
    // On a task of its own: when the connection breaks, the request's own task may be
    // dropped, and the bytes that arrived must still be kept.
    let size = upload.size;
    let done = tokio::spawn(async move {
        let mut at = start;
        let mut buf: Vec<u8> = Vec::new();
        let mut stream = body.into_data_stream();
        let mut done = Appended::Partial(at);
        loop {
            let next = stream.next().await;
            let ended = !matches!(next, Some(Ok(_)));
            if let Some(Ok(chunk)) = next {
                buf.extend_from_slice(&chunk);
            }
            if at + buf.len() as u64 > size {
                return Err(ApiError::malformed(format!(
                    "the file is {size} bytes; these bytes go past its end"
                )));
            }
            // Whole parts as they fill; at the end (or when the connection broke), the rest.
            while buf.len() >= PART_BYTES || (ended && !buf.is_empty()) {
                let part = buf.drain(..buf.len().min(PART_BYTES)).collect::<Vec<u8>>();
                let (sha, from, len) = (sha256.clone(), at, part.len() as u64);
                done = blocking(&s, move |db| Ok(db.append(&sha, from, &part)?)).await?;
                at += len;
            }
            if ended {
                return Ok(done);
            }
        }
    })
    .await
    .map_err(ApiError::internal)??;
    match done {
        Appended::Mismatch { got } => Err(ApiError::new(
            StatusCode::from_u16(460).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
            "checksum_mismatch",
            format!(
                "the bytes received are not the file named: their sha256 is {got}; every part was dropped, send the file again from 0"
            ),
        )),
        Appended::Complete => Ok((
            StatusCode::NO_CONTENT,
            tus_headers(upload.size, upload.size),
        )
            .into_response()),
        Appended::Partial(n) => {
            Ok((StatusCode::NO_CONTENT, tus_headers(n, upload.size)).into_response())
        }
    }
}

#[utoipa::path(get, path = "/responses/{id}/attachments/{name}", tag = "review", security(("session" = [])),
    params(("id" = String, Path), ("name" = String, Path, description = "the file's name, as the answers give it")),
    responses((status = 200, description = "the file, as a download", content_type = "application/octet-stream"),
        (status = 404, body = ErrorBody, description = "no such response in your settlements, or no such file received yet")))]
/// A file of an interview, for reviewers who may see the interview: always a download, never
/// shown in the page, whatever it holds.
pub async fn download(
    State(s): St,
    session: Session,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    let file = blocking(&s, move |db| Ok(db.attachment(&caller, &id, &name)?))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no file of that name has been received for an interview in your settlements",
            )
        })?;
    Ok(serve_file(s.db.clone(), file, None))
}

/// A stored file as a download that cannot run (`attachment`, a sandboxing CSP, no
/// sniffing), streamed part by part. With an ETag (a form's file, which never changes) it
/// may be cached; an interview's file never is.
pub(super) fn serve_file(
    db: std::sync::Arc<dyn crate::storage::Store>,
    file: crate::storage::StoredFile,
    etag: Option<String>,
) -> Response {
    let sha = file.sha256.clone();
    let body = super::handlers::written_body(move |mut channel| {
        let read = db.read_file(&sha, &mut |part| channel.write_all(&part).is_ok());
        if let Err(e) = read {
            tracing::warn!(error = %e, "a file's download stopped");
        }
    });
    // An ASCII name for every browser, and the name as it is (RFC 6266's `filename*`).
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        file.name.replace(
            |c: char| c == '"' || c == '\\' || !c.is_ascii() || c.is_ascii_control(),
            "_"
        ),
        super::openrosa::urlencode(&file.name)
    );
    let mut res = Response::new(body);
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    match etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
        Some(etag) => {
            h.insert(header::ETAG, etag);
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=31536000, immutable"),
            );
        }
        None => {
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
        }
    }
    res
}

/// The most bytes a phone's export with its files may have: a zip without Zip64's
/// extensions, as the phone writes it.
pub const EXPORT_BYTES: u64 = u32::MAX as u64;

/// The largest `unsent.json` in an export's zip (about 12,000 household interviews), read
/// whole: a JSON export larger than a request may be (`MAX_BODY_BYTES`) is imported as a zip
/// holding it alone.
const UNSENT_JSON_BYTES: u64 = 64 << 20;

/// Is this request a phone's export with its files (a zip), rather than its JSON alone?
pub fn is_zip(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().starts_with("application/zip"))
}

/// Is this request a phone's export with its files (`POST /sync/import` as a zip), whose body
/// may be 4 GiB and take as long to arrive as it keeps arriving?
pub fn is_export_upload(req: &axum::extract::Request) -> bool {
    req.uri().path() == "/api/v1/sync/import" && is_zip(req.headers())
}

/// Writes a request body of at most `limit` bytes to a temporary file (deleted when dropped);
/// 408 when the body stops arriving for `idle`, however long it has been arriving.
pub async fn spool_body(
    body: Body,
    limit: u64,
    idle: std::time::Duration,
) -> Result<std::fs::File, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than {limit} bytes"),
        )
    };
    use tokio::io::AsyncWriteExt as _;
    let file = tokio::task::spawn_blocking(tempfile::tempfile)
        .await?
        .map_err(ApiError::internal)?;
    let mut out = tokio::io::BufWriter::with_capacity(PART_BYTES, tokio::fs::File::from_std(file));
    let mut stream = body.into_data_stream();
    let mut size = 0u64;
    let stalled = || {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "the body stopped arriving for {} s: send it again",
                idle.as_secs()
            ),
        )
    };
    while let Some(chunk) = tokio::time::timeout(idle, stream.next())
        .await
        .map_err(|_| stalled())?
    {
        let chunk = chunk.map_err(|e| ApiError::malformed(format!("the body was cut off: {e}")))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(too_large());
        }
        out.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    out.flush().await.map_err(ApiError::internal)?;
    Ok(out.into_inner().into_std().await)
}

/// A phone's export with its files: `unsent.json` (the push request the phone would have
/// sent) and `files/<sha256>` for each file it kept, every one checked against its name
/// before anything is imported.
pub struct Export {
    pub request: baraza_schema::wire::PushRequest,
    zip: zip::ZipArchive<std::fs::File>,
    /// The files' entries, by index, with their sha256.
    files: Vec<(usize, String)>,
}

impl Export {
    pub fn open(file: std::fs::File, limits: &AttachmentLimits) -> Result<Export, ApiError> {
        use sha2::Digest as _;
        use std::io::Read as _;
        let refused =
            |m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_export", m);
        let mut zip = zip::ZipArchive::new(file)
            .map_err(|e| refused(format!("the file is not a zip that can be read: {e}")))?;
        let mut request = None;
        let mut files = Vec::new();
        for i in 0..zip.len() {
            let mut entry = zip
                .by_index(i)
                .map_err(|e| refused(format!("entry {} cannot be read: {e}", i + 1)))?;
            let name = entry
                .name()
                .map_err(|e| refused(format!("entry {} has no name that can be read: {e}", i + 1)))?
                .into_owned();
            if entry.is_dir() {
                continue;
            }
            let unreadable = |e: std::io::Error| refused(format!("{name} cannot be read: {e}"));
            if name == "unsent.json" {
                let limit = UNSENT_JSON_BYTES;
                let mut text = String::new();
                (&mut entry)
                    .take(limit + 1)
                    .read_to_string(&mut text)
                    .map_err(unreadable)?;
                if text.len() as u64 > limit {
                    return Err(refused(format!(
                        "unsent.json is larger than {limit} bytes, the most an import reads"
                    )));
                }
                request = Some(serde_json::from_str(&text).map_err(|e| {
                    ApiError::malformed(format!("unsent.json is not a device's export: {e}"))
                })?);
            } else if let Some(sha) = name.strip_prefix("files/").filter(|s| valid_sha256(s)) {
                let mut hash = sha2::Sha256::new();
                let mut size = 0u64;
                let mut part = vec![0u8; 64 << 10];
                let mut bytes = (&mut entry).take(limits.file_bytes + 1);
                loop {
                    let n = bytes.read(&mut part).map_err(unreadable)?;
                    if n == 0 {
                        break;
                    }
                    hash.update(&part[..n]);
                    size += n as u64;
                }
                if size > limits.file_bytes {
                    return Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        format!(
                            "{name} is larger than {} bytes, the most this server takes a file; nothing was imported",
                            limits.file_bytes
                        ),
                    ));
                }
                let got = baraza_schema::hex(&hash.finalize());
                if got != sha {
                    return Err(refused(format!(
                        "{name} is not the file its name says (its bytes' sha256 is {got}); nothing was imported"
                    )));
                }
                files.push((i, sha.to_owned()));
            } else {
                return Err(refused(format!(
                    "the export holds {name:?}, which is neither unsent.json nor files/<sha256>; nothing was imported"
                )));
            }
        }
        let request = request.ok_or_else(|| refused("the zip holds no unsent.json".into()))?;
        Ok(Export {
            request,
            zip,
            files,
        })
    }

    /// Keeps the files the stored revisions name (after the import); the others are not
    /// this server's to keep.
    pub fn keep_files(mut self, db: &dyn crate::storage::Store) -> Result<(), ApiError> {
        for (i, sha) in &self.files {
            let mut entry = self.zip.by_index(*i).map_err(ApiError::internal)?;
            db.keep(sha, &mut entry)?;
        }
        Ok(())
    }
}
