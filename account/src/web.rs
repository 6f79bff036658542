//! The browser side. The password page reads the phone's interface language and enrolled
//! username from the client's IndexedDB, draws the page, and changes the password: sign in
//! with the current one (`POST /auth/login`), `PUT /auth/password`, sign out. The enrollment
//! page signs in (`POST /auth/login`, then `POST /devices`, then signs out) or sends a code
//! (`POST /devices/enroll`), keeps the enrollment where the app reads it, and opens the app.

use baraza_browser::device::{DB_NAME, Enrollment, META};
use baraza_browser::fetch::{Reply, send};
use baraza_browser::i18n::Lang;
use idb::{Database, TransactionMode};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Document, HtmlButtonElement, HtmlInputElement};

use crate::{check_new, enroll_bar, enroll_form, enroll_refusal, from_fragment, page, refusal, t};

/// The app's database, made as the app makes it when this page is opened first.
async fn database() -> Option<Database> {
    baraza_browser::device::open(DB_NAME).await.ok()
}

/// Keeps a `meta` value as the client does: JSON text.
async fn set_meta(key: &str, value: &impl serde::Serialize) -> Option<()> {
    let db = database().await?;
    let done = async {
        let tx = db.transaction(&[META], TransactionMode::ReadWrite).ok()?;
        let text = serde_json::to_string(value).ok()?;
        tx.object_store(META)
            .ok()?
            .put(&JsValue::from_str(&text), Some(&JsValue::from_str(key)))
            .ok()?
            .await
            .ok()?;
        tx.commit().ok()?.await.ok()
    }
    .await;
    db.close();
    done.map(|_| ())
}

/// A `meta` value the client keeps as JSON text.
async fn meta<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    let db = database().await?;
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

/// A button off while a request is under way, saying so.
fn busy(button: &HtmlButtonElement, on: bool, label: &str) {
    button.set_disabled(on);
    button.set_text_content(Some(label));
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
            busy(
                b,
                on,
                if on {
                    t(lang, "Changing…")
                } else {
                    t(lang, "Change password")
                },
            );
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

/// Enrolls with the password typed (`by_code` false) or the code; the enrollment kept, or
/// what to tell the enumerator.
async fn enroll(
    doc: &Document,
    lang: Lang,
    by_code: bool,
    rejoin: Option<&str>,
) -> Result<(), String> {
    let value = |id| input(doc, id).map(|i| i.value()).unwrap_or_default();
    let unreachable = |_| {
        t(
            lang,
            "The server cannot be reached; check the connection and try again.",
        )
        .to_owned()
    };
    let refused = |r: &Reply| match enroll_refusal(r.status, &r.body, by_code) {
        Some(key) => t(lang, key).to_owned(),
        None => format!("{} {}", t(lang, "The server refused:"), r.message()),
    };
    let device = if by_code {
        let body = format!(
            r#"{{"code":{},"rejoin":{}}}"#,
            serde_json::Value::from(value("code")),
            rejoin.unwrap_or("null")
        );
        send("POST", "/api/v1/devices/enroll", None, Some(&body))
            .await
            .map_err(unreachable)?
    } else {
        let body = serde_json::json!({"username": value("username").trim(), "password": value("password")})
            .to_string();
        let login = send("POST", "/api/v1/auth/login", None, Some(&body))
            .await
            .map_err(unreachable)?;
        if login.status != 200 {
            return Err(refused(&login));
        }
        let session: serde_json::Value = login.json().map_err(|_| refused(&login))?;
        let token = session["token"].as_str().unwrap_or_default();
        let device = send("POST", "/api/v1/devices", Some(token), rejoin).await;
        let _ = send("POST", "/api/v1/auth/logout", Some(token), None).await;
        device.map_err(unreachable)?
    };
    if device.status != 201 {
        return Err(refused(&device));
    }
    let enrollment: Enrollment = device.json().map_err(|_| refused(&device))?;
    set_meta("enrollment", &enrollment).await.ok_or_else(|| {
        t(
            lang,
            "This phone's storage could not be written. Free some space, then try again; nothing already saved is lost.",
        )
        .to_owned()
    })
}

async fn submit_enroll(doc: Document, lang: Lang, by_code: bool, rejoin: Option<String>) {
    say(&doc, "error", "");
    let buttons: Vec<HtmlButtonElement> = ["enroll", "enroll-code"]
        .iter()
        .filter_map(|id| doc.get_element_by_id(id)?.dyn_into().ok())
        .collect();
    let busy = |on: bool| {
        for b in &buttons {
            b.set_disabled(on);
        }
        if let Some(b) = buttons.first() {
            busy(
                b,
                on,
                if on {
                    t(lang, "Enrolling…")
                } else {
                    t(lang, "Sign in and enroll")
                },
            );
        }
    };
    busy(true);
    match enroll(&doc, lang, by_code, rejoin.as_deref()).await {
        // The app takes over: it pulls the forms with the phone's own credential.
        Ok(()) => {
            if let Some(w) = web_sys::window() {
                let _ = w.location().replace("/");
            }
        }
        Err(why) => {
            say(&doc, "error", &why);
            busy(false);
        }
    }
}

/// The enrollment forms in `lang`, and what they do.
fn enroll_forms(doc: &Document, lang: Lang, code: &str, rejoin: &Option<String>) {
    let Some(main) = doc.get_element_by_id("enroll-main") else {
        return;
    };
    main.set_inner_html(&enroll_form(lang, code, rejoin.is_some()));
    for (id, by_code) in [("by-password", false), ("by-code", true)] {
        let (doc2, rejoin) = (doc.clone(), rejoin.clone());
        let on_submit = Closure::<dyn Fn(web_sys::Event)>::new(move |ev: web_sys::Event| {
            ev.prevent_default();
            wasm_bindgen_futures::spawn_local(submit_enroll(
                doc2.clone(),
                lang,
                by_code,
                rejoin.clone(),
            ));
        });
        if let Some(form) = doc.get_element_by_id(id) {
            let _ =
                form.add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref());
        }
        // The listeners live as long as the forms (a few per language chosen).
        on_submit.forget();
    }
}

/// The enrollment page in `root`: its bar once, and the forms, drawn again in the language
/// chosen (kept where the app reads it); what was typed in the code box stays.
fn enroll_screen(doc: Document, root: web_sys::Element, lang: Lang) {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    let (code, rejoin) = from_fragment(&hash);
    root.set_inner_html(&enroll_bar(lang));
    enroll_forms(&doc, lang, &code, &rejoin);
    let doc2 = doc.clone();
    let on_change = Closure::<dyn Fn(web_sys::Event)>::new(move |ev: web_sys::Event| {
        let Some(select) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
        else {
            return;
        };
        let chosen = Lang::from_code(&select.value()).unwrap_or(lang);
        let _ = select.set_attribute("aria-label", t(chosen, "Language"));
        if let Some(html) = doc2.document_element() {
            let _ = html.set_attribute("lang", chosen.code());
        }
        let typed = input(&doc2, "code").map(|i| i.value()).unwrap_or_default();
        enroll_forms(&doc2, chosen, &typed, &rejoin);
        wasm_bindgen_futures::spawn_local(async move {
            let _ = set_meta("ui_lang", &chosen.code()).await;
        });
    });
    if let Some(select) = doc.get_element_by_id("ui-lang") {
        let _ =
            select.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
    }
    on_change.forget();
}

#[wasm_bindgen(start)]
pub async fn start() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let lang = meta::<String>("ui_lang")
        .await
        .and_then(|code| Lang::from_code(&code))
        .unwrap_or(Lang::En);
    if let Some(html) = doc.document_element() {
        let _ = html.set_attribute("lang", lang.code());
    }
    if let Some(root) = doc.get_element_by_id("enroll-page") {
        return enroll_screen(doc, root, lang);
    }
    let Some(root) = doc.get_element_by_id("account") else {
        return;
    };
    let username = meta::<Enrollment>("enrollment")
        .await
        .map(|e| e.username)
        .unwrap_or_default();
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
