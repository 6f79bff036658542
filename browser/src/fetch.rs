//! The API over `fetch`, same origin as the page. Every browser app sends through here.

use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// The server could not be reached (offline, reset, down), with the browser's words.
#[derive(Debug, Clone)]
pub struct Unreachable(pub String);

impl From<JsValue> for Unreachable {
    fn from(e: JsValue) -> Unreachable {
        Unreachable(format!("{e:?}"))
    }
}

/// Sends one request with a JSON `body` and a bearer `token` where given, and gives back the
/// response as it arrived, before its body is read.
pub async fn fetch(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Result<Response, Unreachable> {
    let body = body.map(JsValue::from_str);
    request(
        method,
        path,
        token,
        body.as_ref().map(|b| (b, "application/json")),
        &[],
    )
    .await
}

/// Sends a file (a `Blob`, such as a picked `File`) as the body, with its content type and
/// any other `headers`.
pub async fn fetch_file(
    method: &str,
    path: &str,
    token: Option<&str>,
    file: &web_sys::Blob,
    content_type: &str,
    headers: &[(&str, &str)],
) -> Result<Response, Unreachable> {
    request(
        method,
        path,
        token,
        Some((file.as_ref(), content_type)),
        headers,
    )
    .await
}

/// Sends several files as `multipart/form-data` (one part per file, named `files`, each with
/// its file name): the browser writes the body and its boundary (`new Response(formData)`).
pub async fn fetch_files(
    path: &str,
    token: Option<&str>,
    files: &web_sys::FileList,
) -> Result<Response, Unreachable> {
    let data = web_sys::FormData::new()?;
    for file in (0..files.length()).filter_map(|i| files.get(i)) {
        data.append_with_blob_and_filename("files", &file, &file.name())?;
    }
    // The boundary as written (a Blob's type would be lowercased, and so no longer match).
    let encoded = Response::new_with_opt_form_data(Some(&data))?;
    let kind = encoded.headers().get("Content-Type")?.unwrap_or_default();
    let body: web_sys::Blob = JsFuture::from(encoded.blob()?).await?.dyn_into()?;
    fetch_file("POST", path, token, &body, &kind, &[]).await
}

async fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&JsValue, &str)>,
    more: &[(&str, &str)],
) -> Result<Response, Unreachable> {
    let init = RequestInit::new();
    init.set_method(method);
    if let Some((b, _)) = body {
        init.set_body(b);
    }
    let request = Request::new_with_str_and_init(path, &init)?;
    let headers = request.headers();
    if let Some((_, content_type)) = body {
        headers.set("Content-Type", content_type)?;
    }
    if let Some(t) = token {
        headers.set("Authorization", &format!("Bearer {t}"))?;
    }
    for (name, value) in more {
        headers.set(name, value)?;
    }
    let window = web_sys::window().ok_or_else(|| Unreachable("no window".into()))?;
    Ok(JsFuture::from(window.fetch_with_request(&request))
        .await?
        .dyn_into()?)
}

/// Saves a response's body as a file named `name` (the browser's download).
pub async fn save(response: &Response, name: &str) -> Result<(), String> {
    let fail = |e: JsValue| format!("cannot save the file ({e:?})");
    let blob: web_sys::Blob = JsFuture::from(response.blob().map_err(fail)?)
        .await
        .map_err(fail)?
        .dyn_into()
        .map_err(fail)?;
    save_blob(&blob, name)
}

/// Saves `blob` as a file named `name` (the browser's download).
pub fn save_blob(blob: &web_sys::Blob, name: &str) -> Result<(), String> {
    let fail = |e: JsValue| format!("cannot save the file ({e:?})");
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(fail)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("cannot save the file: no document")?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(fail)?
        .dyn_into()
        .map_err(|_| "cannot save the file".to_owned())?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Opens an HTML document (a page the server rendered for printing) in a page of its own.
pub fn open_html(html: &str) -> Result<(), String> {
    let fail = |e: JsValue| format!("cannot open the page ({e:?})");
    let parts = js_sys::Array::of1(&JsValue::from_str(html));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/html;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let window = web_sys::window().ok_or("cannot open the page: no window")?;
    window
        .open_with_url_and_target(&url, "_blank")
        .map_err(fail)?
        .ok_or("the browser blocked the new page; allow pop-ups for this site")?;
    Ok(())
}

/// A reply: status, `Retry-After` seconds, body text.
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: String,
}

impl Reply {
    /// Reads a response's body as text.
    pub async fn read(response: &Response) -> Result<Reply, Unreachable> {
        let retry_after = response
            .headers()
            .get("Retry-After")
            .ok()
            .flatten()
            .and_then(|s| s.trim().parse().ok());
        let body = JsFuture::from(response.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        Ok(Reply {
            status: response.status(),
            retry_after,
            body,
        })
    }

    /// One text field of an error body (`api::ErrorBody`). Read as plain JSON: the client
    /// already parses JSON values, and a typed decoder per answer costs it kilobytes.
    fn error_field(&self, key: &str) -> Option<String> {
        let body: serde_json::Value = serde_json::from_str(&self.body).ok()?;
        Some(body.get(key)?.as_str()?.to_owned())
    }

    /// The stable error code of an error body (`api::ErrorBody::code`), or `http_<status>`.
    pub fn code(&self) -> String {
        self.error_field("code")
            .unwrap_or_else(|| format!("http_{}", self.status))
    }

    /// The human message of an error body (`api::ErrorBody::message`).
    pub fn message(&self) -> String {
        self.error_field("message")
            .unwrap_or_else(|| format!("the server answered {}", self.status))
    }

    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.body)
    }
}

/// [`fetch`], then [`Reply::read`].
pub async fn send(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Result<Reply, Unreachable> {
    Reply::read(&fetch(method, path, token, body).await?).await
}
