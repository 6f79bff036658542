//! The browser side: reads the phone's interface language and enrolled username from the
//! client's IndexedDB (read only), draws the page, and changes the password: sign in with the
//! current one (`POST /auth/login`), `PUT /auth/password`, sign out.

use baraza_browser::device::{DB_NAME, Enrollment, META};
use baraza_browser::fetch::{Reply, send};
use baraza_browser::i18n::Lang;
use idb::{Factory, TransactionMode};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Document, HtmlButtonElement, HtmlInputElement};

use crate::{check_new, page, refusal, t};

/// A `meta` value the client keeps as JSON text.
async fn meta<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    let db = Factory::new().ok()?.open(DB_NAME, None).ok()?.await.ok()?;
    let found = async {
        let tx = db.transaction(&[META], TransactionMode::ReadOnly).ok()?;
        let value = tx
            .object_store(META)
            .ok()?
            .get(JsValue::from_str(key))
            .ok()?
            .await
            .ok()??;
        serde_json::from_str(&value.as_string()?).ok()
    }
    .await;
    db.close();
    found
}

fn input(doc: &Document, id: &str) -> Option<HtmlInputElement> {
    doc.get_element_by_id(id)?.dyn_into().ok()
}

fn say(doc: &Document, id: &str, text: &str) {
    if let Some(e) = doc.get_element_by_id(id) {
        e.set_text_content(Some(text));
    }
}

/// Signs in, changes, signs out; what to tell the enumerator when it did not work.
async fn change(lang: Lang, username: &str, current: &str, new: &str) -> Result<(), String> {
    let unreachable = |_| {
        t(
            lang,
            "The server cannot be reached; check the connection and try again.",
        )
        .to_owned()
    };
    let refused = |r: &Reply| match refusal(r.status) {
        Some(key) => t(lang, key).to_owned(),
        None => format!("{} {}", t(lang, "The server refused:"), r.message()),
    };
    let body = serde_json::json!({"username": username, "password": current}).to_string();
    let login = send("POST", "/api/v1/auth/login", None, Some(&body))
        .await
        .map_err(unreachable)?;
    if login.status != 200 {
        return Err(refused(&login));
    }
    let session: serde_json::Value = login.json().map_err(|_| refused(&login))?;
    let token = session["token"].as_str().unwrap_or_default();
    let body = serde_json::json!({"current_password": current, "new_password": new}).to_string();
    let changed = send("PUT", "/api/v1/auth/password", Some(token), Some(&body)).await;
    let _ = send("POST", "/api/v1/auth/logout", Some(token), None).await;
    match changed.map_err(unreachable)? {
        r if r.status == 204 => Ok(()),
        r => Err(refused(&r)),
    }
}

async fn submit(doc: Document, lang: Lang) {
    let value = |id| input(&doc, id).map(|i| i.value()).unwrap_or_default();
    let (username, current, new, again) = (
        value("username"),
        value("current"),
        value("new"),
        value("again"),
    );
    say(&doc, "done", "");
    if let Some(key) = check_new(&new, &again) {
        return say(&doc, "error", t(lang, key));
    }
    say(&doc, "error", "");
    let button: Option<HtmlButtonElement> = doc
        .get_element_by_id("submit")
        .and_then(|b| b.dyn_into().ok());
    let busy = |on: bool| {
        if let Some(b) = &button {
            b.set_disabled(on);
            let label = if on {
                t(lang, "Changing…")
            } else {
                t(lang, "Change password")
            };
            b.set_text_content(Some(label));
        }
    };
    busy(true);
    match change(lang, username.trim(), &current, &new).await {
        Ok(()) => {
            for id in ["current", "new", "again"] {
                if let Some(i) = input(&doc, id) {
                    i.set_value("");
                }
            }
            say(
                &doc,
                "done",
                t(
                    lang,
                    "Your password is changed. Sign in with the new one from now on.",
                ),
            );
        }
        Err(why) => say(&doc, "error", &why),
    }
    busy(false);
}

#[wasm_bindgen(start)]
pub async fn start() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(root) = doc.get_element_by_id("account") else {
        return;
    };
    let lang = meta::<String>("ui_lang")
        .await
        .and_then(|code| Lang::from_code(&code))
        .unwrap_or(Lang::En);
    let username = meta::<Enrollment>("enrollment")
        .await
        .map(|e| e.username)
        .unwrap_or_default();
    if let Some(html) = doc.document_element() {
        let _ = html.set_attribute("lang", lang.code());
    }
    root.set_inner_html(&page(lang, &username));
    let Some(form) = doc.get_element_by_id("change") else {
        return;
    };
    let on_submit = Closure::<dyn Fn(web_sys::Event)>::new(move |ev: web_sys::Event| {
        ev.prevent_default();
        wasm_bindgen_futures::spawn_local(submit(doc.clone(), lang));
    });
    let _ = form.add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref());
    // The listener lives as long as the page.
    on_submit.forget();
}
