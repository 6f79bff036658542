//! Report items and groups in words, in English, French or Swahili (issue 18: "labels, not
//! codes"). An item is built from parts — an indicator (`water_off_premises`), a category
//! of a variable (`tenure=owner_titled`), a service or provider after `:` or `@` — and
//! each part is read, in order, from the words below (indicators and the categories the
//! reports derive), then the forms' own choice labels, then their question labels; a code
//! found nowhere is shown with spaces for underscores. The forms are the city's, so a list
//! a city adapts is labelled as it adapted it.

use crate::form::Form;

/// The interface languages, as the forms tag their label columns.
pub const LANGUAGES: [&str; 3] = ["en", "fr", "sw"];

/// (code, English, French, Swahili).
type Words = (&'static str, &'static str, &'static str, &'static str);

/// Report titles, by report id.
#[rustfmt::skip]
const TITLES: &[Words] = &[
    ("R1", "Top concerns of the poor", "Principales préoccupations des pauvres", "Mambo makuu yanayowasumbua maskini"),
    ("R2", "Group priorities from focus groups", "Priorités des groupes de discussion", "Vipaumbele vya vikundi vya majadiliano"),
    ("R3", "Service needs from matrix scoring", "Besoins en services (notation matricielle)", "Mahitaji ya huduma (alama za jedwali)"),
    ("R4", "Service ladders", "Échelles de service", "Ngazi za huduma"),
    ("R5", "Who serves households", "Qui dessert les ménages", "Nani anahudumia kaya"),
    ("R6", "Affordability", "Accessibilité financière", "Uwezo wa kumudu gharama"),
    ("R7", "Accessibility", "Accessibilité physique", "Upatikanaji"),
    ("R8", "Exploitation", "Exploitation", "Unyonyaji"),
    ("R9", "Security of tenure", "Sécurité foncière", "Usalama wa umiliki"),
    ("R10", "Employment and livelihoods", "Emploi et moyens de subsistance", "Ajira na riziki"),
    ("R11", "Choice of provider", "Choix du fournisseur", "Uchaguzi wa mtoa huduma"),
    ("R12", "Participation and accountability", "Participation et redevabilité", "Ushiriki na uwajibikaji"),
    ("R13", "Marginalisation", "Marginalisation", "Kutengwa"),
    ("R14", "Gender gaps", "Écarts entre femmes et hommes", "Tofauti za kijinsia"),
    ("R15", "Actors map: who serves whom", "Carte des acteurs : qui dessert qui", "Ramani ya wahusika: nani anahudumia nani"),
    ("R16", "Municipal objectives and community priorities", "Objectifs municipaux et priorités des communautés", "Malengo ya manispaa na vipaumbele vya jamii"),
    ("R17", "Disability and services", "Handicap et services", "Ulemavu na huduma"),
    ("R18", "Willingness to pay for a water connection", "Disposition à payer un branchement d'eau", "Utayari wa kulipia muunganisho wa maji"),
];

/// Disaggregations, by their `by` code.
#[rustfmt::skip]
const BY: &[Words] = &[
    ("all", "Everyone", "Ensemble", "Wote"),
    ("s", "Settlement", "Quartier", "Makazi"),
    ("t", "Settlement type", "Type de quartier", "Aina ya makazi"),
    ("rs", "Sex of respondent", "Sexe du répondant", "Jinsia ya mhojiwa"),
    ("hs", "Sex of household head", "Sexe du chef de ménage", "Jinsia ya mkuu wa kaya"),
    ("tn", "Tenure group", "Statut d'occupation", "Hali ya umiliki"),
    ("d", "Disability in the household", "Handicap dans le ménage", "Ulemavu katika kaya"),
    ("q", "Income quintile (per head)", "Quintile de revenu (par personne)", "Kiwango cha mapato (kwa mtu)"),
    ("g", "Focus-group type", "Type de groupe de discussion", "Aina ya kikundi cha majadiliano"),
    ("ms", "Sex of the household member", "Sexe du membre du ménage", "Jinsia ya mwanakaya"),
    ("ag", "Age group", "Groupe d'âge", "Kundi la umri"),
    ("mg", "Migrant household", "Ménage migrant", "Kaya ya wahamiaji"),
    ("rg", "Role group", "Groupe de fonctions", "Kundi la wadhifa"),
];

/// Indicators, and the categories and groups the reports derive (not in any form).
#[rustfmt::skip]
const WORDS: &[Words] = &[
    // Groups.
    ("all", "Everyone", "Ensemble", "Wote"),
    ("gap", "Difference", "Écart", "Tofauti"),
    ("city", "City stakeholders", "Acteurs municipaux", "Wadau wa jiji"),
    ("female_headed", "Female-headed", "Dirigé par une femme", "Inaongozwa na mwanamke"),
    ("male_headed", "Male-headed", "Dirigé par un homme", "Inaongozwa na mwanamume"),
    ("disability", "With a disabled member", "Avec un membre handicapé", "Yenye mwanakaya mwenye ulemavu"),
    ("no_disability", "No disabled member", "Sans membre handicapé", "Bila mwanakaya mwenye ulemavu"),
    ("owner_documented", "Owner with documents", "Propriétaire avec documents", "Mmiliki mwenye hati"),
    ("owner_undocumented", "Owner without documents", "Propriétaire sans documents", "Mmiliki bila hati"),
    ("tenant", "Tenant", "Locataire", "Mpangaji"),
    ("occupying", "Occupying without permission", "Occupant sans autorisation", "Anakaa bila ruhusa"),
    ("q1", "Poorest fifth", "Cinquième le plus pauvre", "Sehemu ya tano maskini zaidi"),
    ("q2", "Second fifth", "Deuxième cinquième", "Sehemu ya tano ya pili"),
    ("q3", "Middle fifth", "Cinquième du milieu", "Sehemu ya tano ya kati"),
    ("q4", "Fourth fifth", "Quatrième cinquième", "Sehemu ya tano ya nne"),
    ("q5", "Richest fifth", "Cinquième le plus riche", "Sehemu ya tano tajiri zaidi"),
    ("migrant", "Head born elsewhere", "Chef né ailleurs", "Mkuu alizaliwa kwingine"),
    ("not_migrant", "Head born in this city", "Chef né dans cette ville", "Mkuu alizaliwa mji huu"),
    ("age_5_17", "Aged 5–17", "5–17 ans", "Umri 5–17"),
    ("age_18_59", "Aged 18–59", "18–59 ans", "Umri 18–59"),
    ("age_60_plus", "Aged 60 and over", "60 ans et plus", "Umri 60 na zaidi"),
    ("councillors", "Elected councillors", "Élus municipaux", "Madiwani"),
    ("officials", "Officials", "Fonctionnaires", "Maafisa"),
    // Ladders and derived categories.
    ("basic_plus", "At least basic, on premises", "Au moins basique, sur place", "Angalau msingi, nyumbani"),
    ("basic", "Basic", "Basique", "Msingi"),
    ("limited", "Limited", "Limité", "Mdogo"),
    ("basic_or_limited_unknown", "Basic or limited (time unknown)", "Basique ou limité (temps inconnu)", "Msingi au mdogo (muda haujulikani)"),
    ("unimproved", "Unimproved", "Non amélioré", "Haujaboreshwa"),
    ("surface_water", "Surface water", "Eau de surface", "Maji ya juu ya ardhi"),
    ("open_defecation", "Open defecation", "Défécation à l'air libre", "Kujisaidia hadharani"),
    ("documented_secure", "Documented and secure", "Documenté et en sécurité", "Ana hati na yuko salama"),
    ("documented_insecure", "Documented but insecure", "Documenté mais en insécurité", "Ana hati lakini hayuko salama"),
    ("undocumented_secure", "Undocumented but secure", "Sans document mais en sécurité", "Hana hati lakini yuko salama"),
    ("undocumented_insecure", "Undocumented and insecure", "Sans document et en insécurité", "Hana hati na hayuko salama"),
    ("landlord_or_tenure", "Landlord or tenure", "Propriétaire ou statut foncier", "Mwenye nyumba au umiliki"),
    ("public", "Municipality or public utility", "Municipalité ou service public", "Manispaa au shirika la umma"),
    ("private_formal", "Formal private operator", "Opérateur privé formel", "Mtoa huduma binafsi rasmi"),
    ("informal", "Informal provider", "Fournisseur informel", "Mtoa huduma asiye rasmi"),
    ("ngo_cbo", "NGO or community group", "ONG ou organisation communautaire", "Shirika lisilo la kiserikali au la kijamii"),
    ("households", "Neighbours and resellers", "Voisins et revendeurs", "Majirani na wauzaji"),
    ("any", "any service", "tout service", "huduma yoyote"),
    ("refused", "refused to answer", "refus de répondre", "amekataa kujibu"),
    // Indicators.
    ("accept", "Would take the connection", "Prendrait le branchement", "Angechukua muunganisho"),
    ("accept_dk", "Does not know whether they would take it", "Ne sait pas s'il le prendrait", "Hajui kama angeuchukua"),
    ("actors", "Actors", "Acteurs", "Wahusika"),
    ("alignment_spearman", "Alignment of officials' view with households' ranking (Spearman ρ)", "Concordance entre la vision des responsables et le classement des ménages (ρ de Spearman)", "Ulinganifu wa maoni ya maafisa na mpangilio wa kaya (ρ ya Spearman)"),
    ("alternatives", "Number of alternative providers", "Nombre de fournisseurs alternatifs", "Idadi ya watoa huduma mbadala"),
    ("attended", "Attended a consultation", "A assisté à une consultation", "Alihudhuria mashauriano"),
    ("attended_consultation", "Attended a consultation", "A assisté à une consultation", "Alihudhuria mashauriano"),
    ("aware", "Aware of consultations", "Informé des consultations", "Anafahamu mashauriano"),
    ("aware_of_consultation", "Aware of consultations", "Informé des consultations", "Anafahamu mashauriano"),
    ("basic_sanitation", "At least basic sanitation", "Assainissement au moins basique", "Angalau usafi wa msingi"),
    ("basic_water", "At least basic water", "Eau au moins basique", "Angalau maji ya msingi"),
    ("basic_water_not_met", "Basic water not met", "Eau basique non atteinte", "Maji ya msingi hayajafikiwa"),
    ("bill", "Monthly bill offered", "Facture mensuelle proposée", "Bili ya mwezi iliyopendekezwa"),
    ("bribe_asked", "Asked for a bribe", "Pot-de-vin demandé", "Aliombwa rushwa"),
    ("bribe_paid", "Paid a bribe", "Pot-de-vin payé", "Alilipa rushwa"),
    ("circular_triads", "Circular triads (inconsistent rankings)", "Triades circulaires (classements incohérents)", "Mizunguko (mipangilio isiyolingana)"),
    ("community_consulted", "Community was consulted", "La communauté a été consultée", "Jamii ilishauriwa"),
    ("community_objective", "Community objective", "Objectif de la communauté", "Lengo la jamii"),
    ("complained", "Complained", "A porté plainte", "Alilalamika"),
    ("consultations_held", "Consultations held (12 months)", "Consultations tenues (12 mois)", "Mashauriano yaliyofanyika (miezi 12)"),
    ("consultations_in_low_income_settlements", "Consultations in low-income settlements", "Consultations dans les quartiers à faible revenu", "Mashauriano katika makazi ya kipato cha chini"),
    ("coping", "Coping", "Stratégie d'adaptation", "Njia ya kukabiliana"),
    ("customers", "Households served per month (reported by actors)", "Ménages desservis par mois (selon les acteurs)", "Kaya zinazohudumiwa kwa mwezi (kwa wahusika)"),
    ("cutoff_threat", "Threatened with cut-off", "Menacé de coupure", "Alitishiwa kukatiwa"),
    ("days_down", "Days without service per month", "Jours sans service par mois", "Siku bila huduma kwa mwezi"),
    ("deprivations_1_or_more", "One deprivation or more (UN-Habitat)", "Au moins une privation (ONU-Habitat)", "Upungufu mmoja au zaidi (UN-Habitat)"),
    ("deprivations_2_or_more", "Two deprivations or more", "Au moins deux privations", "Upungufu miwili au zaidi"),
    ("disability_prevalence", "Persons aged 5+ with a disability", "Personnes de 5 ans et plus handicapées", "Watu wa miaka 5+ wenye ulemavu"),
    ("discriminated_for", "Treated unfairly because of", "Traité injustement en raison de", "Alitendewa isivyo haki kwa sababu ya"),
    ("discrimination", "Treated unfairly when seeking services", "Traité injustement pour obtenir des services", "Alitendewa isivyo haki akitafuta huduma"),
    ("discrimination_refused", "Would not say whether treated unfairly", "N'a pas voulu dire s'il a été traité injustement", "Hakutaka kusema kama alitendewa isivyo haki"),
    ("distance_m", "Distance (metres)", "Distance (mètres)", "Umbali (mita)"),
    ("documented_x_secure", "Documents and perceived security", "Documents et sécurité perçue", "Hati na usalama unaohisiwa"),
    ("documents_dk", "Does not know the documents", "Ne connaît pas les documents", "Hajui hati"),
    ("employment_ratio", "Employment ratio", "Taux d'emploi", "Uwiano wa ajira"),
    ("evict_5y_refused", "Would not say about eviction", "N'a pas voulu parler d'expulsion", "Hakutaka kusema kuhusu kufukuzwa"),
    ("evicted_or_threatened_5y", "Evicted or threatened (5 years)", "Expulsé ou menacé (5 ans)", "Alifukuzwa au kutishiwa (miaka 5)"),
    ("exploitation_any_service", "Any exploitation, any service", "Toute exploitation, tout service", "Unyonyaji wowote, huduma yoyote"),
    ("fear", "Fear of losing the home", "Crainte de perdre le logement", "Hofu ya kupoteza makazi"),
    ("governance", "Governance self-score (1–5)", "Auto-évaluation de la gouvernance (1–5)", "Kujipima utawala (1–5)"),
    ("gov_participation", "participation and consultation", "participation et consultation", "ushiriki na mashauriano"),
    ("gov_planning", "integrated strategic planning", "planification stratégique intégrée", "mipango jumuishi ya kimkakati"),
    ("gov_finance", "sound financial management", "gestion financière saine", "usimamizi mzuri wa fedha"),
    ("gov_accountability", "accountability and transparency", "redevabilité et transparence", "uwajibikaji na uwazi"),
    ("gov_collaborative", "collaborative, innovative management", "gestion collaborative et innovante", "usimamizi shirikishi na wa kibunifu"),
    ("harass", "Harassed", "Harcelé", "Alinyanyaswa"),
    ("harassed_any_service", "Harassed, any service", "Harcelé, tout service", "Alinyanyaswa, huduma yoyote"),
    ("household", "Households' score (0–100)", "Score des ménages (0–100)", "Alama za kaya (0–100)"),
    ("households_with_disabled_member", "Households with a disabled member", "Ménages avec un membre handicapé", "Kaya zenye mwanakaya mwenye ulemavu"),
    ("id_document_refused", "Would not say about an ID", "N'a pas voulu parler de pièce d'identité", "Hakutaka kusema kuhusu kitambulisho"),
    ("income_from_band_midpoint", "Income from a band's midpoint", "Revenu au milieu d'une tranche", "Mapato kutoka katikati ya kundi"),
    ("income_per_capita", "Income per head", "Revenu par personne", "Mapato kwa mtu"),
    ("informal_among_employed", "Informal among the employed", "Informels parmi les actifs occupés", "Wasio rasmi kati ya walioajiriwa"),
    ("insecure", "Feels insecure in the home", "Se sent en insécurité", "Anahisi si salama"),
    ("insecure_adults", "Adults feeling insecure", "Adultes en insécurité", "Watu wazima wasiohisi usalama"),
    ("insecure_because", "Insecure because", "En insécurité parce que", "Si salama kwa sababu"),
    ("insecure_tenure", "Insecure tenure", "Occupation précaire", "Umiliki usio salama"),
    ("legal_document", "Legally recognised document", "Document légalement reconnu", "Hati inayotambulika kisheria"),
    ("legal_document_adults", "Adults with a recognised document", "Adultes avec un document reconnu", "Watu wazima wenye hati inayotambulika"),
    ("main_income", "Main income source", "Principale source de revenu", "Chanzo kikuu cha mapato"),
    ("marginalisation_index", "Marginalisation index (mean z-score)", "Indice de marginalisation (score z moyen)", "Kipimo cha kutengwa (wastani wa z)"),
    ("minority_language", "Speaks a minority language", "Parle une langue minoritaire", "Anazungumza lugha ya wachache"),
    ("more_than_3_circular_triads", "More than 3 circular triads", "Plus de 3 triades circulaires", "Zaidi ya mizunguko 3"),
    ("need_index", "Need index (0–25)", "Indice de besoin (0–25)", "Kipimo cha hitaji (0–25)"),
    ("needs_landlord_permission", "Needs the landlord's permission", "A besoin de l'accord du propriétaire", "Anahitaji ruhusa ya mwenye nyumba"),
    ("no_alternative", "No alternative provider", "Aucun fournisseur alternatif", "Hakuna mtoa huduma mbadala"),
    ("no_id_document", "No identity document", "Sans pièce d'identité", "Hana kitambulisho"),
    ("not_registered_to_vote", "Not registered to vote", "Non inscrit sur les listes électorales", "Hajajiandikisha kupiga kura"),
    ("objective", "Objective (Borda, 0–100)", "Objectif (Borda, 0–100)", "Lengo (Borda, 0–100)"),
    ("officials_name_excluded", "Named excluded by officials", "Cité comme exclu par les responsables", "Limetajwa kutengwa na maafisa"),
    ("only_option", "Uses it because it is the only option", "Seule option", "Ndilo chaguo pekee"),
    ("operator_bribe_demanded", "Operators asked for unofficial payments", "Opérateurs sollicités pour des paiements officieux", "Watoa huduma waliombwa malipo yasiyo rasmi"),
    ("overcharged", "Overcharged", "Surfacturé", "Alitozwa zaidi"),
    ("perceived_poor", "Officials' view of the poor's ranking (0–100)", "Vision des responsables du classement des pauvres (0–100)", "Maoni ya maafisa kuhusu mpangilio wa maskini (0–100)"),
    ("practice", "Reports the practice", "Déclare la pratique", "Anaripoti utaratibu"),
    ("price_20l", "Price per 20 litres", "Prix pour 20 litres", "Bei kwa lita 20"),
    ("price_ratio", "Price over the official tariff", "Prix rapporté au tarif officiel", "Bei ikilinganishwa na ushuru rasmi"),
    ("refused_because", "Main reason for refusing", "Raison principale du refus", "Sababu kuu ya kukataa"),
    ("refused_for", "Kind of reason for refusing", "Type de raison du refus", "Aina ya sababu ya kukataa"),
    ("resolved", "Complaint fully resolved", "Plainte entièrement résolue", "Lalamiko lilitatuliwa kikamilifu"),
    ("round_trip_minutes", "Round trip to collect water (minutes)", "Aller-retour pour l'eau (minutes)", "Safari ya kwenda na kurudi kuchota maji (dakika)"),
    ("round_trip_over_30_min", "Round trip over 30 minutes", "Aller-retour de plus de 30 minutes", "Safari ya zaidi ya dakika 30"),
    ("served_by", "Households served by", "Ménages desservis par", "Kaya zinazohudumiwa na"),
    ("service_burden", "Total service spending, share of income", "Dépenses totales de services, part du revenu", "Jumla ya matumizi ya huduma, sehemu ya mapato"),
    ("service_provision_jobs", "Work in service provision", "Travaille dans la fourniture de services", "Anafanya kazi ya kutoa huduma"),
    ("shock_12m", "Had a shock (12 months)", "A subi un choc (12 mois)", "Alipata mshtuko (miezi 12)"),
    ("slum_area", "Slum area (half or more deprived)", "Quartier précaire (moitié ou plus privée)", "Eneo duni (nusu au zaidi wana upungufu)"),
    ("small_group", "Fewer than 5 participants", "Moins de 5 participants", "Washiriki chini ya 5"),
    ("stakeholder_does_not_know_consultations", "Stakeholder does not know", "L'acteur ne sait pas", "Mdau hajui"),
    ("supply_24_hours", "Water 24 hours a day", "Eau 24 heures sur 24", "Maji saa 24 kwa siku"),
    ("supply_hours_per_day", "Hours of water supply a day", "Heures d'approvisionnement en eau par jour", "Saa za maji kwa siku"),
    ("tenure", "Tenure", "Statut d'occupation", "Umiliki"),
    ("tie", "Relationship strength (1–3)", "Force de la relation (1–3)", "Nguvu ya uhusiano (1–3)"),
    ("turnbull_lower_bound", "Lower-bound mean willingness to pay (Turnbull)", "Disposition moyenne à payer, borne inférieure (Turnbull)", "Wastani wa chini wa utayari wa kulipa (Turnbull)"),
    ("unemployment_rate", "Unemployment rate", "Taux de chômage", "Kiwango cha ukosefu wa ajira"),
    ("venn_closeness", "Closeness to the community (1–5)", "Proximité avec la communauté (1–5)", "Ukaribu na jamii (1–5)"),
    ("venn_importance", "Importance to the community (1–5)", "Importance pour la communauté (1–5)", "Umuhimu kwa jamii (1–5)"),
    ("voter_registration_refused", "Would not say about voter registration", "N'a pas voulu parler de l'inscription électorale", "Hakutaka kusema kuhusu kujiandikisha kupiga kura"),
    ("water_off_premises", "Water off premises", "Eau hors du logement", "Maji nje ya makazi"),
    ("water_sanitation_share_over_5pc", "Water and sanitation over 5 % of income", "Eau et assainissement au-delà de 5 % du revenu", "Maji na usafi zaidi ya 5 % ya mapato"),
    ("water_share", "Water, share of income (%)", "Eau, part du revenu (%)", "Maji, sehemu ya mapato (%)"),
    ("water_share_of_spending", "Water, share of spending (%)", "Eau, part des dépenses (%)", "Maji, sehemu ya matumizi (%)"),
    ("water_share_over_3pc", "Water over 3 % of income", "Eau au-delà de 3 % du revenu", "Maji zaidi ya 3 % ya mapato"),
    ("woman_named_on_document", "A woman named on the tenure document", "Une femme nommée sur le document", "Mwanamke ametajwa kwenye hati"),
    ("would_switch", "Would switch provider", "Changerait de fournisseur", "Angebadilisha mtoa huduma"),
    ("zero_income", "No income last month", "Aucun revenu le mois dernier", "Hakuna mapato mwezi uliopita"),
];

/// What "share of income" and "per 10,000 households" add to a label.
const SHARE_OF_INCOME: [&str; 3] = [
    "share of income (%)",
    "part du revenu (%)",
    "sehemu ya mapato (%)",
];
const PER_10K: [&str; 3] = [
    "per 10,000 households",
    "pour 10 000 ménages",
    "kwa kaya 10,000",
];
const BID_SET: [&str; 3] = ["bid set", "jeu d'offres", "seti ya bei"];

fn index(lang: &str) -> usize {
    LANGUAGES.iter().position(|l| *l == lang).unwrap_or(0)
}

fn pick(w: &Words, i: usize) -> &'static str {
    [w.1, w.2, w.3][i]
}

fn table(table: &[Words], code: &str, lang: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|w| w.0 == code)
        .map(|w| pick(w, index(lang)))
}

/// A report's title in `lang` (the catalogue's English title when there is none).
pub fn title(id: &str, lang: &str) -> Option<&'static str> {
    table(TITLES, id, lang)
}

/// A disaggregation's name in `lang`.
pub fn by(code: &str, lang: &str) -> Option<&'static str> {
    table(BY, code, lang)
}

/// One code in words. An indicator or a group (`head`) is read from the reports' words
/// first; a code after it (a service, a provider, a ground of discrimination) from the
/// forms' choices first, so that a city's own list wins. Then a question's label; then a
/// bid set; else the code with spaces.
fn code(part: &str, forms: &[&Form], lang: &str, head: bool) -> String {
    let derived = || table(WORDS, part, lang).map(str::to_owned);
    let choice = || {
        forms.iter().find_map(|form| {
            let c = form
                .choices
                .values()
                .find_map(|list| list.iter().find(|c| c.name == part))
                .filter(|c| !c.label.is_empty())?;
            Some(form.text_in(&c.label, &form.language_for(lang)))
        })
    };
    let question = || {
        forms.iter().find_map(|form| {
            let f = form.field(part).filter(|f| !f.label.is_empty())?;
            Some(form.text_in(&f.label, &form.language_for(lang)))
        })
    };
    let bid = || {
        let k = part.strip_prefix('b')?.parse::<u32>().ok()?;
        Some(format!("{} {k}", BID_SET[index(lang)]))
    };
    let first = if head { derived() } else { choice() };
    first
        .or_else(|| if head { choice() } else { derived() })
        .or_else(question)
        .or_else(bid)
        .unwrap_or_else(|| part.replace('_', " "))
}

/// A language asked for (`?lang=`), checked: `None` means English.
pub fn language(asked: Option<&str>) -> Result<&'static str, String> {
    match asked.filter(|l| !l.is_empty()) {
        None => Ok("en"),
        Some(l) => LANGUAGES
            .iter()
            .find(|x| **x == l)
            .copied()
            .ok_or_else(|| format!("lang is one of {}, not {l:?}", LANGUAGES.join(", "))),
    }
}

/// A settlement type's name (`A` → "Type A").
pub fn settlement_type(code: &str, lang: &str) -> String {
    let word = ["Type", "Type", "Aina"][index(lang)];
    format!("{word} {code}")
}

/// A report item in words (`tenure=tenant_verbal` → "Tenure: Tenant (verbal agreement)",
/// `bribe_asked:water@informal_provider` → "Asked for a bribe: Water — Informal provider").
pub fn item(item: &str, forms: &[&Form], lang: &str) -> String {
    let i = index(lang);
    // French sets a space before a colon.
    let colon = if lang == "fr" { " : " } else { ": " };
    if let Some((var, value)) = item.split_once('=') {
        return format!(
            "{}{colon}{}",
            self::item(var, forms, lang),
            code(value, forms, lang, false)
        );
    }
    if let Some((left, provider)) = item.split_once('@') {
        return format!(
            "{} — {}",
            self::item(left, forms, lang),
            code(provider, forms, lang, false)
        );
    }
    let mut parts = item.split(':');
    let head = parts.next().unwrap_or_default();
    let mut out = if let Some(stem) = head.strip_suffix("_per_10k_households") {
        format!("{}, {}", code(stem, forms, lang, true), PER_10K[i])
    } else if let (Some(service), None) = (head.strip_suffix("_share"), table(WORDS, head, lang)) {
        format!(
            "{}, {}",
            code(service, forms, lang, false),
            SHARE_OF_INCOME[i]
        )
    } else if let Some(item) = head
        .strip_prefix("venn_")
        .filter(|_| table(WORDS, head, lang).is_none())
    {
        code(item, forms, lang, false)
    } else {
        code(head, forms, lang, true)
    };
    let rest: Vec<String> = parts.map(|p| code(p, forms, lang, false)).collect();
    if !rest.is_empty() {
        out.push_str(colon);
        out.push_str(&rest.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;
    use crate::form::{Choice, Field, Kind};

    fn form() -> Form {
        let choice = |name: &str, en: &str, fr: &str| Choice {
            #[cfg(not(target_arch = "wasm32"))]
            media: Default::default(),
            name: name.into(),
            label: [
                ("English (en)".to_owned(), en.to_owned()),
                ("Français (fr)".to_owned(), fr.to_owned()),
            ]
            .into(),
            extra: Default::default(),
        };
        let mut tenure = Field::new("tenure", Kind::SelectOne);
        tenure.label = [
            ("English (en)".to_owned(), "Tenure status".to_owned()),
            ("Français (fr)".to_owned(), "Statut".to_owned()),
        ]
        .into();
        Form::new(
            Settings {
                form_id: "f".into(),
                version: "1".into(),
                title: "F".into(),
                default_language: Some("English (en)".into()),
                instance_name: None,
            },
            vec!["English (en)".into(), "Français (fr)".into()],
            vec![tenure],
            [
                (
                    "service".to_owned(),
                    vec![
                        choice("water", "Water", "Eau"),
                        choice("solid_waste", "Solid waste", "Déchets solides"),
                    ],
                ),
                (
                    "provider_type".to_owned(),
                    vec![choice(
                        "informal_provider",
                        "Informal provider",
                        "Fournisseur informel",
                    )],
                ),
                (
                    "tenure".to_owned(),
                    vec![choice(
                        "tenant_verbal",
                        "Tenant (verbal)",
                        "Locataire (verbal)",
                    )],
                ),
            ]
            .into(),
        )
    }

    #[test]
    fn items_read_as_words_from_the_reports_and_the_forms_in_each_language() {
        let f = form();
        let forms = [&f];
        for (code, lang, words) in [
            ("water_off_premises", "en", "Water off premises"),
            ("water_off_premises", "sw", "Maji nje ya makazi"),
            (
                "bribe_asked:water@informal_provider",
                "fr",
                "Pot-de-vin demandé : Eau — Fournisseur informel",
            ),
            ("tenure=tenant_verbal", "en", "Tenure: Tenant (verbal)"),
            (
                "solid_waste_share:informal_provider",
                "en",
                "Solid waste, share of income (%): Informal provider",
            ),
            (
                "water:basic_plus",
                "en",
                "Water: At least basic, on premises",
            ),
            (
                "accept:b3",
                "fr",
                "Prendrait le branchement : jeu d'offres 3",
            ),
            (
                "bribe_asked:any:refused",
                "en",
                "Asked for a bribe: any service, refused to answer",
            ),
            ("no_such_code", "en", "no such code"),
        ] {
            assert_eq!(item(code, &forms, lang), words, "{code} in {lang}");
        }
        assert_eq!(
            title("R16", "sw"),
            Some("Malengo ya manispaa na vipaumbele vya jamii")
        );
        assert_eq!(by("hs", "fr"), Some("Sexe du chef de ménage"));
    }

    #[test]
    fn every_indicator_a_report_publishes_has_words_in_every_language() {
        for w in WORDS.iter().chain(TITLES).chain(BY) {
            for (i, lang) in LANGUAGES.iter().enumerate() {
                assert!(!pick(w, i).trim().is_empty(), "{} has no {lang}", w.0);
            }
        }
    }
}
