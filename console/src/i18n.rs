//! The console's words in English, French and Swahili. Every text a screen shows goes
//! through [`Words::t`] with its English wording as the key; a test checks that every key the
//! screens use is in the table, translated.

pub use baraza_browser::i18n::Lang;
use baraza_browser::i18n::Row;
use baraza_schema::api::{Flag, FlagKind};

/// The console's words, looked up by their English wording.
pub trait Words {
    fn t(self, en: &'static str) -> &'static str;
}

impl Words for Lang {
    fn t(self, en: &'static str) -> &'static str {
        self.pick(TEXTS, en)
    }
}

/// A progress flag's detail in the console's language, from the figures the server sent
/// (`Flag::values`); the server's English sentence when they are missing.
pub fn flag_detail(l: Lang, f: &Flag) -> String {
    let template = match (f.kind, f.values.len()) {
        (FlagKind::ShortInterview, 1) => l.t("{0} minutes from start to end"),
        (FlagKind::DuplicateHousehold, 2) => l.t("household {0} is in {1} interviews"),
        (FlagKind::ManyDontKnow, 2) => {
            l.t("{0} % of answers are “don't know” or “refused” (everyone: {1} %)")
        }
        (FlagKind::OutsideFieldwork, 3) => l.t("held on {0}, outside the fieldwork ({1} to {2})"),
        _ => return f.detail.clone(),
    };
    f.values
        .iter()
        .enumerate()
        .fold(template.to_owned(), |s, (i, v)| {
            s.replace(&format!("{{{i}}}"), v)
        })
}

/// An audit action (`AuditEntry::action`, one of `AUDIT_ACTIONS`) in words; `None` for a code
/// this console does not know (a newer server's).
pub fn action_words(l: Lang, code: &str) -> Option<&'static str> {
    Some(match code {
        "auth.login" => l.t("Signed in"),
        "auth.login_failed" => l.t("Sign-in refused"),
        "auth.logout" => l.t("Signed out"),
        "device.code" => l.t("Enrollment code made"),
        "device.enroll" => l.t("Phone enrolled"),
        "device.odk_key" => l.t("ODK Collect key made"),
        "device.rejoin" => l.t("Phone joined again"),
        "device.revoke" => l.t("Phone revoked"),
        "export.raw" => l.t("Raw data exported"),
        "form.publish" => l.t("Form published"),
        "form.state" => l.t("Form opened or closed"),
        "openrosa.submission" => l.t("Received from ODK Collect"),
        "quarantine.dismiss" => l.t("Quarantined item dismissed"),
        "quarantine.release" => l.t("Quarantined item released"),
        "review.correct" => l.t("Interview corrected"),
        "review.resolve" => l.t("Conflict resolved"),
        "review.state" => l.t("Review state set"),
        "server.backup" => l.t("Backup taken"),
        "server.failed_backup" => l.t("Backup failed"),
        "server.restore" => l.t("Restored from a backup"),
        "settings.fieldwork" => l.t("Fieldwork dates set"),
        "settings.reference_values" => l.t("Reference values refreshed"),
        "settings.report_states" => l.t("States counted in reports set"),
        "settlement.import" => l.t("Settlements imported"),
        "sync.gap" => l.t("Gap in a phone's numbering"),
        "sync.import" => l.t("Phone's file imported"),
        "sync.push" => l.t("Received from a phone"),
        "sync.quarantine" => l.t("Item quarantined"),
        "user.create" => l.t("User created"),
        "user.disable" => l.t("User disabled"),
        "user.enable" => l.t("User enabled"),
        "user.password_change" => l.t("Password changed"),
        "user.password_reset" => l.t("Password reset"),
        "user.role" => l.t("Role changed"),
        "user.sessions_end" => l.t("Signed out everywhere"),
        "user.settlements" => l.t("Settlements assigned"),
        _ => return None,
    })
}

/// The areas the audit log's actions fall in, in words, each with the prefix its actions'
/// codes share (what the log's search takes).
pub fn action_areas(l: Lang) -> [(&'static str, &'static str); 12] {
    [
        (l.t("People"), "user."),
        (l.t("Signing in and out"), "auth."),
        (l.t("Phones"), "device."),
        (l.t("Received from phones"), "sync."),
        (l.t("Received from ODK Collect"), "openrosa."),
        (l.t("Quarantine"), "quarantine."),
        (l.t("Review"), "review."),
        (l.t("Forms"), "form."),
        (l.t("Settlements"), "settlement."),
        (l.t("Settings"), "settings."),
        (l.t("Backups and restores"), "server."),
        (l.t("Raw data exported"), "export."),
    ]
}

/// English, French, Swahili.
const TEXTS: &[Row] = &[
    ("Signed in", "Connexion", "Aliingia"),
    (
        "Sign-in refused",
        "Connexion refusée",
        "Kuingia kumekataliwa",
    ),
    ("Signed out", "Déconnexion", "Alitoka"),
    (
        "Enrollment code made",
        "Code d'inscription créé",
        "Msimbo wa usajili umetengenezwa",
    ),
    ("Phone enrolled", "Téléphone inscrit", "Simu imesajiliwa"),
    (
        "ODK Collect key made",
        "Clé ODK Collect créée",
        "Ufunguo wa ODK Collect umetengenezwa",
    ),
    (
        "Phone joined again",
        "Téléphone réinscrit",
        "Simu imejiunga tena",
    ),
    ("Phone revoked", "Téléphone révoqué", "Simu imebatilishwa"),
    (
        "Raw data exported",
        "Données brutes exportées",
        "Data ghafi zimepakuliwa",
    ),
    ("Form published", "Formulaire publié", "Fomu imechapishwa"),
    (
        "Form opened or closed",
        "Formulaire ouvert ou fermé",
        "Fomu imefunguliwa au imefungwa",
    ),
    (
        "Received from ODK Collect",
        "Reçu d'ODK Collect",
        "Imepokelewa kutoka ODK Collect",
    ),
    (
        "Quarantined item dismissed",
        "Élément en quarantaine écarté",
        "Kipengee kilichotengwa kimeondolewa",
    ),
    (
        "Quarantined item released",
        "Élément en quarantaine libéré",
        "Kipengee kilichotengwa kimeachiliwa",
    ),
    (
        "Interview corrected",
        "Entretien corrigé",
        "Mahojiano yamesahihishwa",
    ),
    (
        "Conflict resolved",
        "Conflit résolu",
        "Mgongano umetatuliwa",
    ),
    (
        "Review state set",
        "État de revue fixé",
        "Hali ya ukaguzi imewekwa",
    ),
    (
        "Backup taken",
        "Sauvegarde faite",
        "Nakala rudufu imechukuliwa",
    ),
    (
        "Backup failed",
        "Échec de la sauvegarde",
        "Nakala rudufu imeshindwa",
    ),
    (
        "Restored from a backup",
        "Restauré depuis une sauvegarde",
        "Imerejeshwa kutoka nakala rudufu",
    ),
    (
        "Fieldwork dates set",
        "Dates de l'enquête fixées",
        "Tarehe za kazi ya uwandani zimewekwa",
    ),
    (
        "Reference values refreshed",
        "Valeurs de référence recalculées",
        "Thamani za marejeo zimesasishwa",
    ),
    (
        "States counted in reports set",
        "États comptés dans les rapports fixés",
        "Hali zinazohesabiwa katika ripoti zimewekwa",
    ),
    (
        "Gap in a phone's numbering",
        "Trou dans la numérotation d'un téléphone",
        "Pengo katika namba za simu",
    ),
    (
        "Phone's file imported",
        "Fichier d'un téléphone importé",
        "Faili ya simu imeingizwa",
    ),
    (
        "Received from a phone",
        "Reçu d'un téléphone",
        "Imepokelewa kutoka simu",
    ),
    (
        "Item quarantined",
        "Élément mis en quarantaine",
        "Kipengee kimetengwa",
    ),
    ("User created", "Utilisateur créé", "Mtumiaji ameundwa"),
    (
        "User disabled",
        "Utilisateur désactivé",
        "Mtumiaji amezimwa",
    ),
    (
        "User enabled",
        "Utilisateur réactivé",
        "Mtumiaji amewezeshwa",
    ),
    (
        "Password changed",
        "Mot de passe changé",
        "Nenosiri limebadilishwa",
    ),
    (
        "Password reset",
        "Mot de passe réinitialisé",
        "Nenosiri limewekwa upya",
    ),
    ("Role changed", "Rôle modifié", "Jukumu limebadilishwa"),
    (
        "Signed out everywhere",
        "Déconnecté partout",
        "Ametolewa kila mahali",
    ),
    (
        "Settlements assigned",
        "Quartiers attribués",
        "Makazi yamegawiwa",
    ),
    (
        "{0} minutes from start to end",
        "{0} minutes du début à la fin",
        "Dakika {0} kutoka mwanzo hadi mwisho",
    ),
    (
        "household {0} is in {1} interviews",
        "le ménage {0} figure dans {1} entretiens",
        "kaya {0} iko katika mahojiano {1}",
    ),
    (
        "{0} % of answers are “don't know” or “refused” (everyone: {1} %)",
        "{0} % des réponses sont « ne sait pas » ou « refus » (ensemble : {1} %)",
        "{0} % ya majibu ni “sijui” au “amekataa” (wote: {1} %)",
    ),
    (
        "held on {0}, outside the fieldwork ({1} to {2})",
        "réalisé le {0}, hors de l'enquête (du {1} au {2})",
        "ilifanyika {0}, nje ya kazi ya uwandani ({1} hadi {2})",
    ),
    (
        "Backup written and checked",
        "Sauvegarde écrite et vérifiée",
        "Nakala imeandikwa na kukaguliwa",
    ),
    ("Backups", "Sauvegardes", "Nakala rudufu"),
    (
        "A phone deletes its copies of interviews only once a checked backup holds them.",
        "Un téléphone n'efface ses copies d'entretiens qu'une fois qu'une sauvegarde vérifiée les contient.",
        "Simu hufuta nakala zake za mahojiano tu baada ya nakala rudufu iliyokaguliwa kuyahifadhi.",
    ),
    (
        "Take a backup now",
        "Faire une sauvegarde maintenant",
        "Tengeneza nakala rudufu sasa",
    ),
    (
        "Last backup",
        "Dernière sauvegarde",
        "Nakala rudufu ya mwisho",
    ),
    (
        "the schedule or the command line",
        "la planification ou la ligne de commande",
        "ratiba au mstari wa amri",
    ),
    (
        "Last attempt failed",
        "La dernière tentative a échoué",
        "Jaribio la mwisho limeshindwa",
    ),
    ("Folder", "Dossier", "Folda"),
    ("File", "Fichier", "Faili"),
    ("Written", "Écrit", "Iliandikwa"),
    ("Size (MB)", "Taille (Mo)", "Ukubwa (MB)"),
    ("Phones", "Téléphones", "Simu"),
    (
        "Choose the settlement frame (CSV) first.",
        "Choisissez d'abord la base de sondage des quartiers (CSV).",
        "Kwanza chagua orodha ya makazi (CSV).",
    ),
    (
        "Settlements imported",
        "Quartiers importés",
        "Makazi yaliyoingizwa",
    ),
    (
        "Nothing was imported:",
        "Rien n'a été importé :",
        "Hakuna kilichoingizwa:",
    ),
    (
        "Import the settlement frame",
        "Importer la base de sondage des quartiers",
        "Ingiza orodha ya makazi",
    ),
    (
        "A CSV file with the columns code,name,type,households and optionally target; listed settlements are added or updated.",
        "Un fichier CSV avec les colonnes code,name,type,households et éventuellement target ; les quartiers listés sont ajoutés ou mis à jour.",
        "Faili la CSV lenye safu code,name,type,households na hiari target; makazi yaliyoorodheshwa yanaongezwa au kusasishwa.",
    ),
    (
        "Settlement frame (CSV)",
        "Base de sondage des quartiers (CSV)",
        "Orodha ya makazi (CSV)",
    ),
    ("Import", "Importer", "Ingiza"),
    (
        "Saved as a new revision; the phone receives it at its next sync.",
        "Enregistré comme nouvelle révision ; le téléphone la reçoit à sa prochaine synchronisation.",
        "Imehifadhiwa kama toleo jipya; simu italipokea itakaposawazisha tena.",
    ),
    (
        "Change the answers, then save on the summary page: the same checks as on the phone apply.",
        "Modifiez les réponses, puis enregistrez sur la page de résumé : les mêmes contrôles que sur le téléphone s'appliquent.",
        "Badilisha majibu, kisha hifadhi kwenye ukurasa wa muhtasari: ukaguzi uleule wa simu unatumika.",
    ),
    (
        "Cancel the edit",
        "Annuler la modification",
        "Ghairi uhariri",
    ),
    ("Edit the answers", "Modifier les réponses", "Hariri majibu"),
    (
        "Check and preview",
        "Vérifier et prévisualiser",
        "Kagua na uhakiki",
    ),
    ("Preview", "Aperçu", "Uhakiki"),
    (
        "Fill it as an enumerator would; nothing is saved.",
        "Remplissez-le comme un enquêteur ; rien n'est enregistré.",
        "Ijaze kama mdadisi angefanya; hakuna kinachohifadhiwa.",
    ),
    (
        "The answers pass the form's rules. Nothing was saved: this is a preview.",
        "Les réponses respectent les règles du formulaire. Rien n'a été enregistré : c'est un aperçu.",
        "Majibu yanatimiza kanuni za fomu. Hakuna kilichohifadhiwa: huu ni uhakiki.",
    ),
    (
        "This item names no form: it can only be dismissed.",
        "Cet élément ne nomme aucun formulaire : il ne peut qu'être écarté.",
        "Kipengee hiki hakitaji fomu yoyote: kinaweza kuondolewa tu.",
    ),
    (
        "This item's form version is not on this server: it can only be dismissed.",
        "La version de formulaire de cet élément n'est pas sur ce serveur : il ne peut qu'être écarté.",
        "Toleo la fomu la kipengee hiki halipo kwenye seva hii: kinaweza kuondolewa tu.",
    ),
    (
        "Released as revision",
        "Libéré comme révision",
        "Kimetolewa kama toleo",
    ),
    (
        "Fix and release",
        "Corriger et libérer",
        "Rekebisha na utoe",
    ),
    (
        "Fix the answers, then save on the summary page: they are stored as a valid revision and the item is kept.",
        "Corrigez les réponses, puis enregistrez sur la page de résumé : elles sont enregistrées comme révision valide et l'élément est conservé.",
        "Rekebisha majibu, kisha hifadhi kwenye ukurasa wa muhtasari: yanahifadhiwa kama toleo halali na kipengee kinabaki.",
    ),
    ("Columns", "Colonnes", "Safu"),
    ("Account added", "Compte ajouté", "Akaunti imeongezwa"),
    ("Acknowledged", "Accusé", "Imethibitishwa"),
    ("Any action", "Toute action", "Kitendo chochote"),
    (
        "Signing in and out",
        "Connexions et déconnexions",
        "Kuingia na kutoka",
    ),
    (
        "Received from phones",
        "Reçu des téléphones",
        "Imepokelewa kutoka simu",
    ),
    ("Settings", "Réglages", "Mipangilio"),
    (
        "Backups and restores",
        "Sauvegardes et restaurations",
        "Nakala rudufu na urejeshaji",
    ),
    ("Action", "Action", "Kitendo"),
    ("Add an account", "Ajouter un compte", "Ongeza akaunti"),
    ("Add", "Ajouter", "Ongeza"),
    ("Admin", "Administrateur", "Msimamizi mkuu"),
    ("After", "Après", "Baada"),
    (
        "All their sessions ended.",
        "Toutes ses sessions sont fermées.",
        "Vipindi vyake vyote vimekomeshwa.",
    ),
    ("All", "Tous", "Zote"),
    ("Already published", "Déjà publié", "Imeshachapishwa"),
    ("Approve", "Approuver", "Idhinisha"),
    ("Approved", "Approuvé", "Imeidhinishwa"),
    (
        "At least 8 characters. Your other sessions end.",
        "Au moins 8 caractères. Vos autres sessions se ferment.",
        "Angalau herufi 8. Vipindi vyako vingine vinakomeshwa.",
    ),
    ("Audit log", "Journal d'audit", "Kumbukumbu za ukaguzi"),
    (
        "Back to the submissions",
        "Retour aux soumissions",
        "Rudi kwenye mawasilisho",
    ),
    ("Backed up", "Sauvegardé", "Imehifadhiwa nakala"),
    (
        "Baraza · console",
        "Baraza · console",
        "Baraza · dashibodi ya usimamizi",
    ),
    ("Before", "Avant", "Kabla"),
    ("Cancel", "Annuler", "Ghairi"),
    (
        "Change password",
        "Changer le mot de passe",
        "Badilisha nenosiri",
    ),
    ("Change the role", "Changer le rôle", "Badilisha jukumu"),
    (
        "Check and publish",
        "Vérifier et publier",
        "Kagua na uchapishe",
    ),
    (
        "Choose a new password",
        "Choisissez un nouveau mot de passe",
        "Chagua nenosiri jipya",
    ),
    (
        "A form that uses files (choice lists from CSV or XML, pulldata, media): choose the workbook and its files together, or a .zip of them.",
        "Un formulaire qui utilise des fichiers (listes de choix en CSV ou XML, pulldata, médias) : choisissez le classeur et ses fichiers ensemble, ou un .zip de ceux-ci.",
        "Fomu inayotumia faili (orodha za machaguo kutoka CSV au XML, pulldata, media): chagua kitabu na faili zake pamoja, au .zip yake.",
    ),
    (
        "Choose an XLSForm workbook (.xlsx) first.",
        "Choisissez d'abord un classeur XLSForm (.xlsx).",
        "Kwanza chagua kitabu cha XLSForm (.xlsx).",
    ),
    (
        "Choose the enumerator first.",
        "Choisissez d'abord l'enquêteur.",
        "Kwanza chagua mdadisi.",
    ),
    ("Choose…", "Choisir…", "Chagua…"),
    (
        "Closed: new interviews are quarantined",
        "Fermé : les nouveaux entretiens sont mis en quarantaine",
        "Imefungwa: mahojiano mapya yanatengwa",
    ),
    (
        "Closing: accepted, not offered",
        "En clôture : accepté, plus proposé",
        "Inafungwa: yanapokelewa, hayatolewi",
    ),
    ("Code", "Code", "Msimbo"),
    ("Column", "Colonne", "Safu wima"),
    (
        "Comment (the enumerator's phone shows it with a correction request)",
        "Commentaire (le téléphone de l'enquêteur l'affiche avec la demande de correction)",
        "Maoni (simu ya mdadisi inayaonyesha pamoja na ombi la marekebisho)",
    ),
    ("Compare", "Comparer", "Linganisha"),
    (
        "Conflict: two phones changed this interview",
        "Conflit : deux téléphones ont modifié cet entretien",
        "Mgongano: simu mbili zimebadilisha mahojiano haya",
    ),
    ("Conflicts only", "Conflits seulement", "Migongano pekee"),
    (
        "Create a one-time code",
        "Créer un code à usage unique",
        "Tengeneza msimbo wa mara moja",
    ),
    (
        "Current password",
        "Mot de passe actuel",
        "Nenosiri la sasa",
    ),
    ("Day", "Jour", "Siku"),
    ("Definition", "Définition", "Ufafanuzi"),
    ("Detail", "Détail", "Maelezo"),
    ("Device", "Appareil", "Kifaa"),
    ("Devices", "Appareils", "Vifaa"),
    ("Disable", "Désactiver", "Zima"),
    (
        "Disabled: their sessions ended. Their phones keep syncing until you revoke them on the Devices screen.",
        "Désactivé : ses sessions sont fermées. Ses téléphones se synchronisent jusqu'à leur révocation dans l'écran Appareils.",
        "Imezimwa: vipindi vyake vimekomeshwa. Simu zake zinaendelea kusawazisha hadi uzibatilishe kwenye skrini ya Vifaa.",
    ),
    (
        "Disabling ends their sessions at once; their phones keep syncing until revoked on the Devices screen.",
        "Désactiver ferme ses sessions aussitôt ; ses téléphones se synchronisent jusqu'à leur révocation dans l'écran Appareils.",
        "Kuzima kunakomesha vipindi vyake mara moja; simu zake zinaendelea kusawazisha hadi zibatilishwe kwenye skrini ya Vifaa.",
    ),
    ("Dismiss", "Écarter", "Ondoa"),
    ("Dismissed", "Écarté", "Imeondolewa"),
    ("Download", "Télécharger", "Pakua"),
    ("Edit", "Modifier", "Hariri"),
    ("Enable", "Activer", "Washa"),
    ("Enabled.", "Activé.", "Imewashwa."),
    (
        "End all sessions",
        "Fermer toutes les sessions",
        "Komesha vipindi vyote",
    ),
    ("Enroll a phone", "Enregistrer un téléphone", "Sajili simu"),
    (
        "Fieldwork dates",
        "Dates de l'enquête de terrain",
        "Tarehe za kazi ya uwandani",
    ),
    ("First day", "Premier jour", "Siku ya kwanza"),
    ("Last day", "Dernier jour", "Siku ya mwisho"),
    ("Save the dates", "Enregistrer les dates", "Hifadhi tarehe"),
    (
        "Choose a form to show answers as columns.",
        "Choisissez un formulaire pour afficher des réponses en colonnes.",
        "Chagua fomu ili kuonyesha majibu kama safu.",
    ),
    (
        "Answers as columns",
        "Réponses en colonnes",
        "Majibu kama safu",
    ),
    (
        "Fieldwork dates saved.",
        "Dates de l'enquête enregistrées.",
        "Tarehe za kazi ya uwandani zimehifadhiwa.",
    ),
    (
        "Outside the fieldwork dates",
        "Hors des dates de l'enquête",
        "Nje ya tarehe za kazi ya uwandani",
    ),
    (
        "Set up ODK Collect",
        "Configurer ODK Collect",
        "Sanidi ODK Collect",
    ),
    (
        "For a team that keeps ODK Collect: its interviews come into the same review and reports.",
        "Pour une équipe qui garde ODK Collect : ses entretiens arrivent dans la même revue et les mêmes rapports.",
        "Kwa timu inayoendelea kutumia ODK Collect: mahojiano yake yanaingia kwenye ukaguzi na ripoti zilezile.",
    ),
    (
        "Make an ODK Collect key",
        "Créer une clé ODK Collect",
        "Tengeneza ufunguo wa ODK Collect",
    ),
    (
        "In ODK Collect: Add project, Configure with QR code, and scan this code. Or choose manual setup and type this server URL:",
        "Dans ODK Collect : Ajouter un projet, Configurer avec un code QR, et scannez ce code. Ou choisissez la configuration manuelle et tapez cette URL de serveur :",
        "Katika ODK Collect: Ongeza mradi, Sanidi kwa msimbo wa QR, na uchanganue msimbo huu. Au chagua usanidi wa mkono na uandike URL hii ya seva:",
    ),
    (
        "Shown once. Anyone with this URL can send interviews as this enumerator: revoke the device below if a phone is lost.",
        "Affichée une seule fois. Quiconque a cette URL peut envoyer des entretiens au nom de cet enquêteur : révoquez l'appareil ci-dessous si un téléphone est perdu.",
        "Inaonyeshwa mara moja tu. Yeyote mwenye URL hii anaweza kutuma mahojiano kama mdadisi huyu: batilisha kifaa hapa chini simu ikipotea.",
    ),
    (
        "QR code of the ODK Collect settings",
        "Code QR des réglages d'ODK Collect",
        "Msimbo wa QR wa mipangilio ya ODK Collect",
    ),
    ("Enumerator", "Enquêteur", "Mdadisi"),
    (
        "Enumerators per day",
        "Enquêteurs par jour",
        "Wadadisi kwa siku",
    ),
    (
        "Fieldwork progress",
        "Avancement du terrain",
        "Maendeleo ya kazi ya uwandani",
    ),
    (
        "First password (at least 8 characters)",
        "Premier mot de passe (au moins 8 caractères)",
        "Nenosiri la kwanza (angalau herufi 8)",
    ),
    ("Flags", "Signalements", "Alama za tahadhari"),
    (
        "For each answer, keep this side's or take the other phone's. The result is saved as a new revision that both phones receive.",
        "Pour chaque réponse, gardez celle-ci ou prenez celle de l'autre téléphone. Le résultat est enregistré comme nouvelle révision que les deux téléphones reçoivent.",
        "Kwa kila jibu, baki na la upande huu au chukua la simu nyingine. Matokeo yanahifadhiwa kama toleo jipya ambalo simu zote mbili zinapokea.",
    ),
    (
        "For supervisors and admins: fieldwork progress, review, devices and people.",
        "Pour les superviseurs et administrateurs : avancement, révision, appareils et personnes.",
        "Kwa wasimamizi na wasimamizi wakuu: maendeleo, mapitio, vifaa na watu.",
    ),
    ("For", "Pour", "Kwa"),
    ("Form", "Formulaire", "Fomu"),
    ("Forms", "Formulaires", "Fomu"),
    ("From", "Du", "Kuanzia"),
    ("Has issues", "À corriger", "Ina matatizo"),
    ("History", "Historique", "Historia"),
    (
        "Households must be a whole number.",
        "Le nombre de ménages doit être un nombre entier.",
        "Idadi ya kaya lazima iwe namba kamili.",
    ),
    ("Households", "Ménages", "Kaya"),
    ("Interviews", "Entretiens", "Mahojiano"),
    (
        "Interview opened",
        "Entretien ouvert",
        "Mahojiano yalifunguliwa",
    ),
    (
        "Interview finalized",
        "Entretien finalisé",
        "Mahojiano yalikamilishwa",
    ),
    (
        "Account on the phone",
        "Compte sur le téléphone",
        "Akaunti kwenye simu",
    ),
    ("Phone number", "Numéro de téléphone", "Namba ya simu"),
    ("Email", "Courriel", "Barua pepe"),
    ("SIM serial", "Numéro de série SIM", "Namba ya SIM"),
    (
        "Where it was opened",
        "Lieu d'ouverture",
        "Mahali ilipofunguliwa",
    ),
    (
        "Subscriber id",
        "Identifiant d'abonné",
        "Kitambulisho cha mteja",
    ),
    ("Item", "Élément", "Kipengee"),
    (
        "Items the server kept but could not accept. Nothing here is ever deleted.",
        "Éléments que le serveur a gardés sans pouvoir les accepter. Rien ici n'est jamais supprimé.",
        "Vipengee ambavyo seva imevihifadhi lakini haikuweza kuvikubali. Hakuna kinachofutwa hapa.",
    ),
    ("Kept now", "Gardé actuellement", "Kilichopo sasa"),
    ("Language", "Langue", "Lugha"),
    (
        "Last changed",
        "Dernière modification",
        "Ilibadilishwa mwisho",
    ),
    ("Last sent", "Dernier envoi", "Ilituma mwisho"),
    ("Manage", "Gérer", "Simamia"),
    (
        "Many “don't know” or refusals",
        "Beaucoup de « ne sait pas » ou de refus",
        "“Sijui” au kukataa kwingi",
    ),
    (
        "Median length (minutes)",
        "Durée médiane (minutes)",
        "Muda wa wastani wa kati (dakika)",
    ),
    ("Name", "Nom", "Jina"),
    (
        "New password again",
        "Nouveau mot de passe, encore",
        "Nenosiri jipya tena",
    ),
    ("New password", "Nouveau mot de passe", "Nenosiri jipya"),
    ("Next page", "Page suivante", "Ukurasa unaofuata"),
    (
        "No entry matches.",
        "Aucune entrée ne correspond.",
        "Hakuna ingizo linalolingana.",
    ),
    (
        "No submission matches.",
        "Aucune soumission ne correspond.",
        "Hakuna wasilisho linalolingana.",
    ),
    (
        "Nothing to look at.",
        "Rien à examiner.",
        "Hakuna cha kuangalia.",
    ),
    (
        "Nothing waits in the quarantine.",
        "Rien n'attend en quarantaine.",
        "Hakuna kinachosubiri karantini.",
    ),
    ("Object contains", "L'objet contient", "Kitu kina"),
    ("Object", "Objet", "Kitu"),
    (
        "Older entries",
        "Entrées plus anciennes",
        "Maingizo ya zamani zaidi",
    ),
    (
        "On the phone: open Baraza, choose “Enroll with a code”, and type",
        "Sur le téléphone : ouvrez Baraza, choisissez « S'enregistrer avec un code » et tapez",
        "Kwenye simu: fungua Baraza, chagua “Jisajili kwa msimbo”, kisha andika",
    ),
    (
        "One revision: nothing to compare.",
        "Une seule révision : rien à comparer.",
        "Toleo moja: hakuna cha kulinganisha.",
    ),
    ("Open", "Ouvrir", "Fungua"),
    (
        "Open: offered for new interviews",
        "Ouvert : proposé pour de nouveaux entretiens",
        "Wazi: inatolewa kwa mahojiano mapya",
    ),
    (
        "Or scan this code with the phone's camera, or open this address on the phone:",
        "Ou scannez ce code avec l'appareil photo du téléphone, ou ouvrez cette adresse sur le téléphone :",
        "Au changanua msimbo huu kwa kamera ya simu, au fungua anwani hii kwenye simu:",
    ),
    ("Other phone", "Autre téléphone", "Simu nyingine"),
    (
        "Password reset: they choose a new one at their next sign-in.",
        "Mot de passe réinitialisé : la personne en choisit un nouveau à sa prochaine connexion.",
        "Nenosiri limewekwa upya: atachagua jipya atakapoingia tena.",
    ),
    ("Password", "Mot de passe", "Nenosiri"),
    ("People", "Personnes", "Watu"),
    ("Planner", "Planificateur", "Mpangaji"),
    ("Previous page", "Page précédente", "Ukurasa uliotangulia"),
    ("Problem", "Problème", "Tatizo"),
    ("Progress", "Avancement", "Maendeleo"),
    (
        "Publish an XLSForm",
        "Publier un XLSForm",
        "Chapisha XLSForm",
    ),
    ("Published", "Publié", "Imechapishwa"),
    (
        "QR code of the enrollment code",
        "Code QR du code d'enregistrement",
        "Msimbo wa QR wa msimbo wa usajili",
    ),
    ("Quarantine", "Quarantaine", "Karantini"),
    ("Quarantined", "En quarantaine", "Imetengwa"),
    ("Question", "Question", "Swali"),
    ("Received", "Reçu", "Imepokelewa"),
    ("Reject", "Rejeter", "Kataa"),
    ("Rejected", "Rejeté", "Imekataliwa"),
    (
        "Reset the password",
        "Réinitialiser le mot de passe",
        "Weka upya nenosiri",
    ),
    (
        "Resolve with these choices",
        "Résoudre avec ces choix",
        "Tatua kwa machaguo haya",
    ),
    ("Review state", "État de révision", "Hali ya mapitio"),
    ("Review", "Révision", "Mapitio"),
    ("Revision", "Révision", "Toleo"),
    ("Revoke now", "Révoquer maintenant", "Batilisha sasa"),
    ("Revoke", "Révoquer", "Batilisha"),
    ("Role changed.", "Rôle changé.", "Jukumu limebadilishwa."),
    ("Role", "Rôle", "Jukumu"),
    ("Row", "Ligne", "Safu mlalo"),
    (
        "Same household twice",
        "Même ménage deux fois",
        "Kaya ileile mara mbili",
    ),
    (
        "Save the new password",
        "Enregistrer le nouveau mot de passe",
        "Hifadhi nenosiri jipya",
    ),
    (
        "Save the settlements",
        "Enregistrer les quartiers",
        "Hifadhi makazi",
    ),
    ("Save", "Enregistrer", "Hifadhi"),
    ("Saved", "Enregistré", "Imehifadhiwa"),
    (
        "Say why in the comment: the enumerator reads it.",
        "Dites pourquoi dans le commentaire : l'enquêteur le lit.",
        "Eleza sababu kwenye maoni: mdadisi anayasoma.",
    ),
    ("Screens", "Écrans", "Skrini"),
    ("Search", "Rechercher", "Tafuta"),
    (
        "Send back for correction",
        "Renvoyer pour correction",
        "Rudisha kwa marekebisho",
    ),
    (
        "Sent back for correction",
        "Renvoyé pour correction",
        "Imerudishwa kwa marekebisho",
    ),
    (
        "Settlement codes, separated by commas",
        "Codes des quartiers, séparés par des virgules",
        "Misimbo ya makazi, ikitenganishwa kwa koma",
    ),
    ("Settlement", "Quartier", "Makazi"),
    (
        "Settlements saved.",
        "Quartiers enregistrés.",
        "Makazi yamehifadhiwa.",
    ),
    ("Settlements", "Quartiers", "Makazi"),
    ("Severity", "Gravité", "Uzito"),
    ("Sheet", "Feuille", "Laha"),
    (
        "Show resolved items too",
        "Montrer aussi les éléments résolus",
        "Onyesha pia vilivyoshughulikiwa",
    ),
    ("Sign in", "Se connecter", "Ingia"),
    ("Sign out", "Se déconnecter", "Toka"),
    ("State", "État", "Hali"),
    ("Status", "Statut", "Hali ya akaunti"),
    ("Submission", "Soumission", "Wasilisho"),
    ("Submissions", "Soumissions", "Mawasilisho"),
    ("Supervisor", "Superviseur", "Msimamizi"),
    (
        "Take the other phone's",
        "Prendre celle de l'autre téléphone",
        "Chukua ya simu nyingine",
    ),
    ("Target", "Cible", "Lengo"),
    (
        "Temporary password",
        "Mot de passe temporaire",
        "Nenosiri la muda",
    ),
    (
        "The answers are not readable (not a JSON object).",
        "Les réponses sont illisibles (pas un objet JSON).",
        "Majibu hayasomeki (si kitu cha JSON).",
    ),
    (
        "The answers break the form's rules.",
        "Les réponses enfreignent les règles du formulaire.",
        "Majibu yanavunja kanuni za fomu.",
    ),
    (
        "The conflicting revision is not in the history.",
        "La révision en conflit n'est pas dans l'historique.",
        "Toleo lenye mgongano halimo kwenye historia.",
    ),
    (
        "The console is for supervisors and admins. Enumerators use the Baraza app on their phone, at /.",
        "La console est pour les superviseurs et administrateurs. Les enquêteurs utilisent l'application Baraza sur leur téléphone, à /.",
        "Dashibodi hii ni ya wasimamizi na wasimamizi wakuu. Wadadisi hutumia programu ya Baraza kwenye simu zao, kwenye /.",
    ),
    (
        "The console is for supervisors and admins. Planners read the reports in the dashboard, at /dashboard/.",
        "La console est pour les superviseurs et administrateurs. Les planificateurs lisent les rapports dans le tableau de bord, à /dashboard/.",
        "Dashibodi hii ni ya wasimamizi na wasimamizi wakuu. Wapangaji husoma ripoti kwenye dashibodi ya ripoti, kwenye /dashboard/.",
    ),
    (
        "The definition could not be downloaded.",
        "La définition n'a pas pu être téléchargée.",
        "Ufafanuzi haukuweza kupakuliwa.",
    ),
    (
        "The form or form version is not published on this server.",
        "Le formulaire ou sa version n'est pas publié sur ce serveur.",
        "Fomu au toleo lake halijachapishwa kwenye seva hii.",
    ),
    (
        "The form version was closed before this interview arrived.",
        "La version du formulaire a été fermée avant l'arrivée de cet entretien.",
        "Toleo la fomu lilifungwa kabla mahojiano haya hayajafika.",
    ),
    ("The interview", "L'entretien", "Mahojiano"),
    ("Files", "Fichiers", "Faili"),
    (
        "Not received yet: the phone sends it after the interview.",
        "Pas encore reçu : le téléphone l'envoie après l'entretien.",
        "Bado haijapokelewa: simu huituma baada ya mahojiano.",
    ),
    (
        "The file could not be downloaded.",
        "Le fichier n'a pas pu être téléchargé.",
        "Faili haikuweza kupakuliwa.",
    ),
    (
        "The item as received",
        "L'élément tel que reçu",
        "Kipengee kama kilivyopokelewa",
    ),
    (
        "The item is malformed.",
        "L'élément est mal formé.",
        "Kipengee kina muundo mbovu.",
    ),
    (
        "The item was damaged on the way: its content does not match its checksum.",
        "L'élément a été abîmé en route : son contenu ne correspond pas à sa somme de contrôle.",
        "Kipengee kiliharibika njiani: maudhui yake hayalingani na hesabu yake ya ukaguzi.",
    ),
    (
        "The item's revision number does not match its content.",
        "Le numéro de révision de l'élément ne correspond pas à son contenu.",
        "Namba ya toleo la kipengee hailingani na maudhui yake.",
    ),
    (
        "The phone reused a sequence number for a different interview.",
        "Le téléphone a réutilisé un numéro de séquence pour un autre entretien.",
        "Simu ilitumia tena namba ya mfuatano kwa mahojiano mengine.",
    ),
    (
        "The phone stops syncing. What it has not sent stays on it.",
        "Le téléphone cesse de se synchroniser. Ce qu'il n'a pas envoyé reste dessus.",
        "Simu inaacha kusawazisha. Ambacho haijatuma kinabaki ndani yake.",
    ),
    (
        "The same revision arrived before with other content; the first one is kept.",
        "La même révision est déjà arrivée avec un autre contenu ; la première est gardée.",
        "Toleo hilohilo lilifika awali likiwa na maudhui mengine; la kwanza limehifadhiwa.",
    ),
    (
        "The server cannot be reached; check the connection and try again.",
        "Le serveur est injoignable ; vérifiez la connexion et réessayez.",
        "Seva haifikiki; angalia muunganisho kisha ujaribu tena.",
    ),
    (
        "The target must be a whole number, or empty.",
        "La cible doit être un nombre entier, ou vide.",
        "Lengo lazima liwe namba kamili, au tupu.",
    ),
    (
        "The two new passwords differ; type the same one twice.",
        "Les deux nouveaux mots de passe diffèrent ; tapez le même deux fois.",
        "Manenosiri mawili mapya yanatofautiana; andika lilelile mara mbili.",
    ),
    (
        "The two revisions have the same answers.",
        "Les deux révisions ont les mêmes réponses.",
        "Matoleo mawili yana majibu yaleyale.",
    ),
    ("To", "Au", "Hadi"),
    ("Type", "Type", "Aina"),
    ("Username", "Nom d'utilisateur", "Jina la mtumiaji"),
    ("Version", "Version", "Toleo"),
    (
        "Very short interview",
        "Entretien très court",
        "Mahojiano mafupi mno",
    ),
    (
        "What to fix in the workbook",
        "Ce qu'il faut corriger dans le classeur",
        "Cha kurekebisha kwenye kitabu",
    ),
    ("When", "Quand", "Lini"),
    (
        "Who (username)",
        "Qui (nom d'utilisateur)",
        "Nani (jina la mtumiaji)",
    ),
    ("Who", "Qui", "Nani"),
    (
        "Why dismiss it?",
        "Pourquoi l'écarter ?",
        "Kwa nini unakiondoa?",
    ),
    (
        "XLSForm workbook (.xlsx)",
        "Classeur XLSForm (.xlsx)",
        "Kitabu cha XLSForm (.xlsx)",
    ),
    (
        "Your session has ended; sign in again.",
        "Votre session a pris fin ; reconnectez-vous.",
        "Kipindi chako kimekwisha; ingia tena.",
    ),
    ("active", "actif", "hai"),
    ("by a supervisor", "par un superviseur", "na msimamizi"),
    ("conflict", "conflit", "mgongano"),
    ("disabled", "désactivé", "imezimwa"),
    ("error", "erreur", "kosa"),
    ("from a phone", "depuis un téléphone", "kutoka kwenye simu"),
    (
        "must change password",
        "doit changer de mot de passe",
        "lazima abadilishe nenosiri",
    ),
    ("never", "jamais", "haijawahi"),
    ("phone", "téléphone", "simu"),
    ("revoked", "révoqué", "imebatilishwa"),
    ("the server", "le serveur", "seva"),
    ("valid until", "valable jusqu'à", "halali hadi"),
    ("warning", "avertissement", "onyo"),
    ("with", "avec", "na"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use baraza_browser::i18n::{check_table, keys_used};

    #[test]
    fn every_text_the_screens_show_is_in_the_table_translated_once_and_used() {
        let used = keys_used(&[
            include_str!("web/mod.rs"),
            include_str!("web/progress.rs"),
            include_str!("web/submissions.rs"),
            include_str!("web/quarantine.rs"),
            include_str!("web/devices.rs"),
            include_str!("web/people.rs"),
            include_str!("web/forms.rs"),
            include_str!("web/settlements.rs"),
            include_str!("web/audit.rs"),
            include_str!("web/backups.rs"),
            include_str!("web/editor.rs"),
            include_str!("i18n.rs"),
        ]);
        assert!(
            used.len() > 150,
            "the scan finds the screens' texts: {}",
            used.len()
        );
        assert_eq!(check_table(TEXTS, &used), Vec::<String>::new());
    }

    #[test]
    fn a_progress_flag_reads_in_the_chosen_language_with_the_servers_figures() {
        let flag = |kind, values: &[&str]| Flag {
            kind,
            response_id: None,
            enumerator: None,
            detail: "the server's English".into(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        };
        let outside = flag(
            FlagKind::OutsideFieldwork,
            &["2026-11-02", "2026-11-10", "…"],
        );
        assert_eq!(
            flag_detail(Lang::Fr, &outside),
            "réalisé le 2026-11-02, hors de l'enquête (du 2026-11-10 au …)"
        );
        let twice = flag(FlagKind::DuplicateHousehold, &["S01-0004", "2"]);
        assert_eq!(
            flag_detail(Lang::Sw, &twice),
            "kaya S01-0004 iko katika mahojiano 2"
        );
        let short = flag(FlagKind::ShortInterview, &["7"]);
        assert_eq!(flag_detail(Lang::En, &short), "7 minutes from start to end");
        let dk = flag(FlagKind::ManyDontKnow, &["31", "6"]);
        assert!(flag_detail(Lang::Fr, &dk).starts_with("31 % des réponses"));
        // A server that sends no figures: its sentence as it is, never a template.
        assert_eq!(
            flag_detail(Lang::Fr, &flag(FlagKind::ShortInterview, &[])),
            "the server's English"
        );
    }

    #[test]
    fn every_audit_action_the_server_records_reads_in_words_in_each_language() {
        for code in baraza_schema::api::AUDIT_ACTIONS {
            let en = action_words(Lang::En, code);
            assert!(en.is_some(), "{code} has no words");
            assert_ne!(action_words(Lang::Fr, code), en, "{code} in French");
            assert_ne!(action_words(Lang::Sw, code), en, "{code} in Swahili");
        }
        assert_eq!(
            action_words(Lang::Fr, "user.create"),
            Some("Utilisateur créé")
        );
        assert_eq!(action_words(Lang::En, "plugin.install"), None);
    }

    #[test]
    fn a_text_reads_in_the_chosen_language() {
        assert_eq!(Lang::Fr.t("Sign in"), "Se connecter");
        assert_eq!(Lang::Sw.t("Sign in"), "Ingia");
        assert_eq!(Lang::En.t("Sign in"), "Sign in");
    }
}
