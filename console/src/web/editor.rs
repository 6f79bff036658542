//! The enumerator's form screen and engine inside the console (`baraza_client`'s
//! `FormBody`): a supervisor corrects an interview, or an admin tries a form before
//! publishing it. Nothing is kept in the browser; the answers, once they pass the form's rules
//! in the same engine, go to `on_save`.

use std::sync::Arc;

use leptos::prelude::*;
use serde_json::Value;

use baraza_client::web::Ctx;
use baraza_client::web::form_view::FormBody;
use baraza_client::web::store::Draft;
use baraza_schema::Form;

use super::Api;

/// The context the form screen reads: the interface language and no enrollment (so no
/// phone's metadata is stamped into a supervisor's correction).
fn context(api: Api) -> Ctx {
    Ctx {
        lang: RwSignal::new(
            baraza_client::i18n::Lang::from_code(api.lang.code())
                .unwrap_or(baraza_client::i18n::Lang::En),
        ),
        enrollment: RwSignal::new(None),
        forms: RwSignal::new(Vec::new()),
        drafts: RwSignal::new(Vec::new()),
        outbox: RwSignal::new(Vec::new()),
        heads: RwSignal::new(Vec::new()),
        reviews: RwSignal::new(Vec::new()),
        sync: RwSignal::new(Default::default()),
        online: RwSignal::new(true),
        persisted: RwSignal::new(None),
        estimate: RwSignal::new(None),
    }
}

#[component]
pub fn Editor(
    api: Api,
    form: Arc<Form>,
    answers: Value,
    response_id: String,
    on_save: impl Fn(Value) + Send + Sync + 'static,
) -> impl IntoView {
    provide_context(context(api));
    let draft = Draft {
        response_id,
        form_id: form.settings.form_id.clone(),
        form_version: form.settings.version.clone(),
        answers,
        parent_rev: None,
        updated_at: String::new(),
    };
    let on_save = Callback::new(on_save);
    view! {
        <div class="editor">
            <FormBody draft form ui=api.lang.code().to_owned() on_save/>
        </div>
    }
}
