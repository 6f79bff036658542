//! The module's entry points, which the web client calls through `boot.js`'s
//! `barazaFiles()`: `keep` when a file is chosen, `take` for a photo with the camera in the
//! page, `scan` for a barcode question (where the browser has `BarcodeDetector`), `send` after
//! each sync (which also keeps the pictures and sounds forms show beside their labels),
//! `export_unsent` for "Export the responses on this phone".

use baraza_browser::device::{DB_NAME, FILES, FORMS, strict_transaction};
use baraza_browser::fetch::{fetch, fetch_file};
use idb::{Database, TransactionMode};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

use crate::Tree;

/// The most bytes one `PATCH` carries: a dropped connection costs at most this much again.
const PART: f64 = (1 << 20) as f64;

async fn database() -> Result<web_sys::IdbDatabase, JsValue> {
    Ok(baraza_browser::device::open(DB_NAME)
        .await
        .map_err(|e| JsValue::from_str(&e.to_string()))?
        .into())
}

fn failed(e: impl std::fmt::Display) -> JsValue {
    JsValue::from_str(&e.to_string())
}

/// Keeps a chosen file (a photo of kind `image` shrunk to `max_pixels` first) and gives the
/// answer that names it, as JSON text.
#[wasm_bindgen]
pub async fn keep(
    file: web_sys::File,
    kind: String,
    max_pixels: Option<u32>,
) -> Result<String, JsValue> {
    let chosen = file.name();
    let mut blob: Blob = file.into();
    let mut shrunk = false;
    if let (true, Some(px)) = (kind == "image", max_pixels)
        && let Some(small) = shrink(&blob, px).await?
    {
        blob = small;
        shrunk = true;
    }
    keep_blob(blob, &chosen, shrunk).await
}

/// Takes a photo (at most `max_pixels` on its longer side) with the camera in the page, or
/// the phone's camera app where the page may not use the camera, keeps it as a chosen one is
/// kept, and gives the answer that names it, as JSON text. An error when none is taken.
#[wasm_bindgen]
pub async fn take(max_pixels: Option<u32>) -> Result<String, JsValue> {
    use crate::camera;
    let none = || JsValue::from_str("no photo was taken");
    match camera::open().await {
        Some(stream) => {
            let photo = camera::photo(stream, max_pixels).await?.ok_or_else(none)?;
            keep_blob(photo, "photo.jpg", true).await
        }
        None => {
            let file = camera::chosen().await?.ok_or_else(none)?;
            keep(file, "image".into(), max_pixels).await
        }
    }
}

/// Reads a barcode or QR code with the camera in the page and the browser's
/// `BarcodeDetector`; its text. An error when none is read (no camera, cancelled).
#[wasm_bindgen]
pub async fn scan() -> Result<String, JsValue> {
    let stream = crate::camera::open()
        .await
        .ok_or_else(|| JsValue::from_str("no camera"))?;
    crate::camera::scan(stream)
        .await?
        .ok_or_else(|| JsValue::from_str("no code was read"))
}

/// Keeps a file's bytes in IndexedDB by their sha256; the answer that names them.
async fn keep_blob(blob: Blob, chosen: &str, shrunk: bool) -> Result<String, JsValue> {
    let bytes = js_sys::Uint8Array::new(&JsFuture::from(blob.array_buffer()).await?).to_vec();
    let sha = baraza_schema::wire::content_hash(&bytes)["sha256:".len()..].to_owned();
    let db = database().await?;
    let tx = strict_transaction(&db, &[FILES])?;
    tx.object_store(FILES)
        .map_err(failed)?
        .put(&blob, Some(&JsValue::from_str(&sha)))
        .map_err(failed)?
        .await
        .map_err(failed)?;
    if !tx
        .commit()
        .map_err(failed)?
        .await
        .map_err(failed)?
        .is_committed()
    {
        return Err(JsValue::from_str(
            "the file could not be kept on this phone",
        ));
    }
    let answer = serde_json::json!({
        "name": crate::file_name(&sha, chosen, shrunk),
        "sha256": sha,
        "size": bytes.len(),
    });
    Ok(answer.to_string())
}

/// A photo with its longer side at most `px`, as a JPEG; `None` when it is that small already.
async fn shrink(blob: &Blob, px: u32) -> Result<Option<Blob>, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let bitmap: web_sys::ImageBitmap = JsFuture::from(window.create_image_bitmap_with_blob(blob)?)
        .await?
        .dyn_into()?;
    let (w, h) = (bitmap.width(), bitmap.height());
    if w.max(h) <= px {
        return Ok(None);
    }
    let scale = f64::from(px) / f64::from(w.max(h));
    let (w, h) = (
        (f64::from(w) * scale).round().max(1.0),
        (f64::from(h) * scale).round().max(1.0),
    );
    let canvas = web_sys::OffscreenCanvas::new(w as u32, h as u32)?;
    let context: web_sys::OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or("no 2d context")?
        .dyn_into()?;
    context.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, w, h)?;
    let options = web_sys::ImageEncodeOptions::new();
    options.set_type("image/jpeg");
    options.set_quality(0.85);
    Ok(Some(
        JsFuture::from(canvas.convert_to_blob_with_options(&options)?)
            .await?
            .dyn_into()?,
    ))
}

/// Every file kept on this phone, with its sha256.
async fn kept(db: &web_sys::IdbDatabase) -> Result<Vec<(String, Blob)>, JsValue> {
    let tx = Database::from(db.clone())
        .transaction(&[FILES], TransactionMode::ReadOnly)
        .map_err(failed)?;
    let store = tx.object_store(FILES).map_err(failed)?;
    let keys = store
        .get_all_keys(None, None)
        .map_err(failed)?
        .await
        .map_err(failed)?;
    let files = store
        .get_all(None, None)
        .map_err(failed)?
        .await
        .map_err(failed)?;
    Ok(keys
        .into_iter()
        .zip(files)
        .filter_map(|(key, file)| Some((key.as_string()?, file.dyn_into::<Blob>().ok()?)))
        .collect())
}

/// Sends every file kept here that the server expects (its interview is held there), from
/// where the server stands, and deletes the copies a backup holds. A file whose interview has
/// not reached the server yet (404), or that is over the server's limit (413), waits. Then
/// keeps the pictures and sounds of forms that show them (`keep_media`). Fails with the HTTP
/// status that stopped it (0: the server could not be reached).
#[wasm_bindgen]
pub async fn send(token: String) -> Result<(), JsValue> {
    let db = database().await?;
    send_files(&db, &token).await?;
    keep_media(&db, &token).await
}

async fn send_files(db: &web_sys::IdbDatabase, token: &str) -> Result<(), JsValue> {
    for (sha, file) in kept(db).await? {
        let path = format!("/api/v1/attachments/{sha}");
        let mut reply = call(&path, token, None).await?;
        if matches!(reply.status(), 404 | 413) {
            continue;
        }
        let size = file.size();
        loop {
            let header = |name: &str| reply.headers().get(name).ok().flatten();
            let at: f64 = header("upload-offset")
                .and_then(|v| v.parse().ok())
                .unwrap_or(size);
            if at >= size {
                if header("baraza-backed-up").as_deref() == Some("yes") {
                    let tx = strict_transaction(db, &[FILES])?;
                    tx.object_store(FILES)
                        .map_err(failed)?
                        .delete(JsValue::from_str(&sha))
                        .map_err(failed)?
                        .await
                        .map_err(failed)?;
                    tx.commit().map_err(failed)?.await.map_err(failed)?;
                }
                break;
            }
            let part = file.slice_with_f64_and_f64(at, (at + PART).min(size))?;
            reply = call(&path, token, Some((&part, at))).await?;
        }
    }
    Ok(())
}

/// Keeps the pictures, sounds and videos the phone's forms show beside their labels and
/// choices, so that it shows them offline: each fetched with the device's credential, checked
/// against the sha256 its form's definition names, and put in the `media` cache as
/// `/media/<sha256>`, which the service worker answers. Files already kept are not fetched
/// again. Fails as `send` does (a file whose bytes are not the named ones: 502).
async fn keep_media(db: &web_sys::IdbDatabase, token: &str) -> Result<(), JsValue> {
    let tx = Database::from(db.clone())
        .transaction(&[FORMS], TransactionMode::ReadOnly)
        .map_err(failed)?;
    let forms = tx
        .object_store(FORMS)
        .map_err(failed)?
        .get_all(None, None)
        .map_err(failed)?
        .await
        .map_err(failed)?;
    let caches = web_sys::window().ok_or("no window")?.caches()?;
    let cache: web_sys::Cache = JsFuture::from(caches.open("media")).await?.into();
    for record in forms.iter().filter_map(|r| r.as_string()) {
        // Stored as the client's `FormRecord`, in JSON.
        let form = js_sys::JSON::parse(&record)?;
        let field = |name: &str| form.get(name).and_then(|v| v.text()).unwrap_or_default();
        let definition = field("definition");
        if !definition.contains("\"media\":{") {
            continue;
        }
        let (form_id, version) = (field("form_id"), field("version"));
        for (name, sha) in crate::form_media(&js_sys::JSON::parse(&definition)?) {
            let key = format!("/media/{sha}");
            if !JsFuture::from(cache.match_with_str(&key))
                .await?
                .is_undefined()
            {
                continue;
            }
            let name = String::from(js_sys::encode_uri_component(&name));
            let path = format!("/api/v1/forms/{form_id}/{version}/files/{name}");
            let reply = fetch("GET", &path, Some(token), None)
                .await
                .map_err(|_| JsValue::from_f64(0.0))?;
            if !reply.ok() {
                return Err(JsValue::from_f64(f64::from(reply.status())));
            }
            let blob: Blob = JsFuture::from(reply.blob()?).await?.into();
            let bytes =
                js_sys::Uint8Array::new(&JsFuture::from(blob.array_buffer()).await?).to_vec();
            if baraza_schema::wire::content_hash(&bytes)["sha256:".len()..] != sha {
                return Err(JsValue::from_f64(502.0));
            }
            let kept = web_sys::Response::new_with_opt_blob(Some(&blob))?;
            JsFuture::from(cache.put_with_str(&key, &kept)).await?;
        }
    }
    Ok(())
}

impl Tree for JsValue {
    fn get(&self, key: &str) -> Option<Self> {
        let v = self
            .is_object()
            .then(|| js_sys::Reflect::get(self, &key.into()).ok())??;
        (!v.is_undefined() && !v.is_null()).then_some(v)
    }
    fn text(&self) -> Option<String> {
        self.as_string()
    }
    fn items(&self) -> Vec<Self> {
        match js_sys::Array::is_array(self) {
            true => js_sys::Array::from(self).to_vec(),
            false => Vec::new(),
        }
    }
    fn entries(&self) -> Vec<(String, Self)> {
        if !self.is_object() || js_sys::Array::is_array(self) {
            return Vec::new();
        }
        let entries = js_sys::Object::entries(self.unchecked_ref());
        let pair = |e: JsValue| {
            let e = js_sys::Array::from(&e);
            Some((e.get(0).as_string()?, e.get(1)))
        };
        entries.iter().filter_map(pair).collect()
    }
}

/// Saves the phone's export `request` (the push request "Export the responses on this phone"
/// writes) as `<name>.zip` with every kept file its answers name — `unsent.json` and
/// `files/<sha256>`, which `POST /api/v1/sync/import` takes whole — or as `<name>.json` when
/// they name none.
#[wasm_bindgen]
pub async fn export_unsent(request: String, name: String) -> Result<(), JsValue> {
    let too_large = |_| JsValue::from_str("the export is larger than 4 GiB");
    // Only the files this export's answers name (each by its sha256).
    let named: Vec<(String, Blob)> = kept(&database().await?)
        .await?
        .into_iter()
        .filter(|(sha, _)| request.contains(sha.as_str()))
        .collect();
    let json = request.as_bytes();
    let parts = js_sys::Array::new();
    let options = web_sys::BlobPropertyBag::new();
    if named.is_empty() {
        parts.push(&js_sys::Uint8Array::from(json));
        options.set_type("application/json");
        let whole = Blob::new_with_blob_sequence_and_options(&parts, &options)?;
        return save(&whole, &format!("{name}.json"));
    }
    let mut zip = crate::Zip::default();
    let add = |zip: &mut crate::Zip, name: &str, bytes: &[u8], part: &JsValue| {
        let header = zip
            .entry(name, crate::crc32(bytes), bytes.len() as u64)
            .map_err(too_large)?;
        parts.push(&js_sys::Uint8Array::from(&header[..]));
        parts.push(part);
        Ok::<_, JsValue>(())
    };
    add(
        &mut zip,
        "unsent.json",
        json,
        &js_sys::Uint8Array::from(json),
    )?;
    for (sha, file) in named {
        let bytes = js_sys::Uint8Array::new(&JsFuture::from(file.array_buffer()).await?).to_vec();
        add(&mut zip, &format!("files/{sha}"), &bytes, &file)?;
    }
    parts.push(&js_sys::Uint8Array::from(
        &zip.finish().map_err(too_large)?[..],
    ));
    options.set_type("application/zip");
    let whole = Blob::new_with_blob_sequence_and_options(&parts, &options)?;
    save(&whole, &format!("{name}.zip"))
}

fn save(blob: &Blob, name: &str) -> Result<(), JsValue> {
    baraza_browser::fetch::save_blob(blob, name).map_err(|e| JsValue::from_str(&e))
}

/// One request of the upload: `HEAD`, or `PATCH` with a part and where it starts. A status
/// other than success and the waits above stops the sending.
async fn call(
    path: &str,
    token: &str,
    part: Option<(&Blob, f64)>,
) -> Result<web_sys::Response, JsValue> {
    let response = match part {
        None => fetch("HEAD", path, Some(token), None).await,
        Some((bytes, at)) => {
            let at = (at as u64).to_string();
            let offset = [("Upload-Offset", at.as_str())];
            let kind = "application/offset+octet-stream";
            fetch_file("PATCH", path, Some(token), bytes, kind, &offset).await
        }
    }
    .map_err(|_| JsValue::from_f64(0.0))?;
    if response.ok() || matches!(response.status(), 404 | 413) {
        Ok(response)
    } else {
        Err(JsValue::from_f64(f64::from(response.status())))
    }
}
