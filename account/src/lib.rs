//! The enumerator's account pages, which need the server and are fetched only when opened, so
//! the enumerator client's download stays within its budget:
//!
//! - `/enroll.html`: a phone enrolls once, online — with the enumerator's password or a
//!   supervisor's one-time code (`#enroll=CODE` from the QR code) — and signs in again the
//!   same way when a restored server no longer knows it (`#rejoin=<device id>:<first held
//!   sequence number>`, from the app). The enrollment goes into the app's IndexedDB and the
//!   page hands over to the app.
//! - `/account.html`: an enumerator changes their password from the phone, whenever they
//!   choose or after an admin reset it (the server then refuses everything else, enrolling
//!   included, until a new one is chosen).
//!
//! What the pages show and say for each answer is decided here and tested natively; the
//! browser side (`web`) reads and writes the phone's language and enrollment and sends the
//! requests.

use baraza_browser::i18n::{Lang, Row};

#[cfg(target_arch = "wasm32")]
mod web;

/// The server's shortest password (`users::check_password`).
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The pages' words, keyed by their English.
pub const WORDS: &[Row] = &[
    ("Language", "Langue", "Lugha"),
    (
        "Enroll this device",
        "Inscrire cet appareil",
        "Sajili kifaa hiki",
    ),
    (
        "Sign in once while online. After that you can collect without a connection.",
        "Connectez-vous une fois en ligne. Ensuite, vous pouvez collecter sans connexion.",
        "Ingia mara moja ukiwa mtandaoni. Baada ya hapo unaweza kukusanya bila mtandao.",
    ),
    ("Sign in again", "Se reconnecter", "Ingia tena"),
    (
        "The server no longer knows this phone. Sign in again to keep sending; nothing on it is lost.",
        "Le serveur ne connaît plus cet appareil. Reconnectez-vous pour continuer l'envoi ; rien n'y est perdu.",
        "Seva haikitambui tena kifaa hiki. Ingia tena ili uendelee kutuma; hakuna kinachopotea.",
    ),
    ("Password", "Mot de passe", "Nenosiri"),
    (
        "Sign in and enroll",
        "Se connecter et inscrire",
        "Ingia na usajili",
    ),
    ("Enrolling…", "Inscription…", "Inasajili…"),
    (
        "Or type the one-time code your supervisor gives you.",
        "Ou saisissez le code à usage unique que votre superviseur vous donne.",
        "Au andika msimbo wa mara moja anaokupa msimamizi wako.",
    ),
    ("Enrollment code", "Code d'inscription", "Msimbo wa usajili"),
    (
        "Enroll with the code",
        "S'inscrire avec le code",
        "Sajili kwa msimbo",
    ),
    (
        "Wrong username or password.",
        "Nom d'utilisateur ou mot de passe incorrect.",
        "Jina la mtumiaji au nenosiri si sahihi.",
    ),
    (
        "That code is wrong, already used or expired. Ask your supervisor for a new one.",
        "Ce code est faux, déjà utilisé ou expiré. Demandez-en un nouveau à votre superviseur.",
        "Msimbo huo si sahihi, umeshatumika au umekwisha muda. Omba mpya kwa msimamizi wako.",
    ),
    (
        "Your password was reset: choose a new one first (Change your password, below).",
        "Votre mot de passe a été réinitialisé : choisissez-en d'abord un nouveau (Changer votre mot de passe, ci-dessous).",
        "Nenosiri lako liliwekwa upya: chagua jipya kwanza (Badilisha nenosiri lako, hapa chini).",
    ),
    (
        "This phone's storage could not be written. Free some space, then try again; nothing already saved is lost.",
        "Le stockage de ce téléphone n'a pas pu être écrit. Libérez de l'espace puis réessayez ; rien de déjà enregistré n'est perdu.",
        "Hifadhi ya simu hii haikuweza kuandikwa. Ondoa vitu ili kupata nafasi, kisha ujaribu tena; kilichohifadhiwa hakipotei.",
    ),
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

/// What enrolling says when the server answered `status` with `body`: to a sign-in with a
/// password (`by_code` false), or to a one-time code; `None` for the server's own message
/// after "The server refused:" (a rejoin refused, for one, says why).
pub fn enroll_refusal(status: u16, body: &str, by_code: bool) -> Option<&'static str> {
    match status {
        401 if by_code => {
            Some("That code is wrong, already used or expired. Ask your supervisor for a new one.")
        }
        401 => Some("Wrong username or password."),
        // An admin reset the password: a new one first, on the password page.
        403 if body.contains("password_change_required") => {
            Some("Your password was reset: choose a new one first (Change your password, below).")
        }
        429 => Some("Too many tries from this phone; wait a minute and try again."),
        500.. => Some("The server cannot be reached; check the connection and try again."),
        _ => None,
    }
}

/// The page's address fragment: a supervisor's one-time code (`#enroll=CODE`, from the QR
/// code) to fill in, or the `api::Rejoin` body (as JSON) of a phone signing in again
/// (`#rejoin=<device id>:<first held sequence number>`, from the app). Anything else is
/// neither: a first enrollment with an empty code.
pub fn from_fragment(hash: &str) -> (String, Option<String>) {
    if let Some(code) = hash.strip_prefix("#enroll=") {
        return (code.to_owned(), None);
    }
    let rejoin = hash
        .strip_prefix("#rejoin=")
        .and_then(|r| r.split_once(':'))
        .filter(|(id, seq)| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
                && seq.parse::<u64>().is_ok_and(|n| n >= 1)
        })
        .map(|(id, seq)| format!(r#"{{"device_id":"{id}","first_seq":{seq}}}"#));
    (String::new(), rejoin)
}

/// The enrollment page's bar, with the interface languages (drawn once: choosing one draws
/// [`enroll_form`] again beside it).
pub fn enroll_bar(lang: Lang) -> String {
    let options: String = Lang::ALL
        .iter()
        .map(|l| {
            let on = if *l == lang { " selected" } else { "" };
            format!(r#"<option value="{}"{on}>{}</option>"#, l.code(), l.name())
        })
        .collect();
    format!(
        r#"<header class="bar"><strong>Baraza</strong><select id="ui-lang" aria-label="{}">{options}</select></header><div id="enroll-main"></div>"#,
        t(lang, "Language")
    )
}

/// The enrollment forms in `lang`: the code filled in; titled "Sign in again" and saying why
/// when the phone is `rejoining`.
pub fn enroll_form(lang: Lang, code: &str, rejoining: bool) -> String {
    let t = |en| t(lang, en);
    let (title, intro) = if rejoining {
        (
            t("Sign in again"),
            t(
                "The server no longer knows this phone. Sign in again to keep sending; nothing on it is lost.",
            ),
        )
    } else {
        (
            t("Enroll this device"),
            t("Sign in once while online. After that you can collect without a connection."),
        )
    };
    format!(
        r#"<main><section class="card"><h1>{}</h1><p>{}</p><form id="by-password"><label for="username">{}</label><input id="username" autocomplete="username" required><label for="password">{}</label><input id="password" type="password" autocomplete="current-password" required><button id="enroll" class="primary" type="submit">{}</button></form><form id="by-code"><p>{}</p><label for="code">{}</label><input id="code" autocomplete="one-time-code" autocapitalize="characters" value="{}" required><button id="enroll-code" type="submit">{}</button></form><p id="error" class="error" role="alert"></p><p><a href="/account.html">{}</a></p></section></main>"#,
        title,
        intro,
        t("Username"),
        t("Password"),
        t("Sign in and enroll"),
        t("Or type the one-time code your supervisor gives you."),
        t("Enrollment code"),
        escape(code),
        t("Enroll with the code"),
        t("Change your password"),
    )
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
    fn the_enrollment_page_fills_a_code_from_the_qr_link_and_says_why_a_phone_signs_in_again() {
        assert_eq!(
            from_fragment("#enroll=K7QF-2M9X"),
            ("K7QF-2M9X".into(), None)
        );
        let (code, rejoin) = from_fragment("#rejoin=0c6f5a3e-9d1b-4e7a-8c2f-5b4d3a2e1f00:3");
        assert_eq!(code, "");
        assert_eq!(
            rejoin.as_deref(),
            Some(r#"{"device_id":"0c6f5a3e-9d1b-4e7a-8c2f-5b4d3a2e1f00","first_seq":3}"#)
        );
        // What is not a device id and a number from 1 is no rejoin (the JSON cannot be
        // broken into).
        for bad in [
            "#rejoin=x\",:1",
            "#rejoin=abc:0",
            "#rejoin=abc",
            "#rejoin=:4",
            "#rejoin=abc:4}",
            "",
        ] {
            assert_eq!(from_fragment(bad), (String::new(), None), "{bad}");
        }
        let first = enroll_form(Lang::Sw, r#"A"><b>"#, false);
        assert!(first.contains("<h1>Sajili kifaa hiki</h1>"), "{first}");
        assert!(first.contains(r#"value="A&quot;&gt;&lt;b&gt;""#), "{first}");
        let bar = enroll_bar(Lang::Sw);
        assert!(bar.contains(r#"aria-label="Lugha""#), "{bar}");
        assert!(bar.contains(r#"<option value="sw" selected>Kiswahili</option>"#));
        for id in ["username", "password", "code"] {
            assert!(first.contains(&format!(r#"<label for="{id}">"#)), "{id}");
        }
        let again = enroll_form(Lang::En, "", true);
        assert!(again.contains("<h1>Sign in again</h1><p>The server no longer knows this phone."));
    }

    #[test]
    fn each_enrollment_refusal_is_a_sentence_for_a_password_or_a_code() {
        assert_eq!(
            enroll_refusal(401, "", false),
            Some("Wrong username or password.")
        );
        assert_eq!(
            enroll_refusal(401, "", true),
            Some("That code is wrong, already used or expired. Ask your supervisor for a new one.")
        );
        assert!(
            enroll_refusal(403, r#"{"code":"password_change_required"}"#, false)
                .is_some_and(|s| s.starts_with("Your password was reset"))
        );
        assert_eq!(enroll_refusal(403, "forbidden", false), None);
        assert_eq!(enroll_refusal(409, "another user's phone", false), None);
        assert!(enroll_refusal(503, "", true).is_some_and(|s| s.contains("cannot be reached")));
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
