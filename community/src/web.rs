//! The browser side: reads the client's IndexedDB, computes, and shows the figures. The page
//! records how long reading and computing took (`data-load-ms`, `data-compute-ms` on
//! `#community`), which the benchmark reads.

use idb::{Factory, TransactionMode};
use wasm_bindgen::prelude::*;

use baraza_browser::device::{DB_NAME, FORMS, HEADS, META, OUTBOX};
use baraza_browser::i18n::Lang;
use baraza_schema::wire::Correction;

use crate::{FormRecord, OutboxRecord};

fn text_values<T: serde::de::DeserializeOwned>(values: Vec<JsValue>) -> Vec<T> {
    values
        .into_iter()
        .filter_map(|v| serde_json::from_str(&v.as_string()?).ok())
        .collect()
}

/// What the device holds: its forms, outbox and corrections.
type Loaded = (Vec<FormRecord>, Vec<OutboxRecord>, Vec<Correction>);

/// The forms, outbox and corrections on this device (all empty before the client's first
/// start), and the interface language its user chose.
async fn load() -> Result<(Loaded, Lang), String> {
    let e = |e: idb::Error| e.to_string();
    let db = Factory::new()
        .map_err(e)?
        .open(DB_NAME, None)
        .map_err(e)?
        .await
        .map_err(e)?;
    let stores = [FORMS, OUTBOX, HEADS, META];
    if !stores
        .iter()
        .all(|s| db.store_names().iter().any(|n| n == s))
    {
        return Ok((Default::default(), Lang::En));
    }
    let tx = db
        .transaction(&stores, TransactionMode::ReadOnly)
        .map_err(e)?;
    let mut all = Vec::new();
    for s in &stores[..3] {
        let request = tx
            .object_store(s)
            .map_err(e)?
            .get_all(None, None)
            .map_err(e)?;
        all.push(request.await.map_err(e)?);
    }
    // The client keeps its interface language as a JSON string in `meta`.
    let lang = tx
        .object_store(META)
        .map_err(e)?
        .get(JsValue::from_str("ui_lang"))
        .map_err(e)?
        .await
        .map_err(e)?
        .and_then(|v| v.as_string())
        .and_then(|v| serde_json::from_str::<String>(&v).ok())
        .and_then(|code| Lang::from_code(&code))
        .unwrap_or(Lang::En);
    db.close();
    let heads = all.pop().unwrap_or_default();
    let outbox = all.pop().unwrap_or_default();
    let forms = all.pop().unwrap_or_default();
    Ok((
        (text_values(forms), text_values(outbox), text_values(heads)),
        lang,
    ))
}

#[wasm_bindgen(start)]
pub async fn start() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(root) = window
        .document()
        .and_then(|d| d.get_element_by_id("community"))
    else {
        return;
    };
    let now = || window.performance().map_or(0.0, |p| p.now());
    let t0 = now();
    let loaded = load().await;
    let t1 = now();
    match loaded {
        Ok(((forms, outbox, heads), lang)) => {
            let forms: Vec<baraza_schema::Form> = forms
                .iter()
                .filter_map(|f| serde_json::from_str(&f.definition).ok())
                .collect();
            let figures = crate::figures(&forms, &crate::newest(outbox, heads));
            let t2 = now();
            root.set_inner_html(&crate::render(&forms, &figures, lang));
            let _ = root.set_attribute("data-load-ms", &(t1 - t0).to_string());
            let _ = root.set_attribute("data-compute-ms", &(t2 - t1).to_string());
        }
        Err(why) => root.set_inner_html(&format!(
            "<p>The interviews on this phone could not be read: {}</p>",
            crate::escape(&why)
        )),
    }
}
