use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use baraza_schema::Date;
use baraza_schema::wire::PushRequest;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{DeviceAuth, Session};
use super::error::{ApiError, Json};
use super::{AppState, blocking};
use crate::storage::{FormState, ResponseFilter, Role, Settlement};

type St = State<Arc<AppState>>;

/// The date `today()` means when the server checks answers: its own, one day ahead, so that
/// a device in a later time zone is never refused for an interview dated "today".
fn server_today() -> Date {
    let days = chrono::Utc::now()
        .date_naive()
        .signed_duration_since(chrono::NaiveDate::default())
        .num_days();
    Date::from_days(days + 1)
}

pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

#[derive(Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
}

pub async fn login(State(s): St, Json(b): Json<LoginBody>) -> Result<Json<Value>, ApiError> {
    let (token, caller, expires_at) =
        blocking(&s, move |db| Ok(db.login(&b.username, &b.password)?)).await?;
    Ok(Json(
        json!({"token": token, "role": caller.role, "expires_at": expires_at}),
    ))
}

pub async fn logout(State(s): St, session: Session) -> Result<StatusCode, ApiError> {
    blocking(&s, move |db| {
        Ok(db.logout(&session.token, session.caller.user_id)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_users(State(s): St, session: Session) -> Result<Json<Value>, ApiError> {
    session.require(&[Role::Admin])?;
    Ok(Json(
        json!({"users": blocking(&s, |db| Ok(db.users()?)).await?}),
    ))
}

#[derive(Deserialize)]
pub struct NewUser {
    username: String,
    role: Role,
    password: String,
}

pub async fn create_user(
    State(s): St,
    session: Session,
    Json(b): Json<NewUser>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    let user = blocking(&s, move |db| {
        Ok(db.create_user(&b.username, b.role, &b.password, Some(by))?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!(user))))
}

#[derive(Deserialize)]
pub struct SettlementList {
    settlements: Vec<String>,
}

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

pub async fn list_settlements(State(s): St, _session: Session) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"settlements": blocking(&s, |db| Ok(db.settlements()?)).await?}),
    ))
}

pub async fn import_settlements(
    State(s): St,
    session: Session,
    Json(list): Json<Vec<Settlement>>,
) -> Result<Json<Value>, ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    let n = blocking(&s, move |db| Ok(db.import_settlements(&list, Some(by))?)).await?;
    Ok(Json(json!({"imported": n})))
}

const FORM_READERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::Enumerator];

pub async fn list_forms(State(s): St, session: Session) -> Result<Json<Value>, ApiError> {
    session.require(FORM_READERS)?;
    Ok(Json(
        json!({"forms": blocking(&s, |db| Ok(db.forms()?)).await?}),
    ))
}

/// One definition; immutable, so its ETag is its sha256 and a matching `If-None-Match`
/// gets 304.
pub async fn form_definition(
    State(s): St,
    session: Session,
    Path((form_id, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    session.require(FORM_READERS)?;
    let (entry, definition) =
        blocking(&s, move |db| Ok(db.form_definition(&form_id, &version)?)).await?;
    let etag = format!("\"{}\"", entry.sha256);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
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

/// Publishes an uploaded `.xlsx`/`.xls` workbook. A workbook with errors is refused with
/// every located diagnostic.
pub async fn publish_form(
    State(s): St,
    session: Session,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    let workbook = crate::workbook::read_bytes(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_form",
            e.to_string(),
        )
    })?;
    let result = baraza_schema::import(&workbook, "form");
    if result.has_errors() {
        let lines: Vec<String> = result.errors().map(ToString::to_string).collect();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_form",
            format!("the workbook has {} error(s)", lines.len()),
        )
        .with_details(json!({"diagnostics": result.diagnostics, "lines": lines})));
    }
    let form = result.form;
    let (entry, created) = blocking(&s, move |db| Ok(db.publish_form(&form, Some(by))?)).await?;
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(json!(entry)),
    ))
}

#[derive(Deserialize)]
pub struct StateBody {
    state: FormState,
}

pub async fn set_form_state(
    State(s): St,
    session: Session,
    Path((form_id, version)): Path<(String, String)>,
    Json(b): Json<StateBody>,
) -> Result<Json<Value>, ApiError> {
    let by = session.require(&[Role::Admin])?.user_id;
    let entry = blocking(&s, move |db| {
        Ok(db.set_form_state(&form_id, &version, b.state, Some(by))?)
    })
    .await?;
    Ok(Json(json!(entry)))
}

pub async fn enroll_device(
    State(s): St,
    session: Session,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = session.require(&[Role::Enumerator, Role::Admin])?.user_id;
    let enrollment = blocking(&s, move |db| Ok(db.enroll_device(user)?)).await?;
    Ok((StatusCode::CREATED, Json(json!(enrollment))))
}

pub async fn list_devices(State(s): St, session: Session) -> Result<Json<Value>, ApiError> {
    session.require(&[Role::Admin, Role::Supervisor])?;
    Ok(Json(
        json!({"devices": blocking(&s, |db| Ok(db.devices()?)).await?}),
    ))
}

pub async fn revoke_device(
    State(s): St,
    session: Session,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let by = session.require(&[Role::Admin, Role::Supervisor])?.user_id;
    blocking(&s, move |db| Ok(db.revoke_device(&id, by)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn push(
    State(s): St,
    DeviceAuth(device): DeviceAuth,
    Json(req): Json<PushRequest>,
) -> Result<Json<Value>, ApiError> {
    if req.device_id != device.id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "device_mismatch",
            "the batch names another device than the credential",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(bad) = req
        .items
        .iter()
        .find(|i| i.device_seq == 0 || !seen.insert(i.device_seq))
    {
        return Err(ApiError::malformed(format!(
            "device_seq {} is zero or repeated in the batch; sequence numbers start at 1 and are unique",
            bad.device_seq
        )));
    }
    let today = server_today();
    let response = blocking(&s, move |db| Ok(db.push(&device, &req, today)?)).await?;
    Ok(Json(json!(response)))
}

pub async fn sync_status(
    State(s): St,
    DeviceAuth(device): DeviceAuth,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(
        blocking(&s, move |db| Ok(db.sync_status(&device)?)).await?
    )))
}

#[derive(Deserialize)]
pub struct Cursor {
    #[serde(default)]
    cursor: i64,
}

pub async fn pull(
    State(s): St,
    DeviceAuth(device): DeviceAuth,
    Query(c): Query<Cursor>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(
        blocking(&s, move |db| Ok(db.pull(&device, c.cursor)?)).await?
    )))
}

const REVIEWERS: &[Role] = &[Role::Admin, Role::Supervisor];

pub async fn list_responses(
    State(s): St,
    session: Session,
    Query(filter): Query<ResponseFilter>,
) -> Result<Json<Value>, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    Ok(Json(
        json!({"responses": blocking(&s, move |db| Ok(db.list_responses(&caller, &filter)?)).await?}),
    ))
}

pub async fn get_response(
    State(s): St,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    Ok(Json(json!(
        blocking(&s, move |db| Ok(db.response(&caller, &id)?)).await?
    )))
}

#[derive(Deserialize)]
pub struct ReviewBody {
    state: String,
    #[serde(default)]
    comment: String,
}

pub async fn review_response(
    State(s): St,
    session: Session,
    Path(id): Path<String>,
    Json(b): Json<ReviewBody>,
) -> Result<Json<Value>, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    Ok(Json(json!(
        blocking(&s, move |db| Ok(
            db.set_review_state(&caller, &id, &b.state, &b.comment)?
        ))
        .await?
    )))
}

#[derive(Deserialize)]
pub struct CorrectionBody {
    /// The head revision the supervisor edited.
    base_rev: String,
    /// The corrected answers (serialized once, here, by the server).
    answers: Value,
}

pub async fn correct_response(
    State(s): St,
    session: Session,
    Path(id): Path<String>,
    Json(b): Json<CorrectionBody>,
) -> Result<Json<Value>, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    let payload = serde_json::to_string(&b.answers).map_err(ApiError::internal)?;
    let today = server_today();
    match blocking(&s, move |db| {
        Ok(db.correct_response(&caller, &id, &b.base_rev, &payload, today)?)
    })
    .await?
    {
        Ok(summary) => Ok(Json(json!(summary))),
        Err(issues) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_answers",
            "the corrected answers break the form's rules",
        )
        .with_details(json!({"issues": issues}))),
    }
}

#[derive(Deserialize)]
pub struct ResolveBody {
    rev: String,
}

pub async fn resolve_conflict(
    State(s): St,
    session: Session,
    Path(id): Path<String>,
    Json(b): Json<ResolveBody>,
) -> Result<Json<Value>, ApiError> {
    let caller = session.require(REVIEWERS)?.clone();
    Ok(Json(json!(
        blocking(&s, move |db| Ok(db.resolve_conflict(&caller, &id, &b.rev)?)).await?
    )))
}

#[derive(Deserialize)]
pub struct AuditQuery {
    limit: Option<u32>,
    before: Option<i64>,
}

pub async fn audit_log(
    State(s): St,
    session: Session,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    session.require(&[Role::Admin])?;
    let limit = q.limit.unwrap_or(100).min(1000);
    Ok(Json(
        json!({"entries": blocking(&s, move |db| Ok(db.audit_log(limit, q.before)?)).await?}),
    ))
}
