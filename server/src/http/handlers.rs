//! Route handlers. Each is annotated with its OpenAPI description; `router` registers them
//! through `utoipa_axum::routes!`, so a route cannot be served without being documented.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use baraza_schema::Date;
use baraza_schema::api::{
    Audit, AuditQuery, BackupFile, Backups, CodeBody, CorrectionBody, Cursor, DeviceBody, Devices,
    DismissBody, Enrollment, EnrollmentCode, EnrollmentCodeRequest, ErrorBody, ExportQuery,
    Fieldwork, FormCheck, Forms, Health, Imported, LangQuery, LoginBody, LoginResponse, NewUser,
    Page, PasswordChange, PasswordReset, Progress, PublishedForm, PullResponse, Quarantine,
    QuarantinedItem, ReleaseBody, Report, ReportList, ReportMeta, ReportQuery, ReportSettings,
    ResolveBody, ResponseDetail, ResponseFilter, ResponseSummary, Responses, ReviewBody, Role,
    RoleBody, SessionsEnded, Settlement, SettlementList, Settlements, StateBody, SyncStatus, User,
    Users,
};
use baraza_schema::wire::{PushRequest, PushResponse};
use serde_json::json;

use super::auth::{DeviceAuth, FormReader, Session};
use super::error::{ApiError, Json, Path, Query};
use super::openapi::FormDefinition;
use super::{AppState, blocking};
use crate::storage::LoginError;
use crate::workbook::FormUpload;

type St = State<Arc<AppState>>;

/// The date `today()` means when the server checks answers: its own, one day ahead, so that
/// a device in a later time zone is never refused for an interview dated "today".
pub(super) fn server_today() -> Date {
    Date::from_days(crate::storage::today().days() + 1)
}

#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

/// Where the web client would be when this server was started without it.
pub async fn client_missing(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return not_found().await.into_response();
    }
    (
        StatusCode::NOT_FOUND,
        "The web client is not built next to this server. Start Baraza with `./dev run`, \
         which builds it, or pass `--client <dir>` to `baraza serve`.\n",
    )
        .into_response()
}

#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginBody, responses(
    (status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody, description = "throttled; see Retry-After")))]
pub async fn login(
    State(s): St,
    peer: Option<axum::extract::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: axum::http::HeaderMap,
    Json(b): Json<LoginBody>,
) -> Result<Json<LoginResponse>, ApiError> {
    let address = client_address(&s, peer.map(|p| p.0.0), &headers);
    let now = std::time::Instant::now();
    if let Some(retry_after_secs) = s.login_throttle.wait(&address, now) {
        return Err(LoginError::Throttled { retry_after_secs }.into());
    }
    // At most one password check per core at once; the rest wait (within the request's
    // deadline) rather than each holding Argon2's memory.
    let _slot = s
        .login_slots
        .acquire()
        .await
        .map_err(|_| ApiError::internal("the sign-in slots are closed"))?;
    let at = address.clone();
    let signed_in = blocking(&s, move |db| Ok(db.login(&b.username, &at, &b.password))).await?;
    if matches!(signed_in, Err(LoginError::BadCredentials)) {
        s.login_throttle.failed(&address, now);
    }
    let (token, caller, expires_at) = signed_in?;
    Ok(Json(LoginResponse {
        token,
        role: caller.role,
        expires_at,
        must_change_password: caller.must_change_password,
    }))
}

/// The address a sign-in comes from: the connection's peer, or behind a trusted reverse proxy
/// on this machine the last address it appended to `X-Forwarded-For`.
pub(super) fn client_address(
    s: &AppState,
    peer: Option<std::net::SocketAddr>,
    headers: &axum::http::HeaderMap,
) -> String {
    let forwarded = || {
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
            .next_back()
    };
    match peer {
        Some(p) if s.trust_forwarded_for && p.ip().is_loopback() => {
            forwarded().unwrap_or(p.ip()).to_string()
        }
        Some(p) => p.ip().to_string(),
        None => "unknown".into(),
    }
}

/// Any signed-in user changes their own password (the one way forward after an admin reset
/// it). Every other session of theirs ends.
#[utoipa::path(put, path = "/auth/password", tag = "auth", security(("session" = [])), request_body = PasswordChange,
    responses((status = 204), (status = 403, body = ErrorBody, description = "the current password is wrong"), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(s): St,
    session: Session,
    Json(b): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let (user, token) = (session.caller.user_id, session.token);
    blocking(&s, move |db| {
        Ok(db.change_password(user, &token, &b.current_password, &b.new_password)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("session" = [])), responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(s): St, session: Session) -> Result<StatusCode, ApiError> {
    blocking(&s, move |db| {
        Ok(db.logout(&session.token, session.caller.user_id)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every account for an admin; for a supervisor, the enabled enumerators (whom they enroll
/// phones for), nobody else.
#[utoipa::path(get, path = "/users", tag = "users", security(("session" = [])), responses((status = 200, body = Users), (status = 403, body = ErrorBody)))]
pub async fn list_users(State(s): St, session: Session) -> Result<Json<Users>, ApiError> {
    let caller = session.require(&[Role::Admin, Role::Supervisor])?.role;
    let mut users = blocking(&s, |db| Ok(db.users()?)).await?;
    if caller == Role::Supervisor {
        users.retain(|u| u.role == Role::Enumerator && !u.disabled);
    }
    Ok(Json(Users { users }))
}

#[utoipa::path(post, path = "/users", tag = "users", security(("session" = [])), request_body = NewUser, responses(
    (status = 201, body = User), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(s): St,
    session: Session,
    Json(b): Json<NewUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    let user = blocking(&s, move |db| {
        Ok(db.create_user(&b.username, b.role, &b.password, Some(by))?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Sets a password the user must change at the next sign-in; their sessions end now.
#[utoipa::path(post, path = "/users/{id}/password", tag = "users", security(("session" = [])), params(("id" = i64, Path)), request_body = PasswordReset,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reset_password(
    State(s): St,
    session: Session,
    Path(id): Path<i64>,
    Json(b): Json<PasswordReset>,
) -> Result<StatusCode, ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    blocking(&s, move |db| {
        Ok(db.reset_password(id, &b.password, Some(by))?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disables an account: it cannot sign in and its sessions end at once. Its devices keep
/// syncing until revoked. The last enabled admin cannot be disabled (409).
#[utoipa::path(post, path = "/users/{id}/disable", tag = "users", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn disable_user(
    State(s): St,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Json<User>, ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    Ok(Json(
        blocking(&s, move |db| Ok(db.set_disabled(id, true, Some(by))?)).await?,
    ))
}

#[utoipa::path(post, path = "/users/{id}/enable", tag = "users", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
pub async fn enable_user(
    State(s): St,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Json<User>, ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    Ok(Json(
        blocking(&s, move |db| Ok(db.set_disabled(id, false, Some(by))?)).await?,
    ))
}

/// Changes a role, in force for the user's open sessions at once. The last enabled admin
/// keeps theirs (409).
#[utoipa::path(put, path = "/users/{id}/role", tag = "users", security(("session" = [])), params(("id" = i64, Path)), request_body = RoleBody,
    responses((status = 200, body = User), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_role(
    State(s): St,
    session: Session,
    Path(id): Path<i64>,
    Json(b): Json<RoleBody>,
) -> Result<Json<User>, ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    Ok(Json(
        blocking(&s, move |db| Ok(db.set_role(id, b.role, Some(by))?)).await?,
    ))
}

/// Ends every session of a user (a lost laptop, a shared computer).
#[utoipa::path(post, path = "/users/{id}/sessions/end", tag = "users", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = SessionsEnded), (status = 404, body = ErrorBody)))]
pub async fn end_sessions(
    State(s): St,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Json<SessionsEnded>, ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    let ended = blocking(&s, move |db| Ok(db.end_sessions(id, Some(by))?)).await?;
    Ok(Json(SessionsEnded { ended }))
}

#[utoipa::path(put, path = "/users/{id}/settlements", tag = "users", security(("session" = [])), params(("id" = i64, Path)), request_body = SettlementList,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign_settlements(
    State(s): St,
    session: Session,
    Path(id): Path<i64>,
    Json(b): Json<SettlementList>,
) -> Result<StatusCode, ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    blocking(&s, move |db| {
        Ok(db.assign_settlements(id, &b.settlements, Some(by))?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/settlements", tag = "settlements", security(("session" = [])), responses((status = 200, body = Settlements)))]
pub async fn list_settlements(
    State(s): St,
    _session: Session,
) -> Result<Json<Settlements>, ApiError> {
    Ok(Json(Settlements {
        settlements: blocking(&s, |db| Ok(db.settlements()?)).await?,
    }))
}

#[utoipa::path(post, path = "/settlements", tag = "settlements", security(("session" = [])), request_body = Vec<Settlement>,
    responses((status = 200, body = Imported), (status = 422, body = ErrorBody)))]
pub async fn import_settlements(
    State(s): St,
    session: Session,
    Json(list): Json<Vec<Settlement>>,
) -> Result<Json<Imported>, ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    let imported = blocking(&s, move |db| Ok(db.import_settlements(&list, Some(by))?)).await?;
    Ok(Json(Imported { imported }))
}

/// Imports the settlement frame as CSV, exactly as `baraza settlements import` reads it
/// (`code,name,type,households[,target]`); a wrong row is refused with its row number and
/// nothing is imported.
#[utoipa::path(post, path = "/settlements/import", tag = "settlements", security(("session" = [])), request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = Imported), (status = 422, body = ErrorBody, description = "a row is wrong; nothing is imported")))]
pub async fn import_settlements_csv(
    State(s): St,
    session: Session,
    body: Bytes,
) -> Result<Json<Imported>, ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    let invalid = |m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_csv", m);
    let text =
        std::str::from_utf8(&body).map_err(|_| invalid("the file is not UTF-8 text".into()))?;
    let list = crate::admin::parse_settlements(text).map_err(invalid)?;
    let imported = blocking(&s, move |db| Ok(db.import_settlements(&list, Some(by))?)).await?;
    Ok(Json(Imported { imported }))
}

/// The backup folder, its files and the last backup.
#[utoipa::path(get, path = "/backups", tag = "backups", security(("session" = [])), responses((status = 200, body = Backups), (status = 403, body = ErrorBody)))]
pub async fn list_backups(State(s): St, session: Session) -> Result<Json<Backups>, ApiError> {
    session.require(&[Role::Admin])?;
    let dir = s.backup_dir.clone();
    let (last, failure) = blocking(&s, |db| {
        let newest = |action: &str| -> Result<Option<baraza_schema::api::AuditEntry>, ApiError> {
            let q = AuditQuery {
                action: Some(action.into()),
                ..AuditQuery::default()
            };
            Ok(db.audit_log(&q, 1)?.into_iter().next())
        };
        Ok((newest("server.backup")?, newest("server.failed_backup")?))
    })
    .await?;
    // A failure matters until a backup succeeds after it.
    let last_failure = failure.filter(|f| last.as_ref().is_none_or(|l| l.id < f.id));
    Ok(Json(Backups {
        folder: dir.as_ref().map(|d| d.display().to_string()),
        files: dir
            .as_deref()
            .map(crate::admin::backup_files)
            .unwrap_or_default(),
        last,
        last_failure,
    }))
}

/// Takes a backup now into the backup folder: a consistent copy while serving, checked and
/// synced before devices may release what it holds.
#[utoipa::path(post, path = "/backups", tag = "backups", security(("session" = [])),
    responses((status = 201, body = BackupFile), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody, description = "this server has no backup folder")))]
pub async fn take_backup(
    State(s): St,
    session: Session,
) -> Result<(StatusCode, Json<BackupFile>), ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    let Some(dir) = s.backup_dir.clone() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "this server has no backup folder",
        ));
    };
    let file = blocking(&s, move |db| Ok(crate::backups::take(db, &dir, Some(by))?)).await?;
    Ok((StatusCode::CREATED, Json(file)))
}

const FORM_READERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::Enumerator];

#[utoipa::path(get, path = "/forms", tag = "forms", security(("session" = [])), responses((status = 200, body = Forms, description = "the manifest")))]
pub async fn list_forms(State(s): St, session: Session) -> Result<Json<Forms>, ApiError> {
    session.require(FORM_READERS)?;
    Ok(Json(Forms {
        forms: blocking(&s, |db| Ok(db.forms()?)).await?,
    }))
}

/// A form as uploaded: a workbook or a `.zip` of it and its files as the body, or a
/// `multipart/form-data` of the workbook and its files chosen together (what the console
/// sends).
async fn form_upload(req: axum::extract::Request) -> Result<FormUpload, ApiError> {
    use axum::extract::FromRequest;
    let bad = |e: &dyn std::fmt::Display| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_form",
            e.to_string(),
        )
    };
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let body = Bytes::from_request(req, &()).await.map_err(|e| bad(&e))?;
        return tokio::task::spawn_blocking(move || crate::workbook::read_upload(&body, "form"))
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| bad(&e));
    }
    let mut parts = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|e| bad(&e))?;
    let mut entries = Vec::new();
    while let Some(part) = parts.next_field().await.map_err(|e| bad(&e))? {
        let Some(name) = part
            .file_name()
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned())
        else {
            continue;
        };
        let bytes = part.bytes().await.map_err(|e| bad(&e))?;
        entries.push((name, bytes.to_vec()));
    }
    tokio::task::spawn_blocking(move || crate::workbook::read_files(entries, "form"))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| bad(&e))
}

/// Imports an upload; one with errors is refused (422) with every located diagnostic, as
/// `baraza form check` prints them — and, to publish, one that uses a file it does not
/// carry. CPU work: callers run it on a blocking thread, off the async runtime.
fn import_upload(upload: &FormUpload, publish: bool) -> Result<baraza_schema::Import, ApiError> {
    let mut import = upload.import().map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_form",
            e.to_string(),
        )
    })?;
    if publish {
        import.refuse_missing_files();
    }
    if import.has_errors() {
        let lines: Vec<String> = import.errors().map(ToString::to_string).collect();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_form",
            format!("the workbook has {} error(s)", lines.len()),
        )
        .with_details(json!({"diagnostics": import.diagnostics, "lines": lines})));
    }
    Ok(import)
}

/// Publishes an uploaded workbook (`.xlsx`, `.xls`, `.ods`), or a `.zip` of it and the files
/// it uses (CSV or XML choice lists, `pulldata()` sources, media), or the same chosen
/// together as `multipart/form-data`. A workbook with errors is refused with every located
/// diagnostic.
#[utoipa::path(post, path = "/forms", tag = "forms", security(("session" = [])), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = PublishedForm), (status = 200, body = PublishedForm, description = "already published"),
              (status = 409, body = ErrorBody, description = "that version exists with other content"), (status = 422, body = ErrorBody)))]
pub async fn publish_form(
    State(s): St,
    session: Session,
    req: axum::extract::Request,
) -> Result<(StatusCode, Json<PublishedForm>), ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    let upload = form_upload(req).await?;
    let (form, upload) =
        tokio::task::spawn_blocking(move || import_upload(&upload, true).map(|i| (i.form, upload)))
            .await??;
    let (entry, created) = blocking(&s, move |db| {
        Ok(db.publish_form(&form, &upload.files, Some(by))?)
    })
    .await?;
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(entry),
    ))
}

/// Checks an upload without publishing it (as `POST /forms` takes it): the form it makes (to
/// preview in the form screen) and its warnings; errors are refused as by `POST /forms`.
#[utoipa::path(post, path = "/forms/check", tag = "forms", security(("session" = [])), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = FormCheck), (status = 422, body = ErrorBody)))]
pub async fn check_form(
    session: Session,
    req: axum::extract::Request,
) -> Result<Json<FormCheck>, ApiError> {
    session.require(&[Role::Admin])?;
    let upload = form_upload(req).await?;
    let import = tokio::task::spawn_blocking(move || import_upload(&upload, false)).await??;
    Ok(Json(FormCheck {
        form: serde_json::to_value(&import.form).map_err(ApiError::internal)?,
        diagnostics: serde_json::to_value(&import.diagnostics).map_err(ApiError::internal)?,
    }))
}

/// One file a form version carries (a choice list's CSV, an image in a label), for a
/// signed-in user or an enrolled device: immutable, so its ETag is its sha256. Served as a
/// download that cannot run, as answers' files are.
#[utoipa::path(get, path = "/forms/{form_id}/{version}/files/{name}", tag = "forms", security(("session" = []), ("device" = [])), params(("form_id" = String, Path), ("version" = String, Path), ("name" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 304), (status = 404, body = ErrorBody)))]
pub async fn form_file(
    State(s): St,
    reader: FormReader,
    Path((form_id, version, name)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let FormReader::User(session) = &reader {
        session.require(FORM_READERS)?;
    }
    let db = s.db.clone();
    let (id, v, n) = (form_id.clone(), version.clone(), name.clone());
    let file = blocking(&s, move |db| Ok(db.form_file(&id, &v, &n)?))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("form {form_id} version {version} carries no file {name:?}"),
            )
        })?;
    let etag = format!("\"{}\"", file.sha256);
    if unchanged(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    Ok(super::attachments::serve_file(db, file, Some(etag)))
}

/// Whether the caller already holds this version (`If-None-Match` names its ETag).
fn unchanged(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag)
}

/// One definition, for a signed-in user or an enrolled device; immutable, so its ETag is its
/// sha256 and a matching `If-None-Match` gets 304.
#[utoipa::path(get, path = "/forms/{form_id}/{version}", tag = "forms", security(("session" = []), ("device" = [])), params(("form_id" = String, Path, example = "baraza_f1_household"), ("version" = String, Path, example = "2026120301")),
    responses((status = 200, body = FormDefinition), (status = 304), (status = 404, body = ErrorBody)))]
pub async fn form_definition(
    State(s): St,
    reader: FormReader,
    Path((form_id, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let FormReader::User(session) = &reader {
        session.require(FORM_READERS)?;
    }
    let (entry, definition) =
        blocking(&s, move |db| Ok(db.form_definition(&form_id, &version)?)).await?;
    let etag = format!("\"{}\"", entry.sha256);
    if unchanged(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    Ok((
        [
            (header::ETAG, etag),
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".to_owned(),
            ),
        ],
        definition,
    )
        .into_response())
}

#[utoipa::path(post, path = "/forms/{form_id}/{version}/state", tag = "forms", security(("session" = [])), params(("form_id" = String, Path, example = "baraza_f1_household"), ("version" = String, Path, example = "2026120301")),
    request_body = StateBody, responses((status = 200, body = PublishedForm), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_form_state(
    State(s): St,
    session: Session,
    Path((form_id, version)): Path<(String, String)>,
    Json(b): Json<StateBody>,
) -> Result<Json<PublishedForm>, ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    Ok(Json(
        blocking(&s, move |db| {
            Ok(db.set_form_state(&form_id, &version, b.state, Some(by))?)
        })
        .await?,
    ))
}

/// Enrolls a phone for the signed-in user. A phone this server no longer knows (restored from
/// a backup older than its enrollment) sends its id and first held sequence number to take
/// its own id again (`Rejoin`).
#[utoipa::path(post, path = "/devices", tag = "devices", security(("session" = [])), request_body(content = Option<DeviceBody>),
    responses((status = 201, body = Enrollment), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the phone to rejoin is another user's, revoked, or an ODK Collect's"),
        (status = 422, body = ErrorBody, description = "not a device id, or only one of the two fields")))]
pub async fn enroll_device(
    State(s): St,
    session: Session,
    body: Option<Json<DeviceBody>>,
) -> Result<(StatusCode, Json<Enrollment>), ApiError> {
    let user = session.require(&[Role::Enumerator, Role::Admin])?.user_id;
    let rejoin = body
        .map(|Json(b)| b)
        .unwrap_or_default()
        .rejoin()
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m))?;
    let enrollment = blocking(&s, move |db| Ok(db.enroll_device(user, rejoin.as_ref())?)).await?;
    Ok((StatusCode::CREATED, Json(enrollment)))
}

/// A one-time code (and its QR code, drawn by the console) that enrolls one phone for an
/// enumerator within 15 minutes, without the enumerator's password.
#[utoipa::path(post, path = "/enrollment-codes", tag = "devices", security(("session" = [])), request_body = EnrollmentCodeRequest,
    responses((status = 201, body = EnrollmentCode), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody, description = "not an enabled enumerator")))]
pub async fn create_enrollment_code(
    State(s): St,
    session: Session,
    Json(b): Json<EnrollmentCodeRequest>,
) -> Result<(StatusCode, Json<EnrollmentCode>), ApiError> {
    let by = session.require(&[Role::Admin, Role::Supervisor])?.user_id;
    let code = blocking(&s, move |db| {
        Ok(db.create_enrollment_code(b.user_id, Some(by))?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(code)))
}

/// A phone enrolls with a one-time code instead of a password; the code is used up. A wrong
/// code counts as a failed sign-in from the address (the same progressive delay), so codes
/// cannot be guessed at speed.
#[utoipa::path(post, path = "/devices/enroll", tag = "devices", request_body = CodeBody,
    responses((status = 201, body = Enrollment), (status = 401, body = ErrorBody, description = "the code is wrong, used or expired"),
        (status = 429, body = ErrorBody, description = "throttled; see Retry-After")))]
pub async fn enroll_with_code(
    State(s): St,
    peer: Option<axum::extract::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: axum::http::HeaderMap,
    Json(b): Json<CodeBody>,
) -> Result<(StatusCode, Json<Enrollment>), ApiError> {
    let address = client_address(&s, peer.map(|p| p.0.0), &headers);
    let now = std::time::Instant::now();
    if let Some(retry_after_secs) = s.login_throttle.wait(&address, now) {
        return Err(LoginError::Throttled { retry_after_secs }.into());
    }
    match blocking(&s, move |db| {
        Ok(db.enroll_with_code(&b.code, b.rejoin.as_ref())?)
    })
    .await?
    {
        Some(enrollment) => Ok((StatusCode::CREATED, Json(enrollment))),
        None => {
            s.login_throttle.failed(&address, now);
            Err(ApiError::unauthorized(
                "the enrollment code is wrong, already used or expired; ask your supervisor for a new one",
            ))
        }
    }
}

#[utoipa::path(get, path = "/devices", tag = "devices", security(("session" = [])), responses((status = 200, body = Devices), (status = 403, body = ErrorBody)))]
pub async fn list_devices(State(s): St, session: Session) -> Result<Json<Devices>, ApiError> {
    let caller = session.require(&[Role::Admin, Role::Supervisor])?.clone();
    Ok(Json(Devices {
        devices: blocking(&s, move |db| Ok(db.devices(&caller)?)).await?,
    }))
}

#[utoipa::path(post, path = "/devices/{id}/revoke", tag = "devices", security(("session" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_device(
    State(s): St,
    session: Session,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let caller = session.require(&[Role::Admin, Role::Supervisor])?.clone();
    blocking(&s, move |db| Ok(db.revoke_device(&caller, &id)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a batch of finalized revisions. The answer comes only after the batch committed;
/// every item gets a status, and `acked_through_seq` says what the device may release.
#[utoipa::path(post, path = "/sync/push", tag = "sync", security(("device" = [])), request_body = PushRequest, responses(
    (status = 200, body = PushResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody, description = "device revoked, or the batch names another device"), (status = 413, body = ErrorBody),
    (status = 422, body = ErrorBody, description = "a device_seq beyond 2^63 - 1")))]
pub async fn push(
    State(s): St,
    DeviceAuth(device): DeviceAuth,
    Json(req): Json<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    if req.device_id != device.id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "device_mismatch",
            "the batch names another device than the credential",
        ));
    }
    check_sequence(&req)?;
    let today = server_today();
    let _slot = s.push_slots.acquire().await.map_err(ApiError::internal)?;
    Ok(Json(
        blocking(&s, move |db| {
            let reply = db.push(&device, &req, today)?;
            super::crash_point_after_commit();
            Ok(reply)
        })
        .await?,
    ))
}

/// A batch that breaks its own sequence rule is refused whole (`wire::check_batch`).
fn check_sequence(req: &PushRequest) -> Result<(), ApiError> {
    baraza_schema::wire::check_batch(req).map_err(ApiError::malformed)
}

/// Imports the file a device saved with "Export the responses on this phone" (a push request, as the
/// device would have sent it). It goes through the same path as a push, so importing a file
/// twice, or importing what the device also sends later, stores everything once. A revoked
/// device's file is accepted: that is what the export is for. So is the file of a phone this
/// server no longer knows (restored from a backup older than its enrollment) when it names
/// the phone's user: the device is made again, without a credential until the phone rejoins.
#[utoipa::path(post, path = "/sync/import", tag = "sync", security(("session" = [])),
    request_body(content((PushRequest = "application/json"), (Vec<u8> = "application/zip")),
        description = "the phone's export: its JSON, or a zip of `unsent.json` and `files/<sha256>` for each file it kept"),
    responses(
    (status = 200, body = PushResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody, description = "no such device, and the file names no user"), (status = 413, body = ErrorBody),
    (status = 422, body = ErrorBody, description = "a device_seq beyond 2^63 - 1, or a zip whose file is not what its name says (nothing imported)")))]
pub async fn import_export(
    State(s): St,
    session: Session,
    request: axum::extract::Request,
) -> Result<Json<PushResponse>, ApiError> {
    use super::attachments::{EXPORT_BYTES, Export, is_zip, spool_body};
    use axum::extract::FromRequest as _;
    let by = session.require(REVIEWERS)?.user_id;
    let today = server_today();
    if !is_zip(request.headers()) {
        let Json(req) = Json::<PushRequest>::from_request(request, &()).await?;
        check_sequence(&req)?;
        return Ok(Json(
            blocking(&s, move |db| {
                let device = db.device_for_import(&req)?;
                Ok(db.import(by, &device, &req, today)?)
            })
            .await?,
        ));
    }
    // The export with its files: every file checked against its name before anything is
    // imported, then the interviews, then the files they name.
    // However long it takes to arrive, as long as it keeps arriving (`time_limit`).
    let file = spool_body(request.into_body(), EXPORT_BYTES, s.request_timeout).await?;
    let limits = s.attachment_limits;
    Ok(Json(
        blocking(&s, move |db| {
            let export = Export::open(file, &limits)?;
            check_sequence(&export.request)?;
            let device = db.device_for_import(&export.request)?;
            let answer = db.import(by, &device, &export.request, today)?;
            export.keep_files(db)?;
            Ok(answer)
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/sync/status", tag = "sync", security(("device" = [])), responses((status = 200, body = SyncStatus), (status = 401, body = ErrorBody)))]
pub async fn sync_status(
    State(s): St,
    DeviceAuth(device): DeviceAuth,
) -> Result<Json<SyncStatus>, ApiError> {
    Ok(Json(
        blocking(&s, move |db| Ok(db.sync_status(&device)?)).await?,
    ))
}

#[utoipa::path(get, path = "/sync/pull", tag = "sync", security(("device" = [])), params(Cursor), responses((status = 200, body = PullResponse), (status = 401, body = ErrorBody)))]
pub async fn pull(
    State(s): St,
    DeviceAuth(device): DeviceAuth,
    Query(c): Query<Cursor>,
) -> Result<Json<PullResponse>, ApiError> {
    Ok(Json(
        blocking(&s, move |db| Ok(db.pull(&device, c.cursor)?)).await?,
    ))
}

pub(super) const REVIEWERS: &[Role] = &[Role::Admin, Role::Supervisor];

/// A list's `limit`: 100 when not given, else 1 to 1000.
fn page_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit.unwrap_or(100) {
        l @ 1..=1000 => Ok(l),
        _ => Err(ApiError::malformed("limit must be between 1 and 1000")),
    }
}

/// The fieldwork's progress in the caller's settlements: household interviews by review
/// state against each settlement's target, per enumerator and day with the median length,
/// the devices, and the flags a supervisor acts on.
#[utoipa::path(get, path = "/progress", tag = "review", security(("session" = [])), responses((status = 200, body = Progress), (status = 403, body = ErrorBody)))]
pub async fn progress(State(s): St, session: Session) -> Result<Json<Progress>, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    Ok(Json(
        blocking(&s, move |db| Ok(db.progress(&caller)?)).await?,
    ))
}

#[utoipa::path(get, path = "/responses", tag = "review", security(("session" = [])), params(ResponseFilter), responses((status = 200, body = Responses), (status = 403, body = ErrorBody)))]
pub async fn list_responses(
    State(s): St,
    session: Session,
    Query(filter): Query<ResponseFilter>,
) -> Result<Json<Responses>, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    page_limit(filter.limit)?;
    if filter.offset.is_some_and(|o| o > 10_000_000) {
        return Err(ApiError::malformed("offset must be at most 10,000,000"));
    }
    Ok(Json(Responses {
        responses: blocking(&s, move |db| Ok(db.list_responses(&caller, &filter)?)).await?,
    }))
}

#[utoipa::path(get, path = "/responses/{id}", tag = "review", security(("session" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ResponseDetail), (status = 404, body = ErrorBody)))]
pub async fn get_response(
    State(s): St,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<ResponseDetail>, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    Ok(Json(
        blocking(&s, move |db| Ok(db.response(&caller, &id)?)).await?,
    ))
}

#[utoipa::path(post, path = "/responses/{id}/review", tag = "review", security(("session" = [])), params(("id" = String, Path)), request_body = ReviewBody,
    responses((status = 200, body = ResponseSummary), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review_response(
    State(s): St,
    session: Session,
    Path(id): Path<String>,
    Json(b): Json<ReviewBody>,
) -> Result<Json<ResponseSummary>, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    Ok(Json(
        blocking(&s, move |db| {
            Ok(db.set_review_state(&caller, &id, b.state, &b.comment)?)
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/responses/{id}/corrections", tag = "review", security(("session" = [])), params(("id" = String, Path)), request_body = CorrectionBody,
    responses((status = 404, body = ErrorBody, description = "no such response"), (status = 200, body = ResponseSummary), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody, description = "the answers break the form's rules")))]
pub async fn correct_response(
    State(s): St,
    session: Session,
    Path(id): Path<String>,
    Json(b): Json<CorrectionBody>,
) -> Result<Json<ResponseSummary>, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    let payload = serde_json::to_string(&b.answers).map_err(ApiError::internal)?;
    let today = server_today();
    match blocking(&s, move |db| {
        Ok(db.correct_response(&caller, &id, &b.base_rev, &payload, today)?)
    })
    .await?
    {
        Ok(summary) => Ok(Json(summary)),
        Err(issues) => Err(invalid_answers(
            issues,
            "the corrected answers break the form's rules",
        )),
    }
}

/// 422 with each broken rule of the form.
fn invalid_answers(issues: Vec<baraza_schema::Issue>, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_answers", message)
        .with_details(json!({"issues": issues}))
}

#[utoipa::path(post, path = "/responses/{id}/resolve", tag = "review", security(("session" = [])), params(("id" = String, Path)), request_body = ResolveBody,
    responses((status = 200, body = ResponseSummary), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody, description = "the merged answers break the form's rules")))]
pub async fn resolve_conflict(
    State(s): St,
    session: Session,
    Path(id): Path<String>,
    Json(b): Json<ResolveBody>,
) -> Result<Json<ResponseSummary>, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    let merged = match &b.answers {
        Some(a) => Some(serde_json::to_string(a).map_err(ApiError::internal)?),
        None => None,
    };
    let today = server_today();
    match blocking(&s, move |db| {
        Ok(db.resolve_conflict(&caller, &id, &b.rev, merged.as_deref(), today)?)
    })
    .await?
    {
        Ok(summary) => Ok(Json(summary)),
        Err(issues) => Err(invalid_answers(
            issues,
            "the merged answers break the form's rules",
        )),
    }
}

/// What the server kept but could not accept, with the reason, for a supervisor to act on.
#[utoipa::path(get, path = "/quarantine", tag = "review", security(("session" = [])), params(Page), responses((status = 200, body = Quarantine), (status = 403, body = ErrorBody)))]
pub async fn list_quarantine(
    State(s): St,
    session: Session,
    Query(p): Query<Page>,
) -> Result<Json<Quarantine>, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    let limit = page_limit(p.limit)?;
    Ok(Json(Quarantine {
        items: blocking(&s, move |db| Ok(db.quarantined(&caller, limit, p.after)?)).await?,
    }))
}

/// Dismisses a quarantined item with a reason; it is kept, with the reason, and audited.
#[utoipa::path(post, path = "/quarantine/{id}/dismiss", tag = "review", security(("session" = [])), params(("id" = i64, Path)), request_body = DismissBody,
    responses((status = 200, body = QuarantinedItem), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "already dismissed"), (status = 422, body = ErrorBody, description = "no reason given")))]
pub async fn dismiss_quarantined(
    State(s): St,
    session: Session,
    Path(id): Path<i64>,
    Json(b): Json<DismissBody>,
) -> Result<Json<QuarantinedItem>, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    Ok(Json(
        blocking(&s, move |db| {
            Ok(db.dismiss_quarantined(&caller, id, &b.reason)?)
        })
        .await?,
    ))
}

/// Releases a quarantined item as a valid revision: the answers, fixed, must pass its form's
/// rules (422 with the broken ones); the item is kept and names the revision.
#[utoipa::path(post, path = "/quarantine/{id}/release", tag = "review", security(("session" = [])), params(("id" = i64, Path)), request_body = ReleaseBody,
    responses((status = 200, body = QuarantinedItem), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "already resolved"),
              (status = 422, body = ErrorBody, description = "the answers break the form's rules, or the item names no published form")))]
pub async fn release_quarantined(
    State(s): St,
    session: Session,
    Path(id): Path<i64>,
    Json(b): Json<ReleaseBody>,
) -> Result<Json<QuarantinedItem>, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    let answers = serde_json::to_string(&b.answers).map_err(ApiError::internal)?;
    let today = server_today();
    match blocking(&s, move |db| {
        Ok(db.release_quarantined(&caller, id, &answers, today)?)
    })
    .await?
    {
        Ok(item) => Ok(Json(item)),
        Err(issues) => Err(invalid_answers(
            issues,
            "the fixed answers break the form's rules",
        )),
    }
}

#[utoipa::path(get, path = "/audit", tag = "audit", security(("session" = [])), params(AuditQuery), responses((status = 200, body = Audit), (status = 403, body = ErrorBody)))]
pub async fn audit_log(
    State(s): St,
    session: Session,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Audit>, ApiError> {
    session.require(&[Role::Admin])?;
    let limit = page_limit(q.limit)?;
    Ok(Json(Audit {
        entries: blocking(&s, move |db| Ok(db.audit_log(&q, limit)?)).await?,
    }))
}

const REPORT_READERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::Planner];

#[utoipa::path(get, path = "/reports", tag = "reports", security(("session" = [])), params(LangQuery),
    responses((status = 200, body = ReportList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_reports(
    session: Session,
    Query(q): Query<LangQuery>,
) -> Result<Json<ReportList>, ApiError> {
    session.require(REPORT_READERS)?;
    let lang = baraza_schema::reports::labels::language(q.lang.as_deref())
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m))?;
    let reports = baraza_schema::reports::REPORTS
        .iter()
        .map(|r| ReportMeta::in_language(r, lang))
        .collect();
    Ok(Json(ReportList { reports }))
}

/// One report as JSON, or as CSV when the id ends in `.csv` (`/reports/R1.csv`). Disclosure
/// control is always applied: across every table of the report's lattice (areas, quarters,
/// disaggregations) for `quarter` filters, table by table for the month windows and form
/// versions only administrators may ask for.
#[utoipa::path(get, path = "/reports/{id}", tag = "reports", security(("session" = [])), params(("id" = String, Path, description = "R1, R4, … or R1.csv", example = "R1"), ReportQuery),
    responses((status = 200, body = Report), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_report(
    State(s): St,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let caller = session.require(REPORT_READERS)?;
    if q.off_lattice() && caller.role != Role::Admin {
        return Err(ApiError::forbidden(
            "reports are filtered by calendar quarter (quarter=2026-Q4): month windows and \
             form versions could be subtracted from each other, so only administrators have them",
        ));
    }
    let (id, csv) = match id.strip_suffix(".csv") {
        Some(base) => (base.to_owned(), true),
        None => (id, false),
    };
    let report = blocking(&s, move |db| Ok(db.report(&id, &q)?)).await?;
    if !csv {
        return Ok(Json(report).into_response());
    }
    let body = crate::export::report_csv(&report).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response())
}

/// The community report-back sheet of one settlement (`sheet::render`): a printable HTML
/// page in `?lang=` (en, fr, sw) with the settlement's figures beside the city's, under the
/// reports' disclosure control.
#[utoipa::path(get, path = "/reports/sheet/{settlement}", tag = "reports", security(("session" = [])),
    params(("settlement" = String, Path, description = "a settlement code of the frame", example = "s12"), LangQuery),
    responses((status = 200, content_type = "text/html", body = String, description = "the sheet, a page or two when printed"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report_sheet(
    State(s): St,
    session: Session,
    Path(settlement): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    session.require(REPORT_READERS)?;
    let lang = q.lang.unwrap_or_else(|| "en".into());
    let today = crate::storage::today().format("%Y-%m-%d");
    let html = blocking(&s, move |db| {
        Ok(crate::sheet::render(db, &settlement, &lang, &today)?)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

/// A channel end a blocking thread writes into; the response body reads the other.
pub(super) struct ChannelWriter(tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>);

/// A response body that `write` produces on a blocking thread and that leaves as it is
/// written, so memory stays flat (the raw export, an answer's file). Once the status is sent
/// a failure can only cut the body short: `write` logs it.
pub(super) fn written_body(write: impl FnOnce(ChannelWriter) + Send + 'static) -> axum::body::Body {
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    tokio::task::spawn_blocking(move || write(ChannelWriter(tx)));
    axum::body::Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(Bytes::copy_from_slice(bytes)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client left"))?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The raw responses of a form as a zip of CSV files (`/exports/baraza_f1_household.zip`):
/// one file for the form, one per repeat with join keys, headers as XLSForm names. Streamed as
/// it is read: memory stays flat and the first bytes leave at once. Supervisors get their
/// settlements without identifying columns (locations, names); admins get everything but
/// fields the form marks as never exported. Audited as `export.raw`.
#[utoipa::path(get, path = "/exports/{file}", tag = "review", security(("session" = [])),
    params(("file" = String, Path, description = "<form_id>.zip", example = "baraza_f1_household.zip"), ExportQuery),
    responses((status = 200, content_type = "application/zip", description = "a zip of CSV files"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export_raw(
    State(s): St,
    session: Session,
    Path(file): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    let form_id = file
        .strip_suffix(".zip")
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "exports are <form_id>.zip",
            )
        })?
        .to_owned();
    let (id, who) = (form_id.clone(), caller.clone());
    let form = blocking(&s, move |db| {
        let form = crate::export::form_to_export(db, &id)?;
        db.record_export(&who, &id)?;
        Ok(form)
    })
    .await?;
    let db = s.db.clone();
    let body = written_body(move |channel| {
        let out = std::io::BufWriter::with_capacity(64 * 1024, channel);
        match crate::export::write_zip(
            db.as_ref(),
            &caller,
            &form,
            q.settlement.as_deref(),
            q.media,
            out,
        ) {
            Ok(w) => {
                tracing::info!(form = %form.settings.form_id, responses = w.responses, rows = w.rows, files = w.files, "raw export")
            }
            // The status is already sent: the client sees a truncated zip.
            Err(e) => tracing::warn!(error = %e, "raw export stopped"),
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{form_id}.zip\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// The days the fieldwork runs (interviews held outside them are flagged on the progress
/// screen).
#[utoipa::path(get, path = "/settings/fieldwork", tag = "review", security(("session" = [])),
    responses((status = 200, body = Fieldwork), (status = 403, body = ErrorBody)))]
pub async fn get_fieldwork(State(s): St, session: Session) -> Result<Json<Fieldwork>, ApiError> {
    session.require(REVIEWERS)?;
    Ok(Json(blocking(&s, |db| Ok(db.fieldwork()?)).await?))
}

/// Sets the fieldwork's days (admins); either end may be left open.
#[utoipa::path(put, path = "/settings/fieldwork", tag = "review", security(("session" = [])), request_body = Fieldwork,
    responses((status = 200, body = Fieldwork), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_fieldwork(
    State(s): St,
    session: Session,
    Json(body): Json<serde_json::Value>,
) -> Result<Json<Fieldwork>, ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    // Both fields may be absent, so serde would also take a list (`[null, null]`): only an
    // object is a Fieldwork.
    if !body.is_object() {
        return Err(ApiError::malformed(
            "the body must be an object {\"from\": …, \"to\": …}",
        ));
    }
    let b: Fieldwork =
        serde_json::from_value(body).map_err(|e| ApiError::malformed(e.to_string()))?;
    Ok(Json(
        blocking(&s, move |db| Ok(db.set_fieldwork(&b, by)?)).await?,
    ))
}

#[utoipa::path(get, path = "/settings/reports", tag = "reports", security(("session" = [])),
    responses((status = 200, body = ReportSettings), (status = 403, body = ErrorBody)))]
pub async fn get_report_settings(
    State(s): St,
    session: Session,
) -> Result<Json<ReportSettings>, ApiError> {
    let caller = session.require(REPORT_READERS)?;
    let (states, values, bases) = blocking(&s, |db| {
        Ok((
            db.report_states()?,
            db.reference_values()?,
            db.reference_bases()?,
        ))
    })
    .await?;
    let settings = ReportSettings::new(states, values, bases);
    Ok(Json(if caller.role == Role::Admin {
        settings
    } else {
        settings.published()
    }))
}

/// Sets which review states count (admins) and rebuilds every report aggregate under the new
/// rule in one transaction, so reports never mix the old rule and the new.
#[utoipa::path(put, path = "/settings/reports", tag = "reports", security(("session" = [])), request_body = ReportSettings,
    responses((status = 200, body = ReportSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_report_settings(
    State(s): St,
    session: Session,
    Json(b): Json<ReportSettings>,
) -> Result<Json<ReportSettings>, ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    let (states, values, bases) = blocking(&s, move |db| {
        Ok((
            db.set_report_states(by, &b.counted_states)?,
            db.reference_values()?,
            db.reference_bases()?,
        ))
    })
    .await?;
    Ok(Json(ReportSettings::new(states, values, bases)))
}

/// Computes the city-wide reference values from the data (admins): the income quintiles
/// (weighted quintiles of per-capita income over the counted household interviews) and the
/// official water tariff (the median F3 water actors report), then rebuilds the reports with
/// them. Run it once the fieldwork is in; `by=q` and R6's price ratios are empty until then.
#[utoipa::path(post, path = "/settings/reports/reference-values", tag = "reports", security(("session" = [])),
    responses((status = 200, body = ReportSettings), (status = 403, body = ErrorBody)))]
pub async fn refresh_reference_values(
    State(s): St,
    session: Session,
) -> Result<Json<ReportSettings>, ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    let (states, values, bases) = blocking(&s, move |db| {
        let values = db.refresh_reference_values(Some(by))?;
        Ok((db.report_states()?, values, db.reference_bases()?))
    })
    .await?;
    Ok(Json(ReportSettings::new(states, values, bases)))
}
