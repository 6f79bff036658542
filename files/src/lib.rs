//! Photos, recordings, videos and files on the phone: a module of its own, which the web
//! client fetches only when one of its forms asks for files (and the service worker keeps
//! once fetched), so the client's download stays within its budget.
//!
//! A chosen file (a photo shrunk first to the question's `max-pixels` on its longer side) is
//! kept in IndexedDB (`files`, by its sha256) the moment it is chosen, and the answer names
//! it by `{name, sha256, size}` (`schema::attachment`). Once the server holds the interview,
//! `send` gives it the file resumably (`HEAD` says how much it holds, `PATCH` sends the rest
//! in parts); the phone's copy is deleted only when the server says a backup holds the file,
//! as for interviews (DESIGN.md, guarantee 1).

#[cfg(target_arch = "wasm32")]
mod camera;
#[cfg(target_arch = "wasm32")]
mod web;

/// The camera dialog's words, in the page's language (`<html lang>`, which the client sets).
#[derive(Debug, PartialEq, Eq)]
pub struct CameraWords {
    pub camera: &'static str,
    pub take: &'static str,
    pub cancel: &'static str,
}

pub fn camera_words(lang: &str) -> CameraWords {
    match lang {
        "fr" => CameraWords {
            camera: "Appareil photo",
            take: "Prendre la photo",
            cancel: "Annuler",
        },
        "sw" => CameraWords {
            camera: "Kamera",
            take: "Piga picha",
            cancel: "Ghairi",
        },
        _ => CameraWords {
            camera: "Camera",
            take: "Take the photo",
            cancel: "Cancel",
        },
    }
}

/// The name a kept file goes by: the start of its content's sha256, with the chosen file's
/// extension (`jpg` once shrunk), so that two files never share a name and the same file
/// chosen twice is one.
pub fn file_name(sha256: &str, chosen: &str, shrunk: bool) -> String {
    let ext = match shrunk {
        true => "jpg".to_owned(),
        false => chosen
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .filter(|e| {
                !e.is_empty() && e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric())
            })
            .unwrap_or_default(),
    };
    let stem = &sha256[..sha256.len().min(16)];
    match ext.is_empty() {
        true => stem.to_owned(),
        false => format!("{stem}.{ext}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_camera_speaks_the_pages_language_and_english_otherwise() {
        assert_eq!(camera_words("fr").take, "Prendre la photo");
        assert_eq!(camera_words("sw").cancel, "Ghairi");
        assert_eq!(camera_words("").take, "Take the photo");
        assert_eq!(camera_words("de").camera, "Camera");
    }

    #[test]
    fn a_kept_file_is_named_by_its_content_with_a_plain_extension() {
        let sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(
            file_name(sha, "IMG_2031.JPG", false),
            "0123456789abcdef.jpg"
        );
        assert_eq!(
            file_name(sha, "IMG_2031.heic", true),
            "0123456789abcdef.jpg"
        );
        assert_eq!(
            file_name(sha, "voice note.m4a", false),
            "0123456789abcdef.m4a"
        );
        assert_eq!(file_name(sha, "no extension", false), "0123456789abcdef");
        assert_eq!(file_name(sha, "x.<script>", false), "0123456789abcdef");
        assert_eq!(file_name(sha, "trailing.", false), "0123456789abcdef");
        assert!(baraza_schema::attachment::valid_name(&file_name(
            sha, "a/b.c/d", false
        )));
    }
}
