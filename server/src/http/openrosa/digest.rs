//! HTTP Digest sign-in (RFC 7616 with MD5 and `qop=auth`) as ODK Collect speaks it over
//! plain HTTP, offered only when `baraza serve --odk-digest` turns it on. The server keeps
//! each enumerator's MD5(username:realm:password) (`storage::users`, written with the
//! password); a nonce is the second it was made, signed with this process's key, and good for
//! five minutes. An old nonce, or one another server of the same database made, is answered
//! as stale: Collect signs again with a fresh one without asking the enumerator.
//!
//! Not kept: the nonce counts a client used. A request replayed within five minutes to the
//! same URL is accepted again; it acts as the same enumerator, and a submission sent twice
//! is stored once.

use axum::http::HeaderValue;
use md5::{Digest as _, Md5};
use sha2::Sha256;

use crate::storage::{DIGEST_REALM, random_token};

/// How long a nonce is good for.
const NONCE_SECS: u64 = 300;

/// Why a Digest sign-in was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The nonce is old or not this server's: sign again with a fresh one.
    Stale,
    /// Not the password of an enumerator who may sign in so.
    Wrong,
}

/// This process's nonces.
pub struct Nonces {
    key: String,
}

impl Default for Nonces {
    fn default() -> Nonces {
        Nonces {
            key: random_token(),
        }
    }
}

fn md5_hex(text: &str) -> String {
    baraza_schema::hex(&Md5::digest(text.as_bytes()))
}

fn seconds_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Compares two strings in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0, |d, (x, y)| d | (x ^ y)) == 0
}

impl Nonces {
    fn sign(&self, at: u64) -> String {
        let mac = Sha256::digest(format!("{}:{at:x}", self.key).as_bytes());
        baraza_schema::hex(&mac[..16])
    }

    /// The `WWW-Authenticate` value that asks for Digest, with a fresh nonce.
    pub fn challenge(&self, stale: bool) -> HeaderValue {
        let at = seconds_now();
        let value = format!(
            "Digest realm=\"{DIGEST_REALM}\", qop=\"auth\", algorithm=MD5, nonce=\"{at:x}.{}\"{}",
            self.sign(at),
            if stale { ", stale=true" } else { "" }
        );
        HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("Digest"))
    }

    /// Checks an `Authorization: Digest …` header's parameters (`given`) for a request of
    /// `method` to `uri` (its path and query), against the enumerator its username names
    /// (`found`: their id and Digest hash): the enumerator's id.
    pub fn check(
        &self,
        given: &str,
        method: &str,
        uri: &str,
        found: Option<(i64, String)>,
    ) -> Result<i64, Refused> {
        let p = |key: &str| param(given, key);
        let nonce = p("nonce").ok_or(Refused::Wrong)?;
        let (at, mac) = nonce.split_once('.').ok_or(Refused::Stale)?;
        let at = u64::from_str_radix(at, 16).map_err(|_| Refused::Stale)?;
        let now = seconds_now();
        if !same(&self.sign(at), mac) || at > now + 60 || now.saturating_sub(at) > NONCE_SECS {
            return Err(Refused::Stale);
        }
        let (user_id, ha1) = found.ok_or(Refused::Wrong)?;
        let signed_uri = p("uri").ok_or(Refused::Wrong)?;
        // The path and query as sent, or the whole URL (some clients send it so).
        let names_this = signed_uri == uri
            || signed_uri
                .split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
                == Some(uri);
        let md5_ok = p("algorithm").is_none_or(|a| a.eq_ignore_ascii_case("MD5"));
        if p("realm").as_deref() != Some(DIGEST_REALM) || !names_this || !md5_ok {
            return Err(Refused::Wrong);
        }
        let expected = match p("qop").as_deref() {
            Some("auth") => {
                let (nc, cnonce) = (
                    p("nc").ok_or(Refused::Wrong)?,
                    p("cnonce").ok_or(Refused::Wrong)?,
                );
                response(&ha1, &nonce, Some((&nc, &cnonce)), method, &signed_uri)
            }
            None => response(&ha1, &nonce, None, method, &signed_uri),
            Some(_) => return Err(Refused::Wrong),
        };
        let response = p("response").ok_or(Refused::Wrong)?;
        if same(&expected, &response.to_ascii_lowercase()) {
            Ok(user_id)
        } else {
            Err(Refused::Wrong)
        }
    }
}

/// The `response` a client with the password computes: `qop=auth`'s with its nonce count and
/// client nonce, or RFC 2069's without.
fn response(ha1: &str, nonce: &str, auth: Option<(&str, &str)>, method: &str, uri: &str) -> String {
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    match auth {
        Some((nc, cnonce)) => md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")),
        None => md5_hex(&format!("{ha1}:{nonce}:{ha2}")),
    }
}

/// One parameter of a Digest header's list (`key=value` or `key="value"`, comma-separated).
pub fn param(given: &str, key: &str) -> Option<String> {
    let mut rest = given.trim();
    while let Some((name, after)) = rest.split_once('=') {
        let after = after.trim_start();
        let (value, next) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"')?;
                (&quoted[..end], &quoted[end + 1..])
            }
            None => {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim(), &after[end..])
            }
        };
        if name.trim().eq_ignore_ascii_case(key) {
            return Some(value.to_owned());
        }
        rest = next.trim_start().trim_start_matches(',').trim_start();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7616's own example (section 3.9.1, MD5): Mufasa's request for /dir/index.html.
    #[test]
    fn the_response_computed_is_the_rfcs_example() {
        let ha1 = md5_hex("Mufasa:http-auth@example.org:Circle of Life");
        let nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
        let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
        assert_eq!(
            response(
                &ha1,
                nonce,
                Some(("00000001", cnonce)),
                "GET",
                "/dir/index.html"
            ),
            "8ca523f5e9506fed4657c9700eebdbec"
        );
    }

    /// A Collect-like header for amina's `password` (and the hash the server keeps for
    /// "the-right-one").
    fn header(nonce: &str, password: &str, uri: &str) -> (String, String) {
        let ha1 = md5_hex(&format!("amina:{DIGEST_REALM}:{password}"));
        let response = response(&ha1, nonce, Some(("00000001", "0a4f113b")), "GET", uri);
        (
            format!(
                "username=\"amina\", realm=\"{DIGEST_REALM}\", nonce=\"{nonce}\", uri=\"{uri}\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"0a4f113b\", response=\"{response}\""
            ),
            md5_hex(&format!("amina:{DIGEST_REALM}:the-right-one")),
        )
    }

    fn fresh_nonce(nonces: &Nonces) -> String {
        let challenge = nonces.challenge(false);
        param(
            challenge
                .to_str()
                .expect("ASCII")
                .trim_start_matches("Digest "),
            "nonce",
        )
        .expect("a nonce")
    }

    #[test]
    fn the_right_password_signs_in_and_a_wrong_one_a_wrong_url_or_an_old_or_foreign_nonce_does_not()
    {
        let nonces = Nonces::default();
        let nonce = fresh_nonce(&nonces);
        let (given, ha1) = header(&nonce, "the-right-one", "/formList");
        let found = || Some((7, ha1.clone()));
        assert_eq!(nonces.check(&given, "GET", "/formList", found()), Ok(7));
        assert_eq!(
            nonces.check(&given, "GET", "/formList", None),
            Err(Refused::Wrong),
            "no such enumerator"
        );
        assert_eq!(
            nonces.check(&given, "GET", "/submission", found()),
            Err(Refused::Wrong),
            "signed for another URL"
        );
        let (wrong, _) = header(&nonce, "a-wrong-one", "/formList");
        assert_eq!(
            nonces.check(&wrong, "GET", "/formList", found()),
            Err(Refused::Wrong)
        );
        let other = Nonces::default();
        assert_eq!(
            other.check(&given, "GET", "/formList", found()),
            Err(Refused::Stale),
            "another server's nonce"
        );
        let old = seconds_now() - NONCE_SECS - 1;
        let old = format!("{old:x}.{}", nonces.sign(old));
        let (given, _) = header(&old, "the-right-one", "/formList");
        assert_eq!(
            nonces.check(&given, "GET", "/formList", found()),
            Err(Refused::Stale)
        );
    }
}
