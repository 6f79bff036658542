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
//!
//! "Export the responses on this phone" comes here too when the phone has forms with files:
//! the export is then a zip of `unsent.json` and `files/<sha256>` for each kept file its
//! answers name (`Zip`), composed of the kept blobs themselves, so that a phone that can
//! never sync again loses no photo either.

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

/// A zip of uncompressed entries, written as the headers that go around the entries' bytes,
/// so that the bytes themselves (a phone's kept photos) are never copied into one buffer:
/// the browser composes the file from the headers and the kept blobs. No Zip64: an entry, and
/// the whole zip, stay under 4 GiB (the server takes no more).
#[derive(Debug, Default)]
pub struct Zip {
    central: Vec<u8>,
    /// Where the next entry starts.
    offset: u32,
    entries: u16,
}

/// Too much for a zip without Zip64.
#[derive(Debug, PartialEq, Eq)]
pub struct TooLarge;

/// MS-DOS date of 1980-01-01 (the zip's epoch): the entries carry no time of their own.
const DOS_DATE: u16 = 0x21;
/// The name is UTF-8.
const UTF8: u16 = 1 << 11;

impl Zip {
    /// The header to write before an entry of `size` bytes whose CRC-32 is `crc`.
    pub fn entry(&mut self, name: &str, crc: u32, size: u64) -> Result<Vec<u8>, TooLarge> {
        let size = u32::try_from(size).map_err(|_| TooLarge)?;
        let name_len = u16::try_from(name.len()).map_err(|_| TooLarge)?;
        self.entries = self.entries.checked_add(1).ok_or(TooLarge)?;
        let mut local = Vec::with_capacity(30 + name.len());
        local.extend(0x0403_4b50u32.to_le_bytes());
        for half in [20, UTF8, 0, 0, DOS_DATE] {
            local.extend(half.to_le_bytes());
        }
        for word in [crc, size, size] {
            local.extend(word.to_le_bytes());
        }
        local.extend(name_len.to_le_bytes());
        local.extend(0u16.to_le_bytes());
        local.extend(name.as_bytes());
        self.central.extend(0x0201_4b50u32.to_le_bytes());
        for half in [20, 20, UTF8, 0, 0, DOS_DATE] {
            self.central.extend(half.to_le_bytes());
        }
        for word in [crc, size, size] {
            self.central.extend(word.to_le_bytes());
        }
        for half in [name_len, 0, 0, 0, 0] {
            self.central.extend(half.to_le_bytes());
        }
        self.central.extend(0u32.to_le_bytes());
        self.central.extend(self.offset.to_le_bytes());
        self.central.extend(name.as_bytes());
        self.offset = u32::try_from(local.len())
            .ok()
            .and_then(|l| self.offset.checked_add(l)?.checked_add(size))
            .ok_or(TooLarge)?;
        Ok(local)
    }

    /// The central directory and its end: what follows the last entry.
    pub fn finish(mut self) -> Result<Vec<u8>, TooLarge> {
        let size = u32::try_from(self.central.len()).map_err(|_| TooLarge)?;
        self.offset.checked_add(size).ok_or(TooLarge)?;
        self.central.extend(0x0605_4b50u32.to_le_bytes());
        for half in [0, 0, self.entries, self.entries] {
            self.central.extend(half.to_le_bytes());
        }
        self.central.extend(size.to_le_bytes());
        self.central.extend(self.offset.to_le_bytes());
        self.central.extend(0u16.to_le_bytes());
        Ok(self.central)
    }
}

/// CRC-32 (IEEE 802.3, as zip uses it). Written out here: the `crc32fast` crate's
/// slice-by-16 tables measured +22 KB gzipped in this module, for speed an export does not
/// need.
pub fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    !bytes.iter().fold(!0u32, |c, &b| {
        TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8)
    })
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

/// What `form_media` reads of JSON: in the browser, what `JSON.parse` made of a definition
/// (reading it with serde cost this module 28 KB gzipped, 2026-12-04); natively, for the
/// tests, `serde_json::Value`.
pub trait Tree: Sized {
    /// An object's member (`None` when absent or null, or not an object).
    fn get(&self, key: &str) -> Option<Self>;
    fn text(&self) -> Option<String>;
    /// An array's items (none when not an array).
    fn items(&self) -> Vec<Self>;
    /// An object's members (none when not an object).
    fn entries(&self) -> Vec<(String, Self)>;
}

/// The files a form shows beside its labels and choices (pictures, sounds, videos; not
/// `big-image`, the larger view that only ODK clients open), each with the sha256 its
/// definition (`schema::Form` as JSON) gives it, once each.
pub fn form_media<T: Tree>(definition: &T) -> Vec<(String, String)> {
    fn walk<T: Tree>(shown: Vec<T>, names: &mut std::collections::BTreeSet<String>) {
        for s in shown {
            for (kind, per_language) in s.get("media").map_or(Vec::new(), |m| m.entries()) {
                if kind != "big-image" {
                    names.extend(per_language.entries().iter().filter_map(|(_, n)| n.text()));
                }
            }
            if let Some(children) = s.get("children") {
                walk(children.items(), names);
            }
        }
    }
    let mut names = std::collections::BTreeSet::new();
    if let Some(fields) = definition.get("fields") {
        walk(fields.items(), &mut names);
    }
    for (_, list) in definition
        .get("choices")
        .map_or(Vec::new(), |c| c.entries())
    {
        walk(list.items(), &mut names);
    }
    let files = definition.get("files");
    names
        .into_iter()
        .filter_map(|n| {
            let sha = files.as_ref()?.get(&n)?.text()?;
            Some((n, sha))
        })
        .collect()
}

#[cfg(test)]
impl Tree for serde_json::Value {
    fn get(&self, key: &str) -> Option<Self> {
        self.as_object()?.get(key).filter(|v| !v.is_null()).cloned()
    }
    fn text(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }
    fn items(&self) -> Vec<Self> {
        self.as_array().cloned().unwrap_or_default()
    }
    fn entries(&self) -> Vec<(String, Self)> {
        self.as_object()
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forms_media_are_the_files_its_labels_and_choices_show_in_any_language() {
        let form = serde_json::json!({
            "settings": {"form_id": "f", "version": "1", "title": "F"},
            "fields": [
                {"name": "q", "kind": "text", "media": {
                    "image": {"English (en)": "pump.png", "Français (fr)": "pompe.png"},
                    "big-image": {"default": "big.jpg"},
                    "audio": {"default": "ask.mp3"}}},
                {"name": "g", "kind": "group", "children": [
                    {"name": "n", "kind": "note", "media": {"video": {"default": "how.mp4"}}}]},
                {"name": "media", "kind": "text"}
            ],
            "choices": {"pumps": [
                {"name": "hand", "media": {"image": {"default": "pump.png"}}},
                {"name": "x", "extra": {"media": "not-a-file.png"}}
            ]},
            "files": {"pump.png": "a1", "pompe.png": "b2", "big.jpg": "c3", "ask.mp3": "d4",
                "how.mp4": "e5", "wells.csv": "f6"}
        });
        assert_eq!(
            form_media(&form),
            [
                ("ask.mp3", "d4"),
                ("how.mp4", "e5"),
                ("pompe.png", "b2"),
                ("pump.png", "a1")
            ]
            .map(|(n, s)| (n.to_owned(), s.to_owned()))
        );
        assert_eq!(form_media(&serde_json::json!({"fields": []})), []);
        assert_eq!(form_media(&serde_json::json!("not a form")), []);
    }

    #[test]
    fn the_camera_speaks_the_pages_language_and_english_otherwise() {
        assert_eq!(camera_words("fr").take, "Prendre la photo");
        assert_eq!(camera_words("sw").cancel, "Ghairi");
        assert_eq!(camera_words("").take, "Take the photo");
        assert_eq!(camera_words("de").camera, "Camera");
    }

    #[test]
    fn a_zip_written_as_headers_around_the_entries_reads_back_whole() {
        let entries: [(&str, &[u8]); 3] = [
            ("unsent.json", br#"{"items":[]}"#),
            ("files/ab", &[0, 1, 2, 255, 254]),
            ("files/ëmpty", b""),
        ];
        let mut zip = Zip::default();
        let mut bytes = Vec::new();
        for (name, content) in entries {
            let crc = crc32(content);
            bytes.extend(
                zip.entry(name, crc, content.len() as u64)
                    .expect("an entry"),
            );
            bytes.extend(content);
        }
        bytes.extend(zip.finish().expect("the end"));
        let mut read = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
        assert_eq!(read.len(), 3);
        for (i, (name, content)) in entries.iter().enumerate() {
            let mut entry = read.by_index(i).expect("the entry");
            assert_eq!(entry.name().expect("its name"), *name);
            let mut got = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut got).expect("its bytes");
            assert_eq!(&got, content, "{name}");
        }
    }

    #[test]
    fn the_checksum_is_zips_crc_32() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    #[test]
    fn a_zip_past_four_gibibytes_is_refused_not_written_wrong() {
        let mut zip = Zip::default();
        assert_eq!(zip.entry("big", 0, 1 << 32), Err(TooLarge));
        assert!(zip.entry("a", 0, u32::MAX as u64 - 100).is_ok());
        assert_eq!(zip.entry("b", 0, 1000), Err(TooLarge));
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
