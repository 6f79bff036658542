//! Wire types: what crosses between a device and the server, fixed here so that both sides
//! (and outside tools) agree byte for byte. See DESIGN.md, Sync.
//!
//! - **payload**: the answers as JSON, serialized once by the client; those exact bytes are
//!   stored, hashed and carried in the envelope as a JSON *string*.
//! - `content_hash = "sha256:" + hex(sha256(payload_bytes))`.
//! - `rev = n + "-" + first 32 hex digits of sha256(parent_rev ‖ 0x00 ‖ form_id ‖ 0x00 ‖
//!   form_version ‖ 0x00 ‖ payload_bytes)`, with `parent_rev` empty for `n = 1`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::validate::Issue;

/// Version of these wire types; bumped on any incompatible change.
pub const WIRE_VERSION: u32 = 1;

pub fn content_hash(payload: &[u8]) -> String {
    format!("sha256:{}", crate::hex(&Sha256::digest(payload)))
}

/// The revision id of a payload saved on top of `parent_rev` (`None` for the first save).
pub fn rev(parent_rev: Option<&str>, form_id: &str, form_version: &str, payload: &[u8]) -> String {
    let n = parent_rev.and_then(rev_number).map_or(1, |p| p + 1);
    let mut h = Sha256::new();
    h.update(parent_rev.unwrap_or("").as_bytes());
    h.update([0]);
    h.update(form_id.as_bytes());
    h.update([0]);
    h.update(form_version.as_bytes());
    h.update([0]);
    h.update(payload);
    let hex = crate::hex(&h.finalize());
    format!("{n}-{}", &hex[..32])
}

/// The `n` of a rev `n-hash`.
pub fn rev_number(rev: &str) -> Option<u64> {
    let (n, hash) = rev.split_once('-')?;
    let ok = hash.len() == 32
        && hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    n.parse().ok().filter(|n| *n >= 1 && ok)
}

/// Whether revision `a` of a response is newer than revision `b`: the higher generation,
/// then the greater rev. The one rule for "newest": the server picks a response's head this
/// way among its leaves (`ORDER BY rev_n DESC, rev DESC`), the client shows a supervisor's
/// correction only when it is newer than the device's revision, and this phone's figures
/// count each response at its newest. A revision built on another always has the higher
/// generation, so the newest of all is always a leaf.
pub fn is_newer(a: &str, b: &str) -> bool {
    (rev_number(a), a) > (rev_number(b), b)
}

/// One finalized revision as a device sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushItem {
    /// Dense per device, from 1, assigned when the revision entered the outbox.
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 9_223_372_036_854_775_807_u64)
    )]
    pub device_seq: u64,
    /// Client-generated (UUIDv7).
    pub response_id: String,
    pub rev: String,
    #[serde(default)]
    pub parent_rev: Option<String>,
    pub form_id: String,
    pub form_version: String,
    pub content_hash: String,
    /// The payload bytes, as a JSON string.
    pub payload: String,
    /// The device's clock when the revision was saved: data only, it orders nothing.
    #[serde(default)]
    pub saved_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    pub device_id: String,
    pub items: Vec<PushItem>,
    /// Only in a file a phone exported: the user it was enrolled for, so that a server
    /// restored from a backup older than the phone's enrollment can still import it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The lowest `device_seq` the device still holds. A device deletes only what a backup
    /// covers, so this is above the server's acknowledgement + 1 only when the server was
    /// restored from a backup older than the one that covered the items between: the server
    /// then counts those as acknowledged (they are gone from the phone; the gap is audited),
    /// or what the phone still holds would never be acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 9_223_372_036_854_775_807_u64)
    )]
    pub held_from: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ItemStatus {
    /// Committed now.
    Stored,
    /// Already held; nothing changed.
    Duplicate,
    /// Committed, but a sibling revision exists: both are kept and the response is flagged.
    Conflict,
    /// Kept in quarantine with a reason code; a supervisor decides.
    Quarantined,
    /// Nothing committed for this item; send it again later.
    Retry,
}

/// Why an item went to quarantine. Stable codes: clients and tools match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum QuarantineCode {
    /// `content_hash` is not the sha256 of the payload bytes.
    HashMismatch,
    /// `rev` is not what the payload, parent and form give.
    RevMismatch,
    /// The same `(response_id, rev)` is already held with other content.
    RevCollision,
    UnknownForm,
    FormClosed,
    /// The payload is not a JSON object.
    InvalidJson,
    /// The answers break the form's rules; `issues` says how.
    InvalidAnswers,
    /// The same device sequence number was used before for a different revision.
    SeqReused,
    /// Malformed identifiers (response id, rev, sequence).
    Malformed,
}

impl QuarantineCode {
    pub fn as_str(self) -> &'static str {
        match self {
            QuarantineCode::HashMismatch => "hash_mismatch",
            QuarantineCode::RevMismatch => "rev_mismatch",
            QuarantineCode::RevCollision => "rev_collision",
            QuarantineCode::UnknownForm => "unknown_form",
            QuarantineCode::FormClosed => "form_closed",
            QuarantineCode::InvalidJson => "invalid_json",
            QuarantineCode::InvalidAnswers => "invalid_answers",
            QuarantineCode::SeqReused => "seq_reused",
            QuarantineCode::Malformed => "malformed",
        }
    }

    pub fn parse(s: &str) -> Option<QuarantineCode> {
        ALL_CODES.iter().copied().find(|c| c.as_str() == s)
    }
}

const ALL_CODES: [QuarantineCode; 9] = [
    QuarantineCode::HashMismatch,
    QuarantineCode::RevMismatch,
    QuarantineCode::RevCollision,
    QuarantineCode::UnknownForm,
    QuarantineCode::FormClosed,
    QuarantineCode::InvalidJson,
    QuarantineCode::InvalidAnswers,
    QuarantineCode::SeqReused,
    QuarantineCode::Malformed,
];

/// Why an item is refused before its form is looked up: a quarantine code and a detail for
/// the supervisor.
pub type Refusal = (QuarantineCode, String);

fn valid_response_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The wire rules an item must meet before anything else is read: well-formed identifiers,
/// `content_hash` of the exact payload bytes, and `rev` recomputed from parent, form and
/// payload (DESIGN.md, Sync).
pub fn check_item(item: &PushItem) -> Result<(), Refusal> {
    let bytes = item.payload.as_bytes();
    if !valid_response_id(&item.response_id) || rev_number(&item.rev).is_none() {
        return Err((
            QuarantineCode::Malformed,
            "response_id or rev is malformed".into(),
        ));
    }
    if content_hash(bytes) != item.content_hash {
        return Err((
            QuarantineCode::HashMismatch,
            format!("content_hash should be {}", content_hash(bytes)),
        ));
    }
    let expected = rev(
        item.parent_rev.as_deref(),
        &item.form_id,
        &item.form_version,
        bytes,
    );
    if expected != item.rev {
        return Err((
            QuarantineCode::RevMismatch,
            format!("rev should be {expected}"),
        ));
    }
    Ok(())
}

/// The answers an item carries: its payload must be a JSON object.
pub fn parse_payload(payload: &str) -> Result<serde_json::Value, Refusal> {
    match serde_json::from_str(payload) {
        Ok(v @ serde_json::Value::Object(_)) => Ok(v),
        Ok(_) => Err((
            QuarantineCode::InvalidJson,
            "the payload is not a JSON object".into(),
        )),
        Err(e) => Err((
            QuarantineCode::InvalidJson,
            format!("the payload is not JSON: {e}"),
        )),
    }
}

/// A push batch's own rule: sequence numbers start at 1 and are unique within the batch. A
/// batch that breaks it is refused whole (nothing is stored), with this sentence.
pub fn check_batch(req: &PushRequest) -> Result<(), String> {
    if let Some(from) = req.held_from {
        let lowest = req.items.iter().map(|i| i.device_seq).min();
        if from == 0 || from > i64::MAX as u64 || lowest.is_some_and(|l| l < from) {
            return Err(format!(
                "held_from {from} must be between 1 and the lowest device_seq sent"
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    match req
        .items
        .iter()
        .find(|i| i.device_seq == 0 || !seen.insert(i.device_seq))
    {
        Some(bad) => Err(format!(
            "device_seq {} is zero or repeated in the batch; sequence numbers start at 1 and are unique",
            bad.device_seq
        )),
        None => Ok(()),
    }
}

/// What the server decides about a pushed item before storing it.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Store it; these are its answers and the files they name.
    Accept {
        answers: serde_json::Value,
        files: Vec<crate::attachment::Attachment>,
    },
    /// Keep it in quarantine, with the reason and, for invalid answers, the issues.
    Quarantine {
        code: QuarantineCode,
        detail: String,
        issues: Vec<Issue>,
    },
}

/// The push verdict (DESIGN.md, Sync): the wire rules ([`check_item`]), then the form the item
/// names — `form(form_id, version)` gives the published form and whether it is closed, or
/// `None` when it is not published here — then the payload, then the form's rules as of
/// `today`. Anything but an error of `form` itself is a verdict, never a refusal.
pub fn verdict<F: std::ops::Deref<Target = crate::Form>, E>(
    item: &PushItem,
    today: crate::Date,
    form: impl FnOnce(&str, &str) -> Result<Option<(F, bool)>, E>,
) -> Result<Verdict, E> {
    let quarantine = |(code, detail): Refusal| Verdict::Quarantine {
        code,
        detail,
        issues: vec![],
    };
    if let Err(refusal) = check_item(item) {
        return Ok(quarantine(refusal));
    }
    let named = format!("form {}@{}", item.form_id, item.form_version);
    let Some((form, closed)) = form(&item.form_id, &item.form_version)? else {
        return Ok(quarantine((
            QuarantineCode::UnknownForm,
            format!("{named} is not published here"),
        )));
    };
    if closed {
        return Ok(quarantine((
            QuarantineCode::FormClosed,
            format!("{named} is closed"),
        )));
    }
    let answers = match parse_payload(&item.payload) {
        Ok(answers) => answers,
        Err(refusal) => return Ok(quarantine(refusal)),
    };
    let mut issues = crate::validate(&form, &answers, today);
    let files = crate::attachment::files(&form, &answers).unwrap_or_else(|clash| {
        issues.push(clash);
        Vec::new()
    });
    if let Some(first) = issues.first() {
        return Ok(Verdict::Quarantine {
            code: QuarantineCode::InvalidAnswers,
            detail: format!(
                "{} issue(s); first: {} {}",
                issues.len(),
                first.path,
                first.message
            ),
            issues,
        });
    }
    Ok(Verdict::Accept { answers, files })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemResult {
    pub device_seq: u64,
    pub status: ItemStatus,
    /// The server's sequence number of the stored revision (stored, duplicate, conflict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_seq: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<QuarantineCode>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<Issue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    /// Changes when the database is restored from a backup: re-push everything still held.
    pub server_epoch: String,
    /// Every item of this device up to here is durably held (stored or quarantined); the
    /// device may release its copies of them.
    pub acked_through_seq: u64,
    pub results: Vec<ItemResult>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newer_revision_has_the_higher_generation_then_the_greater_rev() {
        let (a2, b2) = (
            "2-00000000000000000000000000000000",
            "2-ffffffffffffffffffffffffffffffff",
        );
        let a10 = "10-00000000000000000000000000000000";
        assert!(is_newer(a10, b2), "10 after 2, not as text");
        assert!(
            is_newer(b2, a2) && !is_newer(a2, b2),
            "a tie goes to the greater rev"
        );
        assert!(!is_newer(a2, a2));
        assert!(
            is_newer(a2, "not a rev"),
            "a malformed rev is never the newest"
        );
    }

    #[test]
    fn rev_chains_number_and_hash_the_parent_form_and_payload() {
        let p = br#"{"a":1}"#;
        let r1 = rev(None, "f", "1", p);
        assert!(r1.starts_with("1-") && r1.len() == 34, "{r1}");
        assert_eq!(rev(None, "f", "1", p), r1, "deterministic");
        let r2 = rev(Some(&r1), "f", "1", p);
        assert!(r2.starts_with("2-"));
        assert_ne!(rev(None, "f", "2", p), r1, "form version is hashed");
        assert_ne!(
            rev(None, "f", "1", br#"{"a": 1}"#),
            r1,
            "exact bytes are hashed"
        );
        assert_eq!(rev_number(&r2), Some(2));
        assert_eq!(rev_number("0-00000000000000000000000000000000"), None);
        assert_eq!(rev_number("1-xyz"), None);
    }

    #[test]
    fn rev_matches_the_documented_construction() {
        // sha256("" ‖ 0 ‖ "f" ‖ 0 ‖ "1" ‖ 0 ‖ "{}"), first 32 hex digits.
        let mut h = Sha256::new();
        h.update(b"\0f\x001\0{}");
        let expected = format!("1-{}", &crate::hex(&h.finalize())[..32]);
        assert_eq!(rev(None, "f", "1", b"{}"), expected);
        assert_eq!(
            content_hash(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn quarantine_codes_are_stable_strings() {
        for c in ALL_CODES {
            assert_eq!(QuarantineCode::parse(c.as_str()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).ok(),
                Some(format!("\"{}\"", c.as_str()))
            );
        }
    }
}

/// A revision written on the server (a supervisor's correction) of a response a device sent,
/// for that device to apply (`GET /sync/pull`). `payload` holds the exact bytes, as in a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Correction {
    /// The server's sequence number; pulls page by it.
    pub server_seq: i64,
    pub response_id: String,
    pub rev: String,
    pub parent_rev: Option<String>,
    pub form_id: String,
    pub form_version: String,
    pub payload: String,
    /// The device's quarantined revision this one releases (a supervisor fixed it): the
    /// device shows that interview as resolved, whichever of the two revisions sorts newer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub releases: Option<String>,
}
