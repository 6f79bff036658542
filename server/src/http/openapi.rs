//! The OpenAPI document: collected from the handlers' annotations by `utoipa_axum`; the
//! request and response types are `baraza_schema::api` and `wire`, which derive `ToSchema`
//! with schema's `openapi` feature. The one mirror left is the form definition (the form
//! model is large and changes with XLSForm support); a test checks it against a real form's
//! JSON.

use baraza_schema::api::ErrorBody;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(title = "Baraza API", description = "Offline-first participatory surveys: accounts, forms, devices, no-loss sync, review. Errors are `{code, message, details}` with stable codes."),
    modifiers(&Security),
    components(schemas(ErrorBody))
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
                &mut item.head,
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

#[cfg(test)]
mod tests {
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
    fn the_documented_form_definition_has_exactly_the_fields_a_form_serializes() {
        let import = crate::builtin::load("f1_household")
            .expect("a built-in form")
            .expect("it reads");
        assert_eq!(documented("FormDefinition"), actual(&import.form));
    }
}
