//! The interface languages of the console and the dashboard, and how each app's table of
//! words is read and checked. Each app keeps its own table of (English, French, Swahili)
//! rows with the English wording as the key; screens call `.t("…")` (the app's `Words`
//! trait over [`Lang::pick`]), and the app's tests scan its screens' source for those keys
//! ([`keys_used`]) and check the table against them ([`check_table`]).

/// (English, French, Swahili).
pub type Row = (&'static str, &'static str, &'static str);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
    Sw,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Fr, Lang::Sw];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Sw => "sw",
        }
    }

    /// The language's name in itself, for the chooser.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::Sw => "Kiswahili",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// `en` in this language from `table`; English where the table lacks it (the apps'
    /// tests forbid that).
    pub fn pick(self, table: &[Row], en: &'static str) -> &'static str {
        match (self, table.iter().find(|r| r.0 == en)) {
            (Lang::Fr, Some(r)) => r.1,
            (Lang::Sw, Some(r)) => r.2,
            _ => en,
        }
    }
}

/// Every `.t("…")` key in the given sources, the literal perhaps on the next line (as
/// rustfmt breaks long calls).
pub fn keys_used(sources: &[&str]) -> Vec<String> {
    let mut keys = Vec::new();
    for src in sources {
        let mut rest = *src;
        while let Some(i) = rest.find(".t(") {
            rest = rest[i + 3..].trim_start();
            if let Some(text) = rest.strip_prefix('"') {
                let end = text.find('"').unwrap_or(text.len());
                keys.push(text[..end].to_owned());
            }
        }
    }
    keys
}

/// What is wrong with a table for the keys the screens use: a key missing, a translation
/// empty, a row twice, or a row no screen uses.
pub fn check_table(table: &[Row], used: &[String]) -> Vec<String> {
    let mut wrong = Vec::new();
    for k in used {
        if !table.iter().any(|r| r.0 == k.as_str()) {
            wrong.push(format!("not in the table: {k:?}"));
        }
    }
    for (i, (en, fr, sw)) in table.iter().enumerate() {
        if fr.is_empty() || sw.is_empty() {
            wrong.push(format!("{en:?}: a translation is empty"));
        }
        if table[..i].iter().any(|r| r.0 == *en) {
            wrong.push(format!("{en:?} is in the table twice"));
        }
        if !used.iter().any(|k| k == en) {
            wrong.push(format!("{en:?} is in the table but no screen uses it"));
        }
    }
    wrong
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[Row] = &[
        ("Sign in", "Se connecter", "Ingia"),
        ("Unused", "Inutilisé", ""),
    ];

    #[test]
    fn a_text_reads_in_the_chosen_language() {
        assert_eq!(Lang::Fr.pick(TABLE, "Sign in"), "Se connecter");
        assert_eq!(Lang::Sw.pick(TABLE, "Sign in"), "Ingia");
        assert_eq!(Lang::En.pick(TABLE, "Sign in"), "Sign in");
        assert_eq!(Lang::Fr.pick(TABLE, "Not there"), "Not there");
        assert_eq!(Lang::from_code("sw"), Some(Lang::Sw));
        assert_eq!(Lang::from_code("de"), None);
    }

    #[test]
    fn the_check_names_what_is_missing_empty_or_unused() {
        let used = keys_used(&["x.t(\"Sign in\"); y.t(\n  \"Sign out\")"]);
        assert_eq!(used, ["Sign in", "Sign out"]);
        let wrong = check_table(TABLE, &used);
        assert_eq!(
            wrong,
            [
                "not in the table: \"Sign out\"",
                "\"Unused\": a translation is empty",
                "\"Unused\" is in the table but no screen uses it",
            ]
        );
    }
}
