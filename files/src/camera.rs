//! A photo taken with the camera inside the page (`getUserMedia`), or, where a page may not
//! use the camera (plain HTTP), with the phone's camera app through a chooser.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, Document, HtmlButtonElement, HtmlVideoElement, MediaStream};

fn button(document: &Document, text: &str) -> Result<HtmlButtonElement, JsValue> {
    let b: HtmlButtonElement = document.create_element("button")?.dyn_into()?;
    b.set_type("button");
    b.set_text_content(Some(text));
    b.set_attribute("style", "margin:0.5rem 0.5rem 0 0;min-height:44px")?;
    Ok(b)
}

/// The back camera, if the page may use one: not on a plain-HTTP page (browsers offer
/// `getUserMedia` only to secure pages), nor when the person refuses it or there is none.
pub async fn open() -> Option<MediaStream> {
    let window = web_sys::window()?;
    let constraints = web_sys::MediaStreamConstraints::new();
    let back = js_sys::Object::new();
    js_sys::Reflect::set(&back, &"facingMode".into(), &"environment".into()).ok()?;
    constraints.set_video(&back);
    let devices = window.navigator().media_devices().ok()?;
    let asked = devices.get_user_media_with_constraints(&constraints).ok()?;
    JsFuture::from(asked).await.ok()?.dyn_into().ok()
}

/// Without the camera in the page, the phone's own: a chooser that opens the camera app
/// (`capture`); the picture taken, or `None` when the person goes back.
pub async fn chosen() -> Result<Option<web_sys::File>, JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let input: web_sys::HtmlInputElement = document.create_element("input")?.dyn_into()?;
    input.set_type("file");
    input.set_accept("image/*");
    input.set_attribute("capture", "environment")?;
    let done = js_sys::Promise::new(&mut |resolve, _| {
        let on = || {
            let resolve = resolve.clone();
            Closure::once_into_js(move || resolve.call0(&JsValue::NULL))
                .unchecked_into::<js_sys::Function>()
        };
        input.set_onchange(Some(&on()));
        input.set_oncancel(Some(&on()));
    });
    input.click();
    JsFuture::from(done).await?;
    Ok(input.files().and_then(|l| l.get(0)))
}

/// The camera dialog's words in the page's language (`<html lang>`).
fn page_words() -> crate::CameraWords {
    let lang = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("lang"))
        .unwrap_or_default();
    crate::camera_words(&lang)
}

/// The camera in a modal dialog over the form (its video, then `buttons`), and a promise that
/// gives the button pressed (its index; Escape is the last one, Cancel).
fn show(
    stream: &MediaStream,
    buttons: &[&str],
) -> Result<
    (
        web_sys::HtmlDialogElement,
        HtmlVideoElement,
        Vec<HtmlButtonElement>,
        js_sys::Promise,
    ),
    JsValue,
> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let words = page_words();
    let dialog: web_sys::HtmlDialogElement = document.create_element("dialog")?.dyn_into()?;
    dialog.set_attribute("aria-label", words.camera)?;
    dialog.set_attribute("style", "padding:0.5rem;max-width:calc(100vw - 2rem)")?;
    let video: HtmlVideoElement = document.create_element("video")?.dyn_into()?;
    video.set_muted(true);
    video.set_autoplay(true);
    video.set_attribute("playsinline", "")?;
    video.set_attribute("aria-label", words.camera)?;
    video.set_attribute("style", "display:block;width:100%;max-height:70vh")?;
    video.set_src_object(Some(stream));
    dialog.append_child(&video)?;
    let mut made = Vec::new();
    for text in buttons.iter().copied().chain([words.cancel]) {
        let b = button(&document, text)?;
        dialog.append_child(&b)?;
        made.push(b);
    }
    document.body().ok_or("no body")?.append_child(&dialog)?;
    dialog.show_modal()?;
    let pressed = js_sys::Promise::new(&mut |resolve, _| {
        let answer = |i: usize| {
            let resolve = resolve.clone();
            Closure::once_into_js(move || resolve.call1(&JsValue::NULL, &(i as u32).into()))
                .unchecked_into::<js_sys::Function>()
        };
        for (i, b) in made.iter().enumerate() {
            b.set_onclick(Some(&answer(i)));
        }
        dialog.set_oncancel(Some(&answer(made.len() - 1)));
    });
    Ok((dialog, video, made, pressed))
}

/// Releases the camera and closes its dialog.
fn close(stream: &MediaStream, dialog: &web_sys::HtmlDialogElement) {
    for track in stream.get_tracks() {
        track.unchecked_into::<web_sys::MediaStreamTrack>().stop();
    }
    dialog.remove();
}

/// Shows the camera in a dialog over the form and gives the photo taken: a JPEG with its
/// longer side at most `max_pixels`; `None` when the person cancels (a button, or Escape).
/// The camera is released either way.
pub async fn photo(stream: MediaStream, max_pixels: Option<u32>) -> Result<Option<Blob>, JsValue> {
    let (dialog, video, buttons, pressed) = show(&stream, &[page_words().take])?;
    // The photo can be taken once the camera shows something.
    let take = buttons[0].clone();
    take.set_disabled(true);
    video.set_onplaying(Some(
        &Closure::once_into_js(move || take.set_disabled(false)).unchecked_into(),
    ));
    let took = JsFuture::from(pressed).await?.as_f64() == Some(0.0);
    let photo = match took {
        true => frame(&video, max_pixels).await.map(Some),
        false => Ok(None),
    };
    close(&stream, &dialog);
    photo
}

/// Shows the camera in a dialog over the form until the browser's `BarcodeDetector` reads a
/// code in it (looking four times a second); the code's text, or `None` when the person
/// cancels. The camera is released either way.
pub async fn scan(stream: MediaStream) -> Result<Option<String>, JsValue> {
    let class: js_sys::Function =
        js_sys::Reflect::get(&js_sys::global(), &"BarcodeDetector".into())?.dyn_into()?;
    let detector = js_sys::Reflect::construct(&class, &js_sys::Array::new())?;
    let detect: js_sys::Function = js_sys::Reflect::get(&detector, &"detect".into())?.dyn_into()?;
    let (dialog, video, _, pressed) = show(&stream, &[])?;
    let cancelled = std::rc::Rc::new(std::cell::Cell::new(false));
    let flag = cancelled.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = JsFuture::from(pressed).await;
        flag.set(true);
    });
    let mut code = None;
    while !cancelled.get() && code.is_none() {
        let wait = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 250);
            }
        });
        JsFuture::from(wait).await?;
        // A frame not ready yet is an error of the detector's: look again.
        let Ok(found) = detect.call1(&detector, &video) else {
            continue;
        };
        if let Ok(found) = JsFuture::from(js_sys::Promise::from(found)).await {
            code = js_sys::Array::from(&found).iter().find_map(|c| {
                js_sys::Reflect::get(&c, &"rawValue".into())
                    .ok()?
                    .as_string()
            });
        }
    }
    close(&stream, &dialog);
    Ok(code)
}

/// What the camera shows now, as a JPEG with its longer side at most `max_pixels`.
async fn frame(video: &HtmlVideoElement, max_pixels: Option<u32>) -> Result<Blob, JsValue> {
    let (w, h) = (
        f64::from(video.video_width()),
        f64::from(video.video_height()),
    );
    let scale = max_pixels.map_or(1.0, |px| (f64::from(px) / w.max(h)).min(1.0));
    let (w, h) = ((w * scale).round().max(1.0), (h * scale).round().max(1.0));
    let canvas = web_sys::OffscreenCanvas::new(w as u32, h as u32)?;
    let context: web_sys::OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or("no 2d context")?
        .dyn_into()?;
    context.draw_image_with_html_video_element_and_dw_and_dh(video, 0.0, 0.0, w, h)?;
    let options = web_sys::ImageEncodeOptions::new();
    options.set_type("image/jpeg");
    options.set_quality(0.85);
    JsFuture::from(canvas.convert_to_blob_with_options(&options)?)
        .await?
        .dyn_into()
}
