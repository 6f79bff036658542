//! Photos, recordings, videos and files are the `files` module's (`baraza-files`): a module of
//! its own, fetched through `boot.js`'s `barazaFiles()` only when a form asks for files (and
//! kept by the service worker once fetched), so this client's download stays within budget.

use baraza_schema::Kind;
use serde_json::Value as Json;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::store::FormRecord;
use crate::sync::RemoteError;

/// Calls the module's `name` with `args` (fetching and starting it the first time).
async fn call(name: &str, args: js_sys::Array) -> Result<JsValue, JsValue> {
    let load: js_sys::Function =
        js_sys::Reflect::get(&js_sys::global(), &"barazaFiles".into())?.dyn_into()?;
    let module = JsFuture::from(js_sys::Promise::from(load.call0(&JsValue::NULL)?)).await?;
    let f: js_sys::Function = js_sys::Reflect::get(&module, &name.into())?.dyn_into()?;
    JsFuture::from(js_sys::Promise::from(f.apply(&module, &args)?)).await
}

/// Whether any of these forms has a question answered by a file, a barcode (which the module
/// reads with the camera), or pictures and sounds beside labels (which it keeps).
pub fn asked_for(forms: &[FormRecord]) -> bool {
    forms.iter().any(|f| {
        [
            "\"kind\":\"image\"",
            "\"kind\":\"audio\"",
            "\"kind\":\"video\"",
            "\"kind\":\"file\"",
            "\"kind\":\"barcode\"",
            "\"media\":{",
        ]
        .iter()
        .any(|k| f.definition.contains(k))
    })
}

/// Keeps a chosen file (`Some`) or a photo taken with the camera in the page (`None`) on this
/// phone; the answer that names it.
pub async fn keep(
    file: Option<web_sys::File>,
    kind: Kind,
    max_pixels: Option<u32>,
) -> Result<Json, JsValue> {
    let px = max_pixels.map_or(JsValue::UNDEFINED, JsValue::from);
    let text = match file {
        Some(file) => call(
            "keep",
            js_sys::Array::of3(&file, &kind.as_str().into(), &px),
        ),
        None => call("take", js_sys::Array::of1(&px)),
    }
    .await?;
    serde_json::from_str(&text.as_string().unwrap_or_default())
        .map_err(|e| JsValue::from_str(&e.to_string()))
}

/// Saves the phone's export `request` as `name` (`boot.js`'s `barazaExport`: with the files
/// its answers name where the files module can be had).
pub fn export(request: &str, name: &str) {
    if let Ok(f) = js_sys::Reflect::get(&js_sys::global(), &"barazaExport".into())
        .and_then(|f| f.dyn_into::<js_sys::Function>())
    {
        let _ = f.call2(&JsValue::NULL, &request.into(), &name.into());
    }
}

/// A code read with the camera (where the browser has `BarcodeDetector`); `None` when none
/// is read.
pub async fn scan() -> Option<String> {
    call("scan", js_sys::Array::new()).await.ok()?.as_string()
}

/// Whether this browser reads codes (`BarcodeDetector`: Android's Chrome has it).
pub fn scans() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &"BarcodeDetector".into()).unwrap_or(false)
}

/// Sends the files the server expects and deletes the copies a backup holds; keeps the
/// pictures and sounds forms show beside their labels.
pub async fn send(token: &str) -> Result<(), RemoteError> {
    let status = match call("send", js_sys::Array::of1(&token.into())).await {
        Ok(_) => return Ok(()),
        Err(e) => e.as_f64().unwrap_or(0.0) as u16,
    };
    Err(match status {
        0 => RemoteError::Unreachable("sending a file".into()),
        401 => RemoteError::Unauthorized,
        429 | 502..=504 => RemoteError::Busy {
            retry_after_secs: None,
        },
        s => RemoteError::Refused {
            status: s,
            code: String::new(),
        },
    })
}
