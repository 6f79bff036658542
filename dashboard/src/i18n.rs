//! The dashboard's own words in English, French and Swahili (the reports' words come from
//! the API, `?lang=`). Every text a screen shows goes through [`Words::t`] with its English
//! wording as the key; a test checks the table against the screens.

pub use baraza_browser::i18n::Lang;
use baraza_browser::i18n::Row;

/// The dashboard's words: `lang.t("…")`.
pub trait Words {
    fn t(self, en: &'static str) -> &'static str;
}

impl Words for Lang {
    fn t(self, en: &'static str) -> &'static str {
        self.pick(TEXTS, en)
    }
}

/// English, French, Swahili.
#[rustfmt::skip]
const TEXTS: &[Row] = &[
    ("Baraza · needs and concerns", "Baraza · besoins et préoccupations", "Baraza · mahitaji na mambo yanayosumbua"),
    ("Print", "Imprimer", "Chapisha"),
    ("Change password", "Changer le mot de passe", "Badilisha nenosiri"),
    ("Sign out", "Se déconnecter", "Toka"),
    ("Language", "Langue", "Lugha"),
    ("Choose a new password", "Choisissez un nouveau mot de passe", "Chagua nenosiri jipya"),
    ("At least 8 characters. Your other sessions end.", "Au moins 8 caractères. Vos autres sessions prennent fin.", "Angalau herufi 8. Vipindi vyako vingine vinaisha."),
    ("Current password", "Mot de passe actuel", "Nenosiri la sasa"),
    ("New password", "Nouveau mot de passe", "Nenosiri jipya"),
    ("New password again", "Nouveau mot de passe, encore", "Nenosiri jipya tena"),
    ("Save the new password", "Enregistrer le nouveau mot de passe", "Hifadhi nenosiri jipya"),
    ("The two new passwords differ; type the same one twice.", "Les deux nouveaux mots de passe diffèrent ; tapez deux fois le même.", "Manenosiri mapya mawili yanatofautiana; andika lile lile mara mbili."),
    ("Sign in", "Se connecter", "Ingia"),
    ("Reports are for planners, supervisors and administrators.", "Les rapports sont destinés aux planificateurs, superviseurs et administrateurs.", "Ripoti ni za wapangaji, wasimamizi na wasimamizi wakuu."),
    ("Username", "Nom d'utilisateur", "Jina la mtumiaji"),
    ("Password", "Mot de passe", "Nenosiri"),
    ("Enumerator accounts cannot read reports; sign in as a planner, supervisor or admin.", "Les comptes d'enquêteur ne peuvent pas lire les rapports ; connectez-vous comme planificateur, superviseur ou administrateur.", "Akaunti za wadadisi haziwezi kusoma ripoti; ingia kama mpangaji, msimamizi au msimamizi mkuu."),
    ("Reports", "Rapports", "Ripoti"),
    ("Disaggregation", "Ventilation", "Mgawanyo"),
    ("Settlement type", "Type de quartier", "Aina ya makazi"),
    ("All types", "Tous les types", "Aina zote"),
    ("Type", "Type", "Aina"),
    ("Settlement", "Quartier", "Makazi"),
    ("All settlements", "Tous les quartiers", "Makazi yote"),
    ("Service", "Service", "Huduma"),
    ("Quarter", "Trimestre", "Robo mwaka"),
    ("Whole fieldwork", "Toute l'enquête", "Kazi yote ya uwandani"),
    ("Download CSV", "Télécharger le CSV", "Pakua CSV"),
    ("Print for the meeting", "Imprimer pour la réunion", "Chapisha kwa ajili ya mkutano"),
    ("Loading…", "Chargement…", "Inapakia…"),
    ("Shown for", "Présenté pour", "Imeonyeshwa kwa"),
    ("at this settlement, more than 20 % of this table would be suppressed.", "dans ce quartier, plus de 20 % de ce tableau serait masqué.", "katika makazi haya, zaidi ya 20 % ya jedwali hili ingefichwa."),
    ("settlement type", "le type de quartier", "aina ya makazi"),
    ("the whole city", "toute la ville", "jiji zima"),
    ("Group", "Groupe", "Kundi"),
    ("Actors serving each settlement, by provider group (% of them)", "Acteurs desservant chaque quartier, par groupe de fournisseurs (% d'entre eux)", "Wahusika wanaohudumia kila makazi, kwa kundi la watoa huduma (% yao)"),
    ("Item", "Élément", "Kipengele"),
    ("Base (n)", "Base (n)", "Msingi (n)"),
    ("Show all", "Tout afficher", "Onyesha vyote"),
    ("Show the highest 12", "Afficher les 12 plus élevés", "Onyesha 12 vya juu"),
    ("Borda score (0–100)", "Score de Borda (0–100)", "Alama za Borda (0–100)"),
    ("Ranked first %", "Classé premier %", "Nafasi ya kwanza %"),
    ("In top 3 %", "Parmi les 3 premiers %", "Katika 3 bora %"),
    ("% of households", "% des ménages", "% ya kaya"),
    ("% of people", "% des personnes", "% ya watu"),
    ("Measure", "Mesure", "Kipimo"),
    ("Estimate", "Estimation", "Makadirio"),
    ("P25 / 95 % low", "P25 / 95 % bas", "P25 / 95 % chini"),
    ("P75 / 95 % high", "P75 / 95 % haut", "P75 / 95 % juu"),
    ("Median's 95 % interval", "Intervalle à 95 % de la médiane", "Kipindi cha 95 % cha wastani wa kati"),
    ("per 10,000 households", "pour 10 000 ménages", "kwa kaya 10,000"),
    ("index (mean z-score)", "indice (score z moyen)", "kipimo (wastani wa z)"),
    ("1 = slum area", "1 = quartier précaire", "1 = eneo duni"),
    ("lower-bound mean", "moyenne, borne inférieure", "wastani wa chini"),
    ("median", "médiane", "wastani wa kati"),
    ("mean", "moyenne", "wastani"),
    ("Spearman ρ (−1 to 1)", "ρ de Spearman (−1 à 1)", "ρ ya Spearman (−1 hadi 1)"),
    ("Mean performance (0–5)", "Performance moyenne (0–5)", "Utendaji wa wastani (0–5)"),
    ("Provider group", "Groupe de fournisseurs", "Kundi la watoa huduma"),
    ("Relationship", "Relation", "Uhusiano"),
    ("* suppressed: fewer than 25 households behind the figure, or a small count (or a cell that would reveal one by subtraction). (x): 25–49 households, interpret with caution. A hidden figure's base is hidden too, since it could be subtracted. The base n counts households (members for member figures, adults for adult figures, focus groups in R2, R3 and R12's community items, service actors (operator items) in R8, stakeholders (consultations) in R12). Household figures are weighted by each settlement's design weight; groups, actors and stakeholders count once each.",
     "* masqué : moins de 25 ménages derrière le chiffre, ou un petit effectif (ou une cellule qui en révélerait un par soustraction). (x) : 25 à 49 ménages, à interpréter avec prudence. La base d'un chiffre masqué l'est aussi, car elle pourrait être soustraite. La base n compte les ménages (les membres pour les chiffres sur les membres, les adultes pour ceux sur les adultes, les groupes de discussion dans R2, R3 et les éléments communautaires de R12, les acteurs de services dans R8, les parties prenantes dans R12). Les chiffres des ménages sont pondérés par le poids de sondage de chaque quartier ; groupes, acteurs et parties prenantes comptent une fois chacun.",
     "* imefichwa: kaya chini ya 25 nyuma ya takwimu, au idadi ndogo (au kisanduku ambacho kingefichua moja kwa kutoa). (x): kaya 25–49, tafsiri kwa tahadhari. Msingi wa takwimu iliyofichwa nao hufichwa, kwa sababu ungeweza kutolewa. Msingi n huhesabu kaya (wanakaya kwa takwimu za wanakaya, watu wazima kwa takwimu za watu wazima, vikundi vya majadiliano katika R2, R3 na vipengele vya jamii vya R12, watoa huduma katika R8, wadau katika R12). Takwimu za kaya zimepimwa kwa uzito wa sampuli wa kila makazi; vikundi, watoa huduma na wadau huhesabiwa mara moja kila mmoja."),
];

#[cfg(test)]
mod tests {
    use super::*;
    use baraza_browser::i18n::{check_table, keys_used};

    #[test]
    fn every_text_the_dashboard_shows_is_in_the_table_translated_once_and_used() {
        let used = keys_used(&[include_str!("web.rs"), include_str!("report.rs")]);
        assert!(
            used.len() > 40,
            "the scan finds the screens' texts: {}",
            used.len()
        );
        assert_eq!(check_table(TEXTS, &used), Vec::<String>::new());
    }
}
