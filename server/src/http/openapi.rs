//! The OpenAPI document: collected from the handlers' annotations by `utoipa_axum`, plus
//! documentation mirrors of the `schema` wire types (which cannot implement `ToSchema`
//! themselves: `schema` stays free of server crates). A test checks each mirror against the
//! real type's JSON.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(title = "Baraza API", description = "Offline-first participatory surveys: accounts, forms, devices, no-loss sync, review. Errors are `{code, message, details}` with stable codes."),
    modifiers(&Security),
    components(schemas(ErrorBody, PushItemDoc, ItemResultDoc, IssueDoc))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        let bearer = |what: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(what.to_owned()))
                    .build(),
            )
        };
        components.add_security_scheme("session", bearer("a session token from POST /auth/login"));
        components.add_security_scheme("device", bearer("a device credential from POST /devices"));
    }
}

/// The responses any operation can give besides its own: 400 for a malformed request (query,
/// path or body), 401 and 403 where a credential is needed, 408 for a request that did not
/// arrive and get answered in time, 413 for a body over the limit, 405 where an empty path
/// parameter turns the path into another. Applied once the routes
/// have added their paths (`http::api`).
pub(super) struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |what: &str| {
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for (path, item) in api.paths.paths.iter_mut() {
            let parameterized = path.contains('{');
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_input = op.request_body.is_some()
                    || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let mut add = |status: &str, response| {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert(response);
                };
                if has_input {
                    add("400", error("malformed request").into());
                }
                if secured {
                    add("401", error("no credential, or not a valid one").into());
                    add("403", error("not allowed for this role, or revoked").into());
                }
                add(
                    "408",
                    ResponseBuilder::new()
                        .description("the request did not arrive and get answered in time")
                        .build()
                        .into(),
                );
                if op.request_body.is_some() {
                    add(
                        "413",
                        error("the body is larger than the server accepts").into(),
                    );
                }
                if parameterized {
                    // `/responses//review` is `/responses/{id}` with the id "review".
                    add(
                        "405",
                        ResponseBuilder::new()
                            .description("an empty path parameter made this another path, which does not take this method")
                            .build()
                            .into(),
                    );
                }
            }
        }
    }
}

/// The review states, in the order a response usually passes through them.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ReviewStateDoc {
    Received,
    HasIssues,
    Approved,
    Rejected,
}

/// Every error response.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// Stable: `malformed`, `unauthorized`, `token_expired`, `forbidden`, `device_revoked`,
    /// `device_mismatch`, `not_found`, `conflict`, `invalid`, `invalid_form`,
    /// `invalid_answers`, `payload_too_large`, `throttled`, `internal`.
    code: String,
    message: String,
    #[schema(value_type = Object, nullable = true)]
    details: Option<serde_json::Value>,
}

/// A form definition (canonical JSON; see `baraza_schema::Form`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FormDefinition {
    #[schema(value_type = Object)]
    settings: serde_json::Value,
    languages: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    fields: Vec<serde_json::Value>,
    #[schema(value_type = Object)]
    choices: serde_json::Value,
}

/// One finalized revision (`baraza_schema::wire::PushItem`).
#[derive(ToSchema)]
#[schema(as = PushItem)]
#[allow(dead_code)]
pub struct PushItemDoc {
    /// Dense per device, from 1.
    #[schema(minimum = 1, maximum = 9_223_372_036_854_775_807_u64)]
    device_seq: u64,
    response_id: String,
    /// `n-` + 32 hex digits of sha256(parent_rev ‖ 0 ‖ form_id ‖ 0 ‖ form_version ‖ 0 ‖ payload).
    rev: String,
    parent_rev: Option<String>,
    form_id: String,
    form_version: String,
    /// `sha256:` + hex of the payload bytes.
    content_hash: String,
    /// The answers JSON, as the exact string that was hashed.
    payload: String,
    /// The device's clock; data only.
    saved_at: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = PushRequest)]
#[allow(dead_code)]
pub struct PushRequestDoc {
    device_id: String,
    items: Vec<PushItemDoc>,
}

/// A validation issue (`baraza_schema::Issue`).
#[derive(ToSchema)]
#[schema(as = Issue)]
#[allow(dead_code)]
pub struct IssueDoc {
    path: String,
    /// `not_an_object`, `unknown_field`, `required`, `wrong_type`, `not_a_choice`,
    /// `filtered_out`, `duplicate_choice`, `not_relevant`, `constraint_failed`,
    /// `repeat_count`, `form_check_failed`, `preset_mismatch`.
    kind: String,
    message: String,
}

#[derive(ToSchema)]
#[schema(as = ItemResult)]
#[allow(dead_code)]
pub struct ItemResultDoc {
    device_seq: u64,
    /// `stored`, `duplicate`, `conflict`, `quarantined` or `retry`.
    status: String,
    server_seq: Option<i64>,
    /// With `quarantined`: `hash_mismatch`, `rev_mismatch`, `rev_collision`, `unknown_form`,
    /// `form_closed`, `invalid_json`, `invalid_answers`, `seq_reused`, `malformed`.
    code: Option<String>,
    issues: Option<Vec<IssueDoc>>,
}

#[derive(ToSchema)]
#[schema(as = PushResponse)]
#[allow(dead_code)]
pub struct PushResponseDoc {
    server_epoch: String,
    acked_through_seq: u64,
    results: Vec<ItemResultDoc>,
}

/// Mirrors `baraza_schema::wire::Correction`.
#[derive(ToSchema)]
#[schema(as = Correction)]
#[allow(dead_code)]
pub struct CorrectionDoc {
    server_seq: i64,
    response_id: String,
    rev: String,
    parent_rev: Option<String>,
    form_id: String,
    form_version: String,
    /// The exact payload bytes, as a JSON string.
    payload: String,
}

#[cfg(test)]
mod tests {
    use baraza_schema::wire::{
        ItemResult, ItemStatus, PushItem, PushRequest, PushResponse, QuarantineCode,
    };
    use baraza_schema::{Issue, IssueKind};

    /// The property names the document gives a schema.
    fn documented(name: &str) -> Vec<String> {
        let doc = serde_json::to_value(crate::http::openapi()).unwrap_or_default();
        let mut keys: Vec<String> = doc["components"]["schemas"][name]["properties"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }

    fn actual<T: serde::Serialize>(value: &T) -> Vec<String> {
        let mut keys: Vec<String> = serde_json::to_value(value)
            .ok()
            .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
            .unwrap_or_default();
        keys.sort();
        keys
    }

    #[test]
    fn documented_wire_types_have_exactly_the_fields_the_real_types_serialize() {
        let item = PushItem {
            device_seq: 1,
            response_id: "r".into(),
            rev: "1-x".into(),
            parent_rev: Some("p".into()),
            form_id: "f".into(),
            form_version: "1".into(),
            content_hash: "sha256:x".into(),
            payload: "{}".into(),
            saved_at: Some("t".into()),
        };
        let issue = Issue {
            path: "a".into(),
            kind: IssueKind::Required,
            message: "m".into(),
        };
        let result = ItemResult {
            device_seq: 1,
            status: ItemStatus::Quarantined,
            server_seq: Some(1),
            code: Some(QuarantineCode::HashMismatch),
            issues: vec![issue.clone()],
        };
        let response = PushResponse {
            server_epoch: "e".into(),
            acked_through_seq: 1,
            results: vec![result.clone()],
        };
        assert_eq!(documented("PushItem"), actual(&item));
        assert_eq!(
            documented("PushRequest"),
            actual(&PushRequest {
                device_id: "d".into(),
                items: vec![item]
            })
        );
        assert_eq!(documented("ItemResult"), actual(&result));
        assert_eq!(documented("PushResponse"), actual(&response));
        assert_eq!(documented("Issue"), actual(&issue));
        let correction = baraza_schema::wire::Correction {
            server_seq: 1,
            response_id: "r".into(),
            rev: "2-x".into(),
            parent_rev: Some("1-x".into()),
            form_id: "f".into(),
            form_version: "1".into(),
            payload: "{}".into(),
        };
        assert_eq!(documented("Correction"), actual(&correction));
    }
}
