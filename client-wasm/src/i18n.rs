//! The app's own words in English, French and Swahili. Forms carry their own translations.

/// An interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
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

    /// The word for `key`; an unknown key is shown as itself, so a gap is visible, not blank.
    pub fn t(self, key: &'static str) -> &'static str {
        // Built without the `app` feature (the console's editor), a few words say what the
        // form screen does there.
        #[cfg(not(feature = "app"))]
        let row = EDITOR_WORDS.iter().chain(WORDS).find(|r| r.0 == key);
        #[cfg(feature = "app")]
        let row = WORDS.iter().find(|r| r.0 == key);
        match (row, self) {
            (Some(r), Lang::En) => r.1,
            (Some(r), Lang::Fr) => r.2,
            (Some(r), Lang::Sw) => r.3,
            (None, _) => key,
        }
    }
}

/// The form screen's words in the console's editor, where a supervisor corrects an interview
/// or an admin tries a form: nothing is kept in the browser and nothing is sent from a phone.
#[cfg_attr(feature = "app", allow(dead_code))]
const EDITOR_WORDS: &[(&str, &str, &str, &str)] = &[
    ("finalize", "Save", "Enregistrer", "Hifadhi"),
    (
        "no_issues",
        "Everything is answered and passes the form's rules.",
        "Tout est répondu et respecte les règles du formulaire.",
        "Kila kitu kimejibiwa na kinafuata kanuni za fomu.",
    ),
    (
        "saved",
        "Nothing is kept in this browser.",
        "Rien n'est conservé dans ce navigateur.",
        "Hakuna kinachohifadhiwa kwenye kivinjari hiki.",
    ),
];

/// (key, English, French, Swahili).
const WORDS: &[(&str, &str, &str, &str)] = &[
    ("app_title", "Baraza", "Baraza", "Baraza"),
    (
        "enrolled_as",
        "Enrolled as",
        "Inscrit en tant que",
        "Umesajiliwa kama",
    ),
    ("forms", "Forms", "Formulaires", "Fomu"),
    ("new_response", "New", "Nouveau", "Mpya"),
    ("records", "Records", "Fiches", "Kumbukumbu"),
    ("home", "Home", "Accueil", "Nyumbani"),
    ("drafts", "Drafts", "Brouillons", "Rasimu"),
    (
        "waiting",
        "Waiting to send",
        "En attente d'envoi",
        "Zinasubiri kutumwa",
    ),
    ("sent", "Sent", "Envoyés", "Zimetumwa"),
    (
        "attention",
        "Needs attention",
        "À vérifier",
        "Zinahitaji uangalifu",
    ),
    ("sync_now", "Send now", "Envoyer maintenant", "Tuma sasa"),
    ("syncing", "Sending…", "Envoi…", "Inatuma…"),
    ("online", "Online", "En ligne", "Mtandaoni"),
    ("offline", "Offline", "Hors ligne", "Nje ya mtandao"),
    ("last_sync", "Last sent", "Dernier envoi", "Ilitumwa mwisho"),
    ("never", "never", "jamais", "bado"),
    ("storage", "Storage", "Stockage", "Hifadhi"),
    (
        "persisted",
        "Protected from automatic clearing",
        "Protégé contre l'effacement automatique",
        "Imelindwa isifutwe",
    ),
    (
        "not_persisted",
        "Not protected: the browser may clear it when space is short. Send often.",
        "Non protégé : le navigateur peut l'effacer s'il manque d'espace. Envoyez souvent.",
        "Haijalindwa: kivinjari kinaweza kuifuta nafasi ikipungua. Tuma mara kwa mara.",
    ),
    (
        "low_space",
        "Space is running low on this phone. Send your records.",
        "L'espace manque sur ce téléphone. Envoyez vos fiches.",
        "Nafasi inaisha kwenye simu hii. Tuma kumbukumbu zako.",
    ),
    ("used", "used", "utilisés", "imetumika"),
    ("of", "of", "sur", "kati ya"),
    ("finalize", "Finalize", "Finaliser", "Kamilisha"),
    (
        "check",
        "Check answers",
        "Vérifier les réponses",
        "Kagua majibu",
    ),
    ("summary", "Summary", "Résumé", "Muhtasari"),
    (
        "no_issues",
        "Everything is answered. Finalize to send it.",
        "Tout est répondu. Finalisez pour l'envoyer.",
        "Kila kitu kimejibiwa. Kamilisha ili kutuma.",
    ),
    (
        "issues_left",
        "still to fix",
        "à corriger",
        "za kurekebisha",
    ),
    ("back", "Back", "Retour", "Rudi"),
    ("add_row", "Add", "Ajouter", "Ongeza"),
    ("remove_row", "Remove", "Supprimer", "Ondoa"),
    ("up", "Up", "Monter", "Juu"),
    ("down", "Down", "Descendre", "Chini"),
    (
        "record_location",
        "Record location",
        "Enregistrer la position",
        "Rekodi mahali",
    ),
    ("accuracy", "accuracy", "précision", "usahihi"),
    ("locating", "Locating…", "Localisation…", "Inatafuta…"),
    (
        "not_ranked",
        "Not ranked yet",
        "Pas encore classé",
        "Bado hazijapangwa",
    ),
    ("ranked", "ranked", "classés", "yamepangwa"),
    ("choose", "Choose…", "Choisir…", "Chagua…"),
    ("camera", "Take a photo", "Prendre une photo", "Piga picha"),
    (
        "scan",
        "Scan the code",
        "Scanner le code",
        "Changanua msimbo",
    ),
    ("open", "Open", "Ouvrir", "Fungua"),
    ("correct", "Correct", "Corriger", "Sahihisha"),
    (
        "build",
        "App build",
        "Version de l'application",
        "Toleo la programu",
    ),
    (
        "figures",
        "This phone's figures",
        "Les chiffres de ce téléphone",
        "Takwimu za simu hii",
    ),
    (
        "export",
        "Export the responses on this phone",
        "Exporter les réponses de cet appareil",
        "Hamisha majibu yaliyo kwenye kifaa hiki",
    ),
    (
        "saved",
        "Saved on this phone",
        "Enregistré sur ce téléphone",
        "Imehifadhiwa kwenye simu hii",
    ),
    ("language", "Language", "Langue", "Lugha"),
    (
        "form_language",
        "Form language",
        "Langue du formulaire",
        "Lugha ya fomu",
    ),
    (
        "required",
        "An answer is required",
        "Une réponse est requise",
        "Jibu linahitajika",
    ),
    (
        "revoked",
        "This device was revoked. Your records stay here; export them.",
        "Cet appareil a été révoqué. Vos fiches restent ici ; exportez-les.",
        "Kifaa hiki kimefutiwa idhini. Kumbukumbu zako zinabaki hapa; zihamishe.",
    ),
    (
        "reenroll",
        "The server no longer knows this phone. Sign in again to keep sending; nothing on it is lost.",
        "Le serveur ne connaît plus cet appareil. Reconnectez-vous pour continuer l'envoi ; rien n'y est perdu.",
        "Seva haikitambui tena kifaa hiki. Ingia tena ili uendelee kutuma; hakuna kinachopotea.",
    ),
    (
        "change_password",
        "Change your password",
        "Changer votre mot de passe",
        "Badilisha nenosiri lako",
    ),
    (
        "sign_in_again",
        "Sign in again",
        "Se reconnecter",
        "Ingia tena",
    ),
    (
        "sent_back",
        "Sent back for correction",
        "Renvoyé pour correction",
        "Imerudishwa kwa marekebisho",
    ),
    ("rejected", "Rejected", "Rejeté", "Imekataliwa"),
    (
        "corrected",
        "Corrected by a supervisor",
        "Corrigé par un superviseur",
        "Imesahihishwa na msimamizi",
    ),
    (
        "conflict",
        "Another version exists: a supervisor decides.",
        "Une autre version existe : un superviseur tranche.",
        "Toleo jingine lipo: msimamizi ataamua.",
    ),
    (
        "quarantined",
        "Held by the server for a supervisor",
        "Retenu par le serveur pour un superviseur",
        "Imezuiliwa na seva kwa msimamizi",
    ),
    (
        "none",
        "Nothing here yet.",
        "Rien pour l'instant.",
        "Hakuna kitu bado.",
    ),
    ("section", "Section", "Section", "Sehemu"),
    ("progress", "Progress", "Progression", "Maendeleo"),
    ("previous", "Previous", "Précédent", "Iliyotangulia"),
    ("next", "Next", "Suivant", "Inayofuata"),
    (
        "confirm_remove_row",
        "Remove this row and its answers?",
        "Supprimer cette ligne et ses réponses ?",
        "Ondoa safu hii na majibu yake?",
    ),
    (
        "confirm_delete_draft",
        "Delete this draft and all its answers?",
        "Supprimer ce brouillon et toutes ses réponses ?",
        "Futa rasimu hii na majibu yake yote?",
    ),
    ("delete", "Delete", "Supprimer", "Futa"),
    (
        "constraint",
        "This answer is not allowed here; check it",
        "Cette réponse n'est pas permise ici ; vérifiez-la",
        "Jibu hili haliruhusiwi hapa; likague",
    ),
    (
        "wrong_type",
        "This answer has the wrong form; answer again",
        "Cette réponse n'a pas la bonne forme ; répondez à nouveau",
        "Jibu hili lina muundo usio sahihi; jibu tena",
    ),
    (
        "rows_expected",
        "{0} row(s) expected, {1} entered: remove the rows that do not belong",
        "{0} ligne(s) attendue(s), {1} saisie(s) : supprimez celles en trop",
        "Safu {0} zinatarajiwa, {1} zimeingizwa: ondoa zisizohusika",
    ),
    (
        "not_a_number",
        "Type a number with digits only",
        "Tapez un nombre, en chiffres seulement",
        "Andika namba kwa tarakimu tu",
    ),
    (
        "not_whole",
        "Type a whole number, without a decimal point",
        "Tapez un nombre entier, sans virgule",
        "Andika namba kamili, bila nukta",
    ),
    (
        "use_point",
        "Write decimals with a point: 2.5, not 2,5",
        "Écrivez les décimales avec un point : 2.5",
        "Andika desimali kwa nukta: 2.5",
    ),
    (
        "too_long",
        "This number has too many digits",
        "Ce nombre a trop de chiffres",
        "Namba hii ina tarakimu nyingi mno",
    ),
    (
        "err_offline",
        "You are offline. Your interviews are safe on this phone and will be sent when a connection returns.",
        "Vous êtes hors ligne. Vos entretiens sont en sécurité sur ce téléphone et partiront au retour de la connexion.",
        "Uko nje ya mtandao. Mahojiano yako yako salama kwenye simu hii na yatatumwa mtandao ukirudi.",
    ),
    (
        "err_unreachable",
        "The server cannot be reached. Your interviews are safe on this phone; Baraza will try again.",
        "Le serveur est injoignable. Vos entretiens sont en sécurité sur ce téléphone ; Baraza réessaiera.",
        "Seva haipatikani. Mahojiano yako yako salama kwenye simu hii; Baraza itajaribu tena.",
    ),
    (
        "err_busy",
        "The server is busy. Baraza will try again in a moment.",
        "Le serveur est occupé. Baraza réessaiera dans un instant.",
        "Seva ina shughuli nyingi. Baraza itajaribu tena baada ya muda mfupi.",
    ),
    (
        "err_refused",
        "The server refused the request. Tell your supervisor; your interviews stay on this phone.",
        "Le serveur a refusé la demande. Prévenez votre superviseur ; vos entretiens restent sur ce téléphone.",
        "Seva imekataa ombi. Mwambie msimamizi wako; mahojiano yako yanabaki kwenye simu hii.",
    ),
    (
        "err_invalid",
        "The connection answered with a page that is not Baraza (a Wi-Fi sign-in page?). Sign in to the network, then send again.",
        "La connexion a répondu par une page qui n'est pas Baraza (page de connexion Wi-Fi ?). Connectez-vous au réseau, puis renvoyez.",
        "Muunganisho umejibu kwa ukurasa usio wa Baraza (ukurasa wa kuingia Wi-Fi?). Ingia kwenye mtandao, kisha tuma tena.",
    ),
    (
        "err_storage",
        "This phone's storage could not be written. Free some space, then try again; nothing already saved is lost.",
        "Le stockage de ce téléphone n'a pas pu être écrit. Libérez de l'espace puis réessayez ; rien de déjà enregistré n'est perdu.",
        "Hifadhi ya simu hii haikuweza kuandikwa. Ondoa vitu ili kupata nafasi, kisha ujaribu tena; kilichohifadhiwa hakipotei.",
    ),
    (
        "err_draft_gone",
        "This draft is no longer on this phone.",
        "Ce brouillon n'est plus sur ce téléphone.",
        "Rasimu hii haipo tena kwenye simu hii.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Refusal;

    #[test]
    fn every_word_is_translated_into_all_three_languages() {
        for (key, en, fr, sw) in WORDS {
            assert!(
                !en.is_empty() && !fr.is_empty() && !sw.is_empty(),
                "{key} is missing a translation"
            );
        }
        let mut keys: Vec<_> = WORDS.iter().map(|r| r.0).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), WORDS.len(), "keys are unique");
        assert_eq!(Lang::Sw.t("sent"), "Zimetumwa");
        // Every word the screens ask for exists (a missing one would show as its key).
        let screens = [
            include_str!("web/app.rs"),
            include_str!("web/form_view.rs"),
            include_str!("web/mod.rs"),
        ];
        // Sentences chosen at run time: refusals of typed numbers, errors.
        for r in [
            Refusal::NotANumber,
            Refusal::NotWhole,
            Refusal::UsePoint,
            Refusal::TooLong,
        ] {
            assert!(WORDS.iter().any(|w| w.0 == r.key()), "no words for {r:?}");
        }
        for src in screens {
            for part in src.split("\"err_").skip(1) {
                let key = format!("err_{}", part.split('"').next().unwrap_or_default());
                assert!(WORDS.iter().any(|r| r.0 == key), "no words for {key:?}");
            }
            for call in [".t(\"", ".tr(\""] {
                for part in src.split(call).skip(1) {
                    let key = part.split('"').next().unwrap_or_default();
                    assert!(WORDS.iter().any(|r| r.0 == key), "no words for {key:?}");
                }
            }
        }
        assert_eq!(Lang::Fr.t("no_such_key"), "no_such_key");
        // The console editor's words replace words the form screen has, in all three.
        for (key, en, fr, sw) in EDITOR_WORDS {
            assert!(WORDS.iter().any(|r| r.0 == *key), "{key} replaces nothing");
            assert!(!en.is_empty() && !fr.is_empty() && !sw.is_empty(), "{key}");
        }
    }
}
