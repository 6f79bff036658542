//! The HTTP contract of `/api/v1`: every request and response body and query, in one place,
//! serde only. The server's handlers and Store take and return these types; the browser apps
//! decode them. With the `openapi` feature (the server's) they also derive `utoipa`'s
//! `ToSchema`/`IntoParams`, and the OpenAPI document is generated from them.
//!
//! The push and pull items themselves (`PushRequest`, `PushResponse`, `Correction`) live in
//! [`crate::wire`], with the rules that check them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::date::Month;
use crate::date::Quarter;
use crate::reports::{Context, ReportCell, ReportInfo};
use crate::wire::Correction;

/// Every error response: a stable `code` for programs, a `message` for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Stable: `malformed`, `unauthorized`, `token_expired`, `forbidden`, `device_revoked`,
    /// `device_mismatch`, `not_found`, `conflict`, `invalid`, `invalid_form`,
    /// `invalid_answers`, `payload_too_large`, `throttled`, `internal`.
    pub code: String,
    pub message: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object, nullable = true))]
    #[serde(default)]
    pub details: Value,
}

/// Defines a snake_case string enum with `as_str`, `parse` and `ALL` in declaration order.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// What an account may do (DESIGN.md, Security).
    Role {
        Admin = "admin",
        Supervisor = "supervisor",
        Planner = "planner",
        Enumerator = "enumerator",
    }
}

string_enum! {
    /// Where a published form version is in its life.
    FormState {
        /// Offered for new responses.
        Open = "open",
        /// Still accepts responses, no longer offered for new ones.
        Closing = "closing",
        /// Responses to it are quarantined.
        Closed = "closed",
    }
}

string_enum! {
    /// A supervisor's verdict on a response, in the order a response usually passes through.
    ReviewState {
        Received = "received",
        HasIssues = "has_issues",
        Approved = "approved",
        Rejected = "rejected",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    pub token: String,
    pub role: Role,
    pub expires_at: String,
    /// The session can do nothing but `PUT /auth/password` until the user chooses a password.
    pub must_change_password: bool,
}

/// `POST /users/{id}/password`: the password an admin sets; the user must change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordReset {
    #[cfg_attr(feature = "openapi", schema(min_length = 8))]
    pub password: String,
}

/// `PUT /auth/password`: a user changes their own password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    pub current_password: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 8))]
    pub new_password: String,
}

/// `PUT /users/{id}/role`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleBody {
    pub role: Role,
}

/// How many sessions an operation ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionsEnded {
    pub ended: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// A disabled account cannot sign in; its devices keep syncing until revoked.
    pub disabled: bool,
    /// An admin reset the password: the user must choose their own at the next sign-in.
    pub must_change_password: bool,
    /// For supervisors: the settlements whose responses they review.
    pub settlements: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Users {
    pub users: Vec<User>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewUser {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_.-]{1,64}$"))]
    pub username: String,
    pub role: Role,
    #[cfg_attr(feature = "openapi", schema(min_length = 8))]
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettlementList {
    pub settlements: Vec<String>,
}

/// A settlement of the sampling frame: `households` is the listed N_h the reports weight by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settlement {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{1,32}$"))]
    pub code: String,
    /// Not blank.
    #[cfg_attr(feature = "openapi", schema(pattern = "\\S"))]
    pub name: String,
    #[serde(rename = "type")]
    pub settlement_type: String,
    /// At most `MAX_HOUSEHOLDS`: the reports add the frame's counts up.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000_000))]
    pub households: i64,
    /// How many interviews the fieldwork plans here, when set.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub target: Option<i64>,
}

/// The most households a settlement may list: a billion is beyond any city, and a frame of
/// many such settlements still adds up well inside an integer (a count near 2^63 made the
/// reports' sum overflow: a server error schemathesis found).
pub const MAX_HOUSEHOLDS: i64 = 1_000_000_000;

impl Settlement {
    /// A code of 1–32 letters, digits, `_` or `-`, a name, and a household count of 0 to
    /// `MAX_HOUSEHOLDS`.
    pub fn check(&self) -> Result<(), String> {
        let code_ok = (1..=32).contains(&self.code.len())
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        if !code_ok {
            return Err(format!(
                "settlement code {:?} must be 1–32 letters, digits, '_' or '-'",
                self.code
            ));
        }
        if self.name.trim().is_empty() {
            return Err(format!("settlement {} has no name", self.code));
        }
        if self.households < 0 {
            return Err(format!(
                "settlement {} has a negative household count",
                self.code
            ));
        }
        if self.households > MAX_HOUSEHOLDS {
            return Err(format!(
                "settlement {} lists {} households; at most {MAX_HOUSEHOLDS}",
                self.code, self.households
            ));
        }
        if self.target.is_some_and(|t| t < 0) {
            return Err(format!("settlement {} has a negative target", self.code));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settlements {
    pub settlements: Vec<Settlement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Imported {
    pub imported: usize,
}

/// A manifest entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishedForm {
    pub form_id: String,
    pub version: String,
    pub sha256: String,
    pub title: String,
    pub state: FormState,
    pub published_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Forms {
    pub forms: Vec<PublishedForm>,
}

/// A workbook checked, not published (`POST /forms/check`): the form definition it makes, to
/// preview, and its warnings (`xlsform::Diagnostic`s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormCheck {
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub form: Value,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub diagnostics: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateBody {
    pub state: FormState,
}

/// What an enumerator's phone receives once: its id and a long-lived, revocable credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enrollment {
    pub device_id: String,
    pub device_token: String,
    pub server_epoch: String,
    /// The enumerator the phone is enrolled for.
    #[serde(default)]
    pub username: String,
}

/// `POST /enrollment-codes`: a code for this enumerator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentCodeRequest {
    pub user_id: i64,
}

/// A one-time code that enrolls one phone for `username` until `expires_at`, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentCode {
    /// Eight letters and digits, as `ABCD-EFGH` (case, spaces and the dash do not matter).
    pub code: String,
    pub user_id: i64,
    pub username: String,
    pub expires_at: String,
}

/// `POST /odk-keys`: a device key for an enumerator's ODK Collect (or any OpenRosa client),
/// shown once. The key is a device credential: revoking the device revokes the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OdkKey {
    pub device_id: String,
    pub user_id: i64,
    pub username: String,
    /// The server URL to type into Collect: `https://host/key/<key>`.
    pub server_url: String,
    /// Collect's settings for "Configure with QR code": its JSON, zlib-compressed, base64.
    pub collect_settings: String,
}

/// `POST /devices/enroll`: a phone enrolls with a code instead of a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeBody {
    pub code: String,
    /// Given by a phone that enrolled before and that this server no longer knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejoin: Option<Rejoin>,
}

/// The body of `POST /devices`: none (or `{}`) for a new phone; `device_id` and `first_seq`
/// together from a phone that enrolled before and that this server no longer knows
/// ([`Rejoin`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seq: Option<u64>,
}

impl DeviceBody {
    /// The rejoin it asks for: both fields, or neither for a new phone.
    pub fn rejoin(self) -> Result<Option<Rejoin>, &'static str> {
        match (self.device_id, self.first_seq) {
            (Some(device_id), Some(first_seq)) => Ok(Some(Rejoin {
                device_id,
                first_seq,
            })),
            (None, None) => Ok(None),
            _ => Err("a phone rejoining names both its device_id and its first_seq"),
        }
    }
}

/// `POST /devices` (with a [`DeviceBody`]) and `rejoin` in [`CodeBody`] from a phone that enrolled
/// before and that this server no longer knows — it was restored from a backup older than
/// the phone's enrollment, or knows the phone only from an imported file. The phone keeps
/// its id, outbox and sequence numbers: the server gives it a new credential under the same
/// id and counts the items below `first_seq` as acknowledged (the phone released them under
/// an earlier backup), so that what it still holds is acknowledged as it arrives again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rejoin {
    pub device_id: String,
    /// The lowest `device_seq` the phone still holds; its next one when it holds none.
    pub first_seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Device {
    pub id: String,
    pub user_id: i64,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub acked_through_seq: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Devices {
    pub devices: Vec<Device>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncStatus {
    pub device_id: String,
    pub server_epoch: String,
    pub acked_through_seq: i64,
    /// The last backup holds every item of this device up to here (0: no backup yet). The
    /// device deletes its own copies only up to here (DESIGN.md, Sync, guarantee 1).
    pub backed_up_through_seq: i64,
    /// Items held as revisions (stored, duplicate or conflict).
    pub stored: i64,
    pub quarantined: i64,
    pub revoked: bool,
}

/// `GET /sync/pull?cursor=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct Cursor {
    /// The `cursor` of the previous pull; 0 the first time.
    #[serde(default)]
    pub cursor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullResponse {
    pub server_epoch: String,
    /// Pass back as `cursor` next time.
    pub cursor: i64,
    pub forms: Vec<PublishedForm>,
    pub settlements: Vec<Settlement>,
    pub corrections: Vec<Correction>,
    /// Every interview of this phone a supervisor has sent back for correction or rejected,
    /// as it stands, with the review's comment: the whole list each time.
    #[serde(default)]
    pub reviews: Vec<ReviewNote>,
}

/// A supervisor's review the phone shows beside its interview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewNote {
    pub response_id: String,
    /// `has_issues` (sent back for correction) or `rejected`.
    pub state: ReviewState,
    pub comment: String,
    /// When it was reviewed (RFC 3339).
    pub at: String,
}

/// `GET /responses?…`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct ResponseFilter {
    pub form_id: Option<String>,
    pub settlement: Option<String>,
    pub review_state: Option<ReviewState>,
    pub conflict: Option<bool>,
    /// Only responses first sent by this enumerator's devices (a username).
    pub enumerator: Option<String>,
    /// Only responses last changed on or after this day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Only responses last changed on or before this day (`YYYY-MM-DD`).
    pub to: Option<String>,
    /// At most this many responses (default 100).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    pub limit: Option<u32>,
    /// Return responses updated after this `response_id` in list order (for paging).
    pub after: Option<String>,
    /// Order by this column, then by response id, across every page (page with `offset`;
    /// `after` pages only the default order, by response id).
    pub sort: Option<ResponseSort>,
    /// Largest first.
    pub desc: Option<bool>,
    /// Skip this many responses of the sorted list.
    #[cfg_attr(feature = "openapi", param(minimum = 0, maximum = 10_000_000))]
    pub offset: Option<u32>,
    /// Also give each response's answers to these questions (names, comma-separated, at most
    /// ten; questions outside repeats), for columns of the list.
    pub answers: Option<String>,
}

string_enum! {
    /// What the submissions list can be ordered by.
    ResponseSort {
        ResponseId = "response_id",
        Form = "form",
        Settlement = "settlement",
        Enumerator = "enumerator",
        ReviewState = "review_state",
        UpdatedAt = "updated_at",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResponseSummary {
    pub response_id: String,
    pub form_id: String,
    pub form_version: String,
    pub head_rev: String,
    pub settlement: Option<String>,
    pub review_state: ReviewState,
    pub conflict: bool,
    pub missing_parent: bool,
    pub updated_at: String,
    /// The account whose device first sent it (none for a response a supervisor wrote).
    #[serde(default)]
    pub enumerator: Option<String>,
    /// The head's answers to the questions the list asked for (`answers=`), those answered.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub answers: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Responses {
    pub responses: Vec<ResponseSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevisionView {
    pub server_seq: i64,
    pub rev: String,
    pub parent_rev: Option<String>,
    pub device_id: Option<String>,
    pub author_id: Option<i64>,
    pub saved_at: Option<String>,
    pub received_at: String,
    pub payload: String,
    /// The files its answers name, each with whether it is here yet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentView>,
}

/// A file an interview's answers name, as the review shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentView {
    pub name: String,
    /// Absent for a file an ODK client named and never sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Whole and checked here: it can be opened (`GET /responses/{id}/attachments/{name}`).
    pub received: bool,
    /// What the bytes are (read from them, not from the name), once received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

/// A review decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewEvent {
    pub state: ReviewState,
    pub comment: String,
    pub user_id: i64,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResponseDetail {
    pub summary: ResponseSummary,
    pub revisions: Vec<RevisionView>,
    /// Review decisions, oldest first.
    pub events: Vec<ReviewEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewBody {
    pub state: ReviewState,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorrectionBody {
    /// The head revision the supervisor edited; a stale one is refused with 409.
    pub base_rev: String,
    /// The corrected answers (serialized once, by the server).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub answers: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResolveBody {
    /// The revision whose content wins.
    pub rev: String,
    /// Answers merged field by field from the conflicting revisions: when given, they are
    /// written instead of `rev`'s content, and must pass the form's rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub answers: Option<Value>,
}

string_enum! {
    /// What a supervisor is asked to look at on the progress screen.
    FlagKind {
        /// A household interview with consent that took under ten minutes.
        ShortInterview = "short_interview",
        /// The same household id in two interviews of one settlement.
        DuplicateHousehold = "duplicate_household",
        /// An enumerator whose answers are "don't know" or "refused" far more often than
        /// everyone's.
        ManyDontKnow = "many_dont_know",
        /// An interview held before the fieldwork began or after it ended (`Fieldwork`).
        OutsideFieldwork = "outside_fieldwork",
    }
}

/// `GET`/`PUT /settings/fieldwork`: the days the fieldwork runs, both included. Interviews
/// held outside them are flagged on the progress screen; either end may be open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fieldwork {
    /// The first day (`YYYY-MM-DD`).
    #[serde(default)]
    pub from: Option<String>,
    /// The last day (`YYYY-MM-DD`).
    #[serde(default)]
    pub to: Option<String>,
}

impl Fieldwork {
    /// The two days read, or a sentence: each must be a date, and `from` not after `to`.
    pub fn days(&self) -> Result<(Option<crate::Date>, Option<crate::Date>), String> {
        let day = |d: &Option<String>| {
            d.as_deref()
                .filter(|t| !t.is_empty())
                .map(|t| {
                    crate::Date::parse(t).map_err(|_| format!("{t:?} is not a date (YYYY-MM-DD)"))
                })
                .transpose()
        };
        let (from, to) = (day(&self.from)?, day(&self.to)?);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(format!(
                "the fieldwork cannot end ({t}) before it begins ({f})"
            ));
        }
        Ok((from, to))
    }
}

/// `GET /progress`: the fieldwork as a supervisor follows it, scoped to the caller's
/// settlements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Progress {
    pub settlements: Vec<SettlementProgress>,
    /// Household interviews per enumerator (the account of the device) per interview day.
    pub enumerators: Vec<EnumeratorDay>,
    pub devices: Vec<DeviceProgress>,
    pub flags: Vec<Flag>,
}

/// Household interviews in one settlement by review state, against its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettlementProgress {
    pub code: String,
    pub name: String,
    pub target: Option<i64>,
    pub received: i64,
    pub has_issues: i64,
    pub approved: i64,
    pub rejected: i64,
    /// Items from this settlement the server kept in quarantine (any form).
    pub quarantined: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnumeratorDay {
    pub enumerator: String,
    /// `YYYY-MM-DD`, from the interview's `today` or date.
    pub day: String,
    pub interviews: u32,
    /// From the `start` and `end` metadata, where present.
    pub median_minutes: Option<f64>,
}

/// An enrolled phone as the progress screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceProgress {
    pub device_id: String,
    pub username: String,
    /// When it last sent something the server kept.
    pub last_upload: Option<String>,
    pub acked_through_seq: i64,
    pub backed_up_through_seq: i64,
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Flag {
    pub kind: FlagKind,
    pub response_id: Option<String>,
    pub enumerator: Option<String>,
    /// In English, for people reading the API.
    pub detail: String,
    /// The figures `detail` states, in its order, for a screen to put in its own words:
    /// minutes (`short_interview`); the household id and the number of interviews
    /// (`duplicate_household`); the enumerator's and everyone's percentage
    /// (`many_dont_know`); the day held, the first and the last fieldwork day, `…` for an open
    /// end (`outside_fieldwork`).
    #[serde(default)]
    pub values: Vec<String>,
}

/// A page of a list read forwards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct Page {
    /// At most this many items (default 100).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    pub limit: Option<u32>,
    /// Only items with a larger id (for paging forward).
    #[serde(default)]
    pub after: i64,
}

/// An item the server kept but could not accept, as a supervisor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuarantinedItem {
    pub id: i64,
    pub device_id: String,
    pub device_seq: i64,
    pub response_id: Option<String>,
    pub rev: Option<String>,
    pub settlement: Option<String>,
    /// The reason code (see `QuarantineCode`).
    pub code: String,
    pub detail: String,
    /// The whole item as received (a push item, JSON).
    pub item: String,
    pub received_at: String,
    /// Why a supervisor dismissed it, once dismissed (it is kept all the same).
    #[serde(default)]
    pub dismissed: Option<String>,
    /// The revision a supervisor released it as, fixed (it is kept all the same).
    #[serde(default)]
    pub released_rev: Option<String>,
}

/// Releasing a quarantined item: its answers, fixed, to be stored as a valid revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReleaseBody {
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub answers: Value,
}

/// Dismissing a quarantined item: the reason is required and kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DismissBody {
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quarantine {
    pub items: Vec<QuarantinedItem>,
}

/// One backup file in the server's backup folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackupFile {
    pub name: String,
    pub bytes: u64,
    /// When the file was written (RFC 3339, UTC).
    pub modified: String,
}

/// The backups an admin sees: the folder, its files (newest first) and the last backup the
/// audit log records (by the command line or the console).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Backups {
    /// Where `POST /backups` writes; none when the server runs without a data folder.
    pub folder: Option<String>,
    pub files: Vec<BackupFile>,
    pub last: Option<AuditEntry>,
    /// The last scheduled backup that failed, when no backup has succeeded since.
    #[serde(default)]
    pub last_failure: Option<AuditEntry>,
}

/// A page of the audit log, read backwards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct AuditQuery {
    /// At most this many entries (default 100).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    pub limit: Option<u32>,
    /// Only entries with a smaller id (for paging back).
    pub before: Option<i64>,
    /// Only what this user did (a username).
    pub actor: Option<String>,
    /// Only actions that start with this (`user.`, `response.review`).
    pub action: Option<String>,
    /// Only entries whose object contains this (`user:7`, a response id).
    pub object: Option<String>,
    /// Only entries on or after this day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Only entries on or before this day (`YYYY-MM-DD`).
    pub to: Option<String>,
}

/// One mutation: who (user or device), what, on what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub user_id: Option<i64>,
    /// The acting user's name, when a user acted.
    #[serde(default)]
    pub actor: Option<String>,
    pub device_id: Option<String>,
    /// One of [`AUDIT_ACTIONS`].
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// Every action the audit log records (`AuditEntry::action`), by area: the console says each
/// in words, and the server records no other (checked in its debug builds, which the tests
/// run).
pub const AUDIT_ACTIONS: &[&str] = &[
    "auth.login",
    "auth.login_failed",
    "auth.logout",
    "device.code",
    "device.enroll",
    "device.odk_key",
    "device.rejoin",
    "device.revoke",
    "export.raw",
    "form.publish",
    "form.state",
    "openrosa.submission",
    "quarantine.dismiss",
    "quarantine.release",
    "review.correct",
    "review.resolve",
    "review.state",
    "server.backup",
    "server.failed_backup",
    "server.restore",
    "settings.fieldwork",
    "settings.reference_values",
    "settings.report_states",
    "settlement.import",
    "sync.gap",
    "sync.import",
    "sync.push",
    "sync.quarantine",
    "user.create",
    "user.disable",
    "user.enable",
    "user.password_change",
    "user.password_reset",
    "user.role",
    "user.sessions_end",
    "user.settlements",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Audit {
    pub entries: Vec<AuditEntry>,
}

/// A report that can be computed (`GET /reports`); [`ReportInfo`] as it travels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportMeta {
    pub id: String,
    pub title: String,
    /// The forms whose responses it counts, the main one first.
    pub forms: Vec<String>,
    /// The disaggregations available (`by=`).
    pub by: Vec<String>,
    /// Sensitive items: small counts are below 10 rather than 5.
    pub sensitive: bool,
    /// How the dashboard draws it: `bar`, `stacked`, `heatmap`, `gap` or `graph`.
    pub chart: String,
    /// The disaggregations' names, in `by`'s order, in the language asked for.
    #[serde(default)]
    pub by_labels: Vec<String>,
}

impl ReportMeta {
    /// A catalogue entry with its title and disaggregations in `lang` (`en`, `fr`, `sw`).
    pub fn in_language(r: &ReportInfo, lang: &str) -> ReportMeta {
        use crate::reports::labels;
        let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        ReportMeta {
            id: r.id.to_owned(),
            title: labels::title(r.id, lang).unwrap_or(r.title).to_owned(),
            forms: owned(r.forms),
            by: owned(r.by),
            sensitive: r.sensitive,
            chart: r.chart.to_owned(),
            by_labels: r
                .by
                .iter()
                .map(|b| labels::by(b, lang).unwrap_or(b).to_owned())
                .collect(),
        }
    }
}

/// `?lang=` on the report catalogue: `en` (default), `fr` or `sw`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct LangQuery {
    pub lang: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportList {
    pub reports: Vec<ReportMeta>,
}

/// Which settlements, months and version a report covers, and how it is broken down.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct ReportQuery {
    /// The disaggregation: `all` (default), `s` (settlement), `t` (settlement type), `rs`,
    /// `hs`, `tn` or `d` (see GET /reports).
    pub by: Option<String>,
    /// Only this settlement.
    pub settlement: Option<String>,
    /// Only settlements of this type (A, B, C, D in the demo frame).
    pub settlement_type: Option<String>,
    /// Only interviews of this calendar quarter (`YYYY-Qn`); the whole fieldwork when absent
    /// or empty. Quarters are the only time filter planners and supervisors have: a fixed
    /// lattice whose tables are protected jointly, so no two can be subtracted.
    #[serde(default, deserialize_with = "quarter_or_empty")]
    pub quarter: Option<Quarter>,
    /// Administrators only: interviews from this month on (`YYYY-MM`, or a date whose month
    /// is taken). Month windows, like `form_version`, are protected table by table only.
    #[serde(default, deserialize_with = "month_or_empty")]
    pub from: Option<Month>,
    /// Administrators only: interviews up to this month.
    #[serde(default, deserialize_with = "month_or_empty")]
    pub to: Option<Month>,
    /// Administrators only: only responses to this form version.
    pub form_version: Option<String>,
    /// The language of the words in `labels` and the title: `en` (default), `fr` or `sw`.
    pub lang: Option<String>,
}

impl ReportQuery {
    /// Whether the query leaves the lattice of protected tables (month windows or a form
    /// version, which only administrators may ask for).
    pub fn off_lattice(&self) -> bool {
        self.from.is_some()
            || self.to.is_some()
            || self.form_version.as_deref().is_some_and(|v| !v.is_empty())
    }
}

/// A quarter filter; an empty one (`quarter=`) is no filter.
fn quarter_or_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Quarter>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(text) if !text.is_empty() => Quarter::of(&text).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!("a calendar quarter (YYYY-Qn), not {text:?}"))
        }),
        _ => Ok(None),
    }
}

/// A month filter; an empty one (`from=`) is no filter.
fn month_or_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Month>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(None),
        Some(text) => Month::of(&text).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "a month (YYYY-MM) or a date (YYYY-MM-DD), not {text:?}"
            ))
        }),
    }
}

/// One report's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub id: String,
    /// The report's title in the language asked for.
    #[serde(default)]
    pub title: String,
    pub by: String,
    /// Set when a settlement's subgroup table would have lost more than 20 % of its cells to
    /// suppression: what the figures cover instead ("settlement type B", "the whole city").
    pub shown_for: Option<String>,
    /// Estimates with their unweighted n; suppressed cells have no estimate.
    pub cells: Vec<ReportCell>,
    /// Every item, level and disaggregation code in `cells` and `by`, in words in the
    /// language asked for (`?lang=`): from the forms' own choice and question labels, the
    /// settlement frame's names, and the reports' words for what they derive.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The calendar quarters with interviews, for the `quarter` filter.
    #[serde(default)]
    pub quarters: Vec<String>,
}

/// `GET /exports/{form}.zip?settlement=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct ExportQuery {
    /// Only this settlement.
    pub settlement: Option<String>,
    /// With the files the answers name (photos, recordings, videos, files) in `media/`: an
    /// admin's export only (they show people and their homes).
    #[serde(default)]
    pub media: bool,
}

/// Which review states count in reports, and the city-wide reference values in use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportSettings {
    /// One or more review states (default: all but `rejected`).
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub counted_states: Vec<ReviewState>,
    /// The per-capita monthly incomes between the five income quintiles (`by=q`), once
    /// computed with `POST /settings/reports/reference-values`; ignored on PUT.
    #[serde(default)]
    pub income_quintile_cuts: Option<[f64; 4]>,
    /// The official water tariff per 20 litres behind R6's price ratios, computed the same
    /// way; ignored on PUT.
    #[serde(default)]
    pub utility_tariff_20l: Option<f64>,
    /// The households behind the cut-offs and the water actors behind the tariff. A value
    /// on fewer than 25 is shown to admins only (DOMAIN.md §4.3 rule 2: quantiles need 25).
    /// (Counts of units: 32 bits unsigned, documented as such — `int32` would say 2^31 − 1 —
    /// so the documented range is the one serde reads.)
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = Int64, minimum = 0, maximum = 4294967295.0))]
    pub income_quintile_n: Option<u32>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = Int64, minimum = 0, maximum = 4294967295.0))]
    pub utility_tariff_n: Option<u32>,
}

impl ReportSettings {
    /// The settings with the reference values and their bases (`[quintiles, tariff]`).
    pub fn new(counted_states: Vec<ReviewState>, values: Context, bases: [Option<u64>; 2]) -> Self {
        ReportSettings {
            counted_states,
            income_quintile_cuts: values.quintile_cuts,
            utility_tariff_20l: values.tariff_20l,
            income_quintile_n: bases[0].map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            utility_tariff_n: bases[1].map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        }
    }

    /// As published to anyone but an admin: a reference value on fewer than 25 units is
    /// withheld, like any quantile in a report.
    pub fn published(mut self) -> Self {
        let thin = |n: Option<u32>| n.is_none_or(|n| n < 25);
        if thin(self.income_quintile_n) {
            self.income_quintile_cuts = None;
        }
        if thin(self.utility_tariff_n) {
            self.utility_tariff_20l = None;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_enums_read_back_what_they_write() {
        for s in ReviewState::ALL {
            assert_eq!(ReviewState::parse(s.as_str()), Some(*s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(Value::String(s.as_str().into()))
            );
        }
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(FormState::parse("closing"), Some(FormState::Closing));
    }

    #[test]
    fn a_settlement_without_a_name_or_with_a_bad_code_is_refused_with_a_sentence() {
        let s = |code: &str, name: &str, households| Settlement {
            code: code.into(),
            name: name.into(),
            settlement_type: "A".into(),
            households,
            target: None,
        };
        assert!(s("s01", "Kibera", 10).check().is_ok());
        assert!(
            s("s 01", "Kibera", 10)
                .check()
                .is_err_and(|e| e.contains("letters"))
        );
        assert!(
            s("s01", "  ", 10)
                .check()
                .is_err_and(|e| e.contains("no name"))
        );
        assert!(
            s("s01", "K", -1)
                .check()
                .is_err_and(|e| e.contains("negative"))
        );
    }
}
