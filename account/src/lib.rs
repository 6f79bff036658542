//! The account page (`/account.html`): an enumerator changes their password from the phone,
//! whenever they choose or after an admin reset it (the server then refuses everything else,
//! enrolling included, until a new one is chosen). It needs the server — sign in, change, sign
//! out — so it is a page of its own, fetched only when opened, and the enumerator client's
//! download stays within its budget. What the page shows and says for each answer is decided
//! here and tested natively; the browser side (`web`) reads the phone's language and username
//! and sends the requests.

use baraza_browser::i18n::{Lang, Row};

#[cfg(target_arch = "wasm32")]
mod web;

/// The server's shortest password (`users::check_password`).
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The page's words, keyed by their English.
pub const WORDS: &[Row] = &[
    (
        "Change your password",
        "Changer votre mot de passe",
        "Badilisha nenosiri lako",
    ),
    (
        "This needs a connection. The phone stays enrolled, and what it holds is kept.",
        "Il faut une connexion. L'appareil reste inscrit et ce qu'il contient est conservé.",
        "Inahitaji mtandao. Kifaa kinabaki kimesajiliwa, na kilichomo kinahifadhiwa.",
    ),
    ("Username", "Nom d'utilisateur", "Jina la mtumiaji"),
    (
        "Current password (or the one your supervisor gave you)",
        "Mot de passe actuel (ou celui donné par votre superviseur)",
        "Nenosiri la sasa (au lile ulilopewa na msimamizi wako)",
    ),
    (
        "New password (at least 8 characters)",
        "Nouveau mot de passe (au moins 8 caractères)",
        "Nenosiri jipya (angalau herufi 8)",
    ),
    (
        "New password again",
        "Nouveau mot de passe, encore",
        "Nenosiri jipya tena",
    ),
    (
        "Change password",
        "Changer le mot de passe",
        "Badilisha nenosiri",
    ),
    ("Changing…", "Changement…", "Inabadilisha…"),
    (
        "Back to the app",
        "Retour à l'application",
        "Rudi kwenye programu",
    ),
    (
        "The two new passwords differ; type the same one twice.",
        "Les deux nouveaux mots de passe diffèrent ; tapez deux fois le même.",
        "Manenosiri mapya mawili yanatofautiana; andika lile lile mara mbili.",
    ),
    (
        "The new password needs at least 8 characters.",
        "Le nouveau mot de passe doit avoir au moins 8 caractères.",
        "Nenosiri jipya linahitaji angalau herufi 8.",
    ),
    (
        "Wrong username or current password.",
        "Nom d'utilisateur ou mot de passe actuel incorrect.",
        "Jina la mtumiaji au nenosiri la sasa si sahihi.",
    ),
    (
        "Too many tries from this phone; wait a minute and try again.",
        "Trop d'essais depuis cet appareil ; attendez une minute et réessayez.",
        "Majaribio mengi mno kutoka kifaa hiki; subiri dakika moja ujaribu tena.",
    ),
    (
        "The server cannot be reached; check the connection and try again.",
        "Le serveur est injoignable ; vérifiez la connexion et réessayez.",
        "Seva haifikiki; angalia mtandao ujaribu tena.",
    ),
    (
        "The server refused:",
        "Le serveur a refusé :",
        "Seva imekataa:",
    ),
    (
        "Your password is changed. Sign in with the new one from now on.",
        "Votre mot de passe est changé. Connectez-vous désormais avec le nouveau.",
        "Nenosiri lako limebadilishwa. Tumia jipya kuingia kuanzia sasa.",
    ),
];

/// `en` in `lang`.
pub fn t(lang: Lang, en: &'static str) -> &'static str {
    lang.pick(WORDS, en)
}

/// What is wrong with the new password as typed twice, before anything is sent.
pub fn check_new(new: &str, again: &str) -> Option<&'static str> {
    if new != again {
        Some("The two new passwords differ; type the same one twice.")
    } else if new.chars().count() < MIN_PASSWORD_CHARS {
        Some("The new password needs at least 8 characters.")
    } else {
        None
    }
}

/// What to say when signing in (`POST /auth/login`) or changing (`PUT /auth/password`)
/// answered `status`: a sentence of [`WORDS`], or `None` for the server's own message after
/// "The server refused:".
pub fn refusal(status: u16) -> Option<&'static str> {
    match status {
        // The sign-in, or the change proving the current password again.
        401 | 403 => Some("Wrong username or current password."),
        429 => Some("Too many tries from this phone; wait a minute and try again."),
        500.. => Some("The server cannot be reached; check the connection and try again."),
        _ => None,
    }
}

/// `text` safe inside HTML text and double-quoted attributes.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page in `lang`, the username filled in when the phone is enrolled.
pub fn page(lang: Lang, username: &str) -> String {
    let t = |en| t(lang, en);
    let field = |id: &str, label: &str, kind: &str, complete: &str, value: &str| {
        format!(
            r#"<label for="{id}">{label}</label><input id="{id}" type="{kind}" autocomplete="{complete}" value="{}" required>"#,
            escape(value)
        )
    };
    format!(
        r#"<main><section class="card"><h1>{}</h1><p>{}</p><form id="change">{}{}{}{}<button id="submit" class="primary" type="submit">{}</button></form><p id="error" class="error" role="alert"></p><p id="done" role="status"></p><p><a href="/">{}</a></p></section></main>"#,
        t("Change your password"),
        t("This needs a connection. The phone stays enrolled, and what it holds is kept."),
        field("username", t("Username"), "text", "username", username),
        field(
            "current",
            t("Current password (or the one your supervisor gave you)"),
            "password",
            "current-password",
            ""
        ),
        field(
            "new",
            t("New password (at least 8 characters)"),
            "password",
            "new-password",
            ""
        ),
        field(
            "again",
            t("New password again"),
            "password",
            "new-password",
            ""
        ),
        t("Change password"),
        t("Back to the app"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The literals the code passes as words: after `t(`, `t(lang,` and `Some(`, however
    /// rustfmt breaks the lines.
    fn keys_in(code: &str) -> Vec<String> {
        let mut keys = Vec::new();
        for marker in ["t(", "Some("] {
            for (i, _) in code.match_indices(marker) {
                let rest = code[i + marker.len()..].trim_start();
                let rest = rest.strip_prefix("lang,").unwrap_or(rest).trim_start();
                if let Some(text) = rest.strip_prefix('"') {
                    keys.push(text[..text.find('"').unwrap_or(0)].to_owned());
                }
            }
        }
        keys
    }

    #[test]
    fn every_sentence_the_page_says_is_in_three_languages_and_every_row_is_used() {
        // Everything after the table, and the browser side.
        let lib = include_str!("lib.rs")
            .split_once("];\n")
            .map_or("", |(_, rest)| rest);
        let lib = lib.split("#[cfg(test)]").next().unwrap_or_default();
        let used = keys_in(&[lib, include_str!("web.rs")].concat());
        assert!(used.len() > 10, "{used:?}");
        let wrong = baraza_browser::i18n::check_table(WORDS, &used);
        assert!(wrong.is_empty(), "{wrong:?}");
    }

    #[test]
    fn a_new_password_typed_differently_or_too_short_is_refused_before_anything_is_sent() {
        assert_eq!(
            check_new("long-enough-1", "long-enough-2"),
            Some("The two new passwords differ; type the same one twice.")
        );
        assert_eq!(
            check_new("short", "short"),
            Some("The new password needs at least 8 characters.")
        );
        assert_eq!(check_new("mamaé-2026", "mamaé-2026"), None);
        // Eight letters, not eight bytes: the server counts characters too.
        assert_eq!(check_new("éééééééé", "éééééééé"), None);
    }

    #[test]
    fn each_refusal_reads_as_a_sentence_and_the_rest_as_the_servers_message() {
        assert_eq!(refusal(401), Some("Wrong username or current password."));
        assert_eq!(refusal(403), Some("Wrong username or current password."));
        assert_eq!(
            refusal(429),
            Some("Too many tries from this phone; wait a minute and try again.")
        );
        assert_eq!(refusal(422), None);
        for (status, said) in [
            (401, "Wrong"),
            (429, "Too many"),
            (502, "cannot be reached"),
        ] {
            let key = refusal(status).expect("a sentence");
            assert!(key.contains(said));
            assert_ne!(t(Lang::Sw, key), key, "{key} in Swahili");
        }
    }

    #[test]
    fn the_page_names_every_box_and_cannot_be_broken_by_a_username() {
        let html = page(Lang::Fr, r#"a"><script>x</script>"#);
        assert!(html.contains("Changer votre mot de passe"));
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains(r#"value="a&quot;&gt;&lt;script&gt;x&lt;/script&gt;""#),
            "{html}"
        );
        for id in ["username", "current", "new", "again"] {
            assert!(
                html.contains(&format!(r#"<label for="{id}">"#)),
                "{id} has a label"
            );
            assert!(html.contains(&format!(r#"<input id="{id}""#)), "{id}");
        }
    }
}
