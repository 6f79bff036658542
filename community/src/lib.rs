//! This phone's figures: the needs-and-concerns reports computed in the browser from the
//! interviews the device holds, with the same engine and disclosure control as the server
//! (`baraza_schema::reports::local_reports`), so an enumerator can show a community its own
//! answers at the end of a visit, offline. A page of its own (`/community.html`) with its own
//! WebAssembly module, loaded only when opened: the enumerator client's download stays as it
//! was.
//!
//! What the device holds is read from the client's IndexedDB (`baraza`): the downloaded forms,
//! the outbox (every interview finalized here and not yet released after a server backup)
//! and supervisors' corrections, which replace the device's own revision.

use std::collections::BTreeMap;

pub use baraza_browser::device::{FormRecord, OutboxRecord};
use baraza_browser::i18n::{Lang, Row};
use baraza_schema::Form;
use baraza_schema::reports::{self, ReportCell, ReportInfo, labels};
use baraza_schema::wire;

#[cfg(target_arch = "wasm32")]
mod web;

/// A revision as the device holds it: an outbox entry's item, or a correction.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub response_id: String,
    pub rev: String,
    pub form_id: String,
    pub form_version: String,
    pub payload: String,
}

impl From<wire::PushItem> for Held {
    fn from(i: wire::PushItem) -> Held {
        Held {
            response_id: i.response_id,
            rev: i.rev,
            form_id: i.form_id,
            form_version: i.form_version,
            payload: i.payload,
        }
    }
}

impl From<wire::Correction> for Held {
    fn from(c: wire::Correction) -> Held {
        Held {
            response_id: c.response_id,
            rev: c.rev,
            form_id: c.form_id,
            form_version: c.form_version,
            payload: c.payload,
        }
    }
}

/// The newest revision of each response (`schema::wire::is_newer`, as the server and the
/// client decide it), among the device's own and supervisors' corrections. Quarantined
/// revisions are left out, as the server's reports leave them out.
pub fn newest(outbox: Vec<OutboxRecord>, corrections: Vec<wire::Correction>) -> Vec<Held> {
    let mut by_id: BTreeMap<String, Held> = BTreeMap::new();
    let own = outbox
        .into_iter()
        .filter(|r| !r.quarantined())
        .map(|r| Held::from(r.item));
    for h in own.chain(corrections.into_iter().map(Held::from)) {
        if by_id
            .get(&h.response_id)
            .is_none_or(|old| wire::is_newer(&h.rev, &old.rev))
        {
            by_id.insert(h.response_id.clone(), h);
        }
    }
    by_id.into_values().collect()
}

/// Each report with its cells, how many responses were read (those of a form the device
/// has, with answers that parse), and how many interviews each settlement and each day has.
pub struct Figures {
    pub responses: usize,
    pub reports: Vec<(&'static ReportInfo, Vec<ReportCell>)>,
    pub by_settlement: BTreeMap<String, usize>,
    pub by_day: BTreeMap<String, usize>,
}

/// The figures for the responses held, under the forms downloaded.
pub fn figures(forms: &[Form], held: &[Held]) -> Figures {
    let answers: Vec<(&Form, serde_json::Value)> = held
        .iter()
        .filter_map(|h| {
            let form = forms.iter().find(|f| {
                f.settings.form_id == h.form_id && f.settings.version == h.form_version
            })?;
            Some((form, serde_json::from_str(&h.payload).ok()?))
        })
        .collect();
    let refs: Vec<(&Form, &serde_json::Value)> = answers.iter().map(|(f, a)| (*f, a)).collect();
    let (mut by_settlement, mut by_day) = (BTreeMap::new(), BTreeMap::new());
    for (form, a) in &refs {
        if let Some(code) = a.get("settlement").and_then(serde_json::Value::as_str) {
            *by_settlement.entry(code.to_owned()).or_default() += 1;
        }
        if let Some(day) = reports::interview_day(form, a) {
            *by_day.entry(day.to_owned()).or_default() += 1;
        }
    }
    Figures {
        responses: refs.len(),
        reports: reports::local_reports(&refs, &reports::Context::default()),
        by_settlement,
        by_day,
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page's own words (the reports' come from `schema::reports::labels`).
#[rustfmt::skip]
const TEXTS: &[Row] = &[
    ("This phone's figures", "Les chiffres de ce téléphone", "Takwimu za simu hii"),
    ("interviews on this phone, each counted once: these are not the city's weighted figures. To protect the people interviewed, a figure resting on fewer than 25 households, or on 1–4 answers (1–9 for sensitive items), is hidden (*); figures on 25–49 households are in parentheses.",
     "entretiens sur ce téléphone, chacun compté une fois : ce ne sont pas les chiffres pondérés de la ville. Pour protéger les personnes interrogées, un chiffre reposant sur moins de 25 ménages, ou sur 1 à 4 réponses (1 à 9 pour les sujets sensibles), est masqué (*) ; les chiffres sur 25 à 49 ménages sont entre parenthèses.",
     "mahojiano kwenye simu hii, kila moja limehesabiwa mara moja: hizi si takwimu zilizopimwa za jiji. Ili kuwalinda waliohojiwa, takwimu inayotegemea kaya chini ya 25, au majibu 1–4 (1–9 kwa mambo nyeti), imefichwa (*); takwimu za kaya 25–49 ziko kwenye mabano."),
    ("No finished interview is on this phone yet.", "Aucun entretien terminé n'est encore sur ce téléphone.", "Bado hakuna mahojiano yaliyokamilika kwenye simu hii."),
    ("Nothing can be shown yet without risking that someone is recognised: a figure needs at least 25 households. Interviews still needed:",
     "Rien ne peut encore être montré sans risquer que quelqu'un soit reconnu : un chiffre demande au moins 25 ménages. Entretiens encore nécessaires :",
     "Hakuna kinachoweza kuonyeshwa bado bila hatari ya mtu kutambuliwa: takwimu inahitaji angalau kaya 25. Mahojiano yanayohitajika bado:"),
    ("What this phone can show", "Ce que ce téléphone peut montrer", "Kile simu hii inaweza kuonyesha"),
    ("Interviews by settlement", "Entretiens par quartier", "Mahojiano kwa makazi"),
    ("Interviews by day", "Entretiens par jour", "Mahojiano kwa siku"),
    ("Interviews", "Entretiens", "Mahojiano"),
    ("Reports, hidden for now", "Rapports, masqués pour l'instant", "Ripoti, zimefichwa kwa sasa"),
    ("Item", "Élément", "Kipengele"),
    ("Figure", "Chiffre", "Takwimu"),
    ("Households or groups", "Ménages ou groupes", "Kaya au vikundi"),
    ("Home", "Accueil", "Mwanzo"),
];

/// The page's words in the phone's interface language.
trait Words {
    fn t(self, en: &'static str) -> &'static str;
}

impl Words for Lang {
    fn t(self, en: &'static str) -> &'static str {
        self.pick(TEXTS, en)
    }
}

/// A cell's estimate as shown, with its unit.
fn figure(c: &ReportCell) -> String {
    let unit = match c.measure.as_str() {
        "share" | "" => " %",
        "gap" => " pp",
        _ => "",
    };
    c.figure(c.estimate, unit)
}

/// The fewest households a figure may rest on (DOMAIN.md §4.3 rule 2).
const MINIMUM: usize = 25;

/// One report as a table: items in words in `lang`, suppressed cells marked.
fn report_table(info: &ReportInfo, cells: &[ReportCell], forms: &[&Form], lang: Lang) -> String {
    let mut html = format!(
        "<section class=\"card\" data-report=\"{}\"><h2>{} · {}</h2><table><thead><tr><th>{}</th>\
         <th>{}</th><th>{}</th></tr></thead><tbody>",
        info.id,
        info.id,
        escape(labels::title(info.id, lang.code()).unwrap_or(info.title)),
        lang.t("Item"),
        lang.t("Figure"),
        lang.t("Households or groups"),
    );
    for c in cells {
        let words = |code: &str| labels::item(code, forms, lang.code());
        // A table by a subgroup (R14: the head's sex, and the gap) names the level too.
        let item = if c.level == "all" {
            words(&c.item)
        } else {
            format!("{} · {}", words(&c.level), words(&c.item))
        };
        html.push_str(&format!(
            "<tr{}><td>{}</td><td>{}</td><td>{}</td></tr>",
            if c.suppressed {
                " class=\"suppressed\""
            } else {
                ""
            },
            escape(&item),
            escape(&figure(c)),
            escape(&c.base())
        ));
    }
    html.push_str("</tbody></table></section>");
    html
}

/// A count table (interviews by settlement or by day).
fn counts(title: &str, rows: &[(String, usize)], lang: Lang, data: &str) -> String {
    let mut html = format!(
        "<h3>{title}</h3><table {data}><thead><tr><th></th><th>{}</th></tr></thead><tbody>",
        lang.t("Interviews")
    );
    for (what, n) in rows {
        html.push_str(&format!("<tr><td>{}</td><td>{n}</td></tr>", escape(what)));
    }
    html.push_str("</tbody></table>");
    html
}

/// The page, in the phone's interface language: a report per table with its items in words
/// and suppressed cells marked. When disclosure control hides every figure, it says so in
/// one sentence with the interviews still needed, shows what may be shown (the interviews by
/// settlement and by day) and folds the hidden reports away. The client's bar and bottom
/// navigation frame it.
pub fn render(forms: &[Form], f: &Figures, lang: Lang) -> String {
    let refs: Vec<&Form> = forms.iter().collect();
    let mut html = String::from("<header class=\"bar\"><strong>Baraza</strong></header><main>");
    html.push_str(&format!(
        "<h1>{}</h1><p><strong data-responses>{}</strong> {}</p>",
        lang.t("This phone's figures"),
        f.responses,
        lang.t("interviews on this phone, each counted once: these are not the city's weighted figures. To protect the people interviewed, a figure resting on fewer than 25 households, or on 1–4 answers (1–9 for sensitive items), is hidden (*); figures on 25–49 households are in parentheses.")
    ));
    let shown = f
        .reports
        .iter()
        .any(|(_, cells)| cells.iter().any(|c| !c.suppressed));
    if f.responses == 0 {
        html.push_str(&format!(
            "<p class=\"card\">{}</p>",
            lang.t("No finished interview is on this phone yet.")
        ));
    } else if !shown {
        html.push_str(&format!(
            "<p class=\"card\" data-nothing-shown>{} <strong data-needed>{}</strong></p>",
            lang.t("Nothing can be shown yet without risking that someone is recognised: a figure needs at least 25 households. Interviews still needed:"),
            MINIMUM.saturating_sub(f.responses)
        ));
    }
    if f.responses > 0 {
        let settlements: Vec<(String, usize)> = f
            .by_settlement
            .iter()
            .map(|(code, n)| (labels::item(code, &refs, lang.code()), *n))
            .collect();
        let days: Vec<(String, usize)> = f.by_day.iter().map(|(d, n)| (d.clone(), *n)).collect();
        html.push_str(&format!(
            "<section class=\"card\" data-counts><h2>{}</h2>{}{}</section>",
            lang.t("What this phone can show"),
            counts(
                lang.t("Interviews by settlement"),
                &settlements,
                lang,
                "data-by-settlement"
            ),
            counts(lang.t("Interviews by day"), &days, lang, "data-by-day"),
        ));
    }
    let tables: String = f
        .reports
        .iter()
        .map(|(info, cells)| report_table(info, cells, &refs, lang))
        .collect();
    if shown {
        html.push_str(&tables);
    } else if !f.reports.is_empty() {
        html.push_str(&format!(
            "<details><summary>{}</summary>{tables}</details>",
            lang.t("Reports, hidden for now")
        ));
    }
    // The client's bottom bar; a form, so that no script is needed to go back.
    html.push_str(&format!(
        "</main><form class=\"tabs\" action=\"/\"><button>{}</button></form>",
        lang.t("Home")
    ));
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A correction of generation `n` (its payload names it).
    fn held(id: &str, n: u64, payload: &str) -> wire::Correction {
        wire::Correction {
            server_seq: 1,
            response_id: id.into(),
            rev: format!("{n}-{:032x}", n),
            parent_rev: None,
            form_id: "f".into(),
            form_version: "1".into(),
            payload: payload.into(),
            releases: None,
        }
    }

    /// The device's own revision of generation `n`, as the server answered it.
    fn entry(c: wire::Correction, outcome: Option<&str>) -> OutboxRecord {
        OutboxRecord {
            item: wire::PushItem {
                device_seq: 1,
                response_id: c.response_id,
                rev: c.rev,
                parent_rev: None,
                form_id: c.form_id,
                form_version: c.form_version,
                content_hash: String::new(),
                payload: c.payload,
                saved_at: None,
            },
            acked_epoch: outcome.map(|_| "e".to_owned()),
            outcome: outcome.map(str::to_owned),
        }
    }

    #[test]
    fn each_response_counts_once_at_its_newest_revision_correction_or_not() {
        let outbox = vec![
            entry(held("a", 2, "a2"), Some("sent")),
            entry(held("a", 1, "a1"), Some("sent")),
            entry(held("b", 1, "b1"), None),
            entry(held("c", 4, "c4"), Some("quarantined:invalid_answers")),
            // The device reopened d from its correction (generation 2) and finalized again.
            entry(held("d", 1, "d1"), Some("sent")),
            entry(held("d", 3, "d3-on-correction"), Some("sent")),
        ];
        let corrections = vec![held("b", 2, "b2-corrected"), held("d", 2, "d2-corrected")];
        let got = newest(outbox, corrections);
        let payloads: Vec<&str> = got.iter().map(|h| h.payload.as_str()).collect();
        assert_eq!(payloads, ["a2", "b2-corrected", "d3-on-correction"]);
    }

    fn figures_of(responses: usize, cells: Vec<ReportCell>) -> Figures {
        Figures {
            responses,
            reports: vec![(&reports::REPORTS[0], cells)],
            by_settlement: BTreeMap::from([("s01".to_owned(), responses)]),
            by_day: BTreeMap::from([("2026-11-20".to_owned(), responses)]),
        }
    }

    fn cell(item: &str, estimate: Option<f64>) -> ReportCell {
        serde_json::from_value(serde_json::json!({
            "by": "all", "level": "all", "item": item, "estimate": estimate, "n": 30,
            "reliability": if estimate.is_some() { "caution" } else { "suppressed" },
            "suppressed": estimate.is_none()
        }))
        .expect("a cell")
    }

    #[test]
    fn the_page_marks_suppressed_cells_and_escapes_what_it_shows() {
        let html = render(&[], &figures_of(3, vec![cell("<b>", None)]), Lang::En);
        assert!(
            html.contains("<td>&lt;b&gt;</td><td>*</td><td>30</td>"),
            "{html}"
        );
        assert!(html.contains("<strong data-responses>3</strong>"), "{html}");
        let empty = Figures {
            responses: 0,
            reports: vec![],
            by_settlement: BTreeMap::new(),
            by_day: BTreeMap::new(),
        };
        assert!(render(&[], &empty, Lang::En).contains("No finished interview"));
    }

    #[test]
    fn when_everything_is_hidden_the_page_says_how_many_more_and_shows_the_counts() {
        let html = render(
            &[],
            &figures_of(3, vec![cell("affordability", None)]),
            Lang::Fr,
        );
        assert!(html.contains("Rien ne peut encore être montré"), "{html}");
        assert!(html.contains("<strong data-needed>22</strong>"), "{html}");
        assert!(html.contains("<td>s01</td><td>3</td>"), "{html}");
        assert!(html.contains("<td>2026-11-20</td><td>3</td>"), "{html}");
        assert!(html.contains("<details><summary>Rapports, masqués pour l'instant</summary>"));
        assert!(html.contains("<form class=\"tabs\" action=\"/\"><button>Accueil</button></form>"));
        // With something to show, the reports are open and nothing is said to be missing.
        let html = render(
            &[],
            &figures_of(40, vec![cell("affordability", Some(61.0))]),
            Lang::En,
        );
        assert!(
            !html.contains("data-nothing-shown") && !html.contains("<details>"),
            "{html}"
        );
        assert!(
            html.contains("<td>Affordability</td><td>(61 %)</td>") || html.contains("(61 %)"),
            "{html}"
        );
    }

    #[test]
    fn every_text_the_page_shows_is_in_its_table_translated_once_and_used() {
        let used = baraza_browser::i18n::keys_used(&[include_str!("lib.rs")]);
        assert!(
            used.len() >= TEXTS.len(),
            "the scan finds the page's texts: {used:?}"
        );
        assert_eq!(
            baraza_browser::i18n::check_table(TEXTS, &used),
            Vec::<String>::new()
        );
    }
}
