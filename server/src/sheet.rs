//! The community report-back sheet ("baraza" is the meeting where a community hears back):
//! one settlement's figures beside the city's, in plain words and big numbers, on a page or
//! two that print on A4 or Letter, in the community's language. Every figure is a cell of a
//! published report (`ReportStore::report`), so the same disclosure control applies: a
//! figure the reports hide is not on the sheet either.

use std::fmt::Write;

use baraza_schema::api::{Report, ReportQuery};
use baraza_schema::reports::{self, ReportCell, labels};

use crate::storage::{Store, StoreError};

/// (English, French, Swahili).
type Words = [&'static str; 3];

const TITLE: Words = ["Report-back", "Restitution", "Mrejesho"];
const INTRO: Words = [
    "What the households of this settlement told the survey, beside the whole city.",
    "Ce que les ménages de ce quartier ont dit à l'enquête, à côté de toute la ville.",
    "Kile kaya za makazi haya zilisema katika utafiti, ikilinganishwa na jiji zima.",
];
const HERE: Words = ["Here", "Ici", "Hapa"];
const CITY: Words = ["City", "Ville", "Jiji"];
const CONCERNS: Words = [
    "What matters most to households (score 0–100)",
    "Ce qui compte le plus pour les ménages (score 0–100)",
    "Kinachojalisha zaidi kwa kaya (alama 0–100)",
];
const SERVICES: Words = [
    "Services (% of households)",
    "Services (% des ménages)",
    "Huduma (% ya kaya)",
];
const MONEY: Words = [
    "Paying for services (% of households)",
    "Payer les services (% des ménages)",
    "Kulipia huduma (% ya kaya)",
];
const HOME: Words = [
    "Security of the home (% of households)",
    "Sécurité du logement (% des ménages)",
    "Usalama wa makazi (% ya kaya)",
];
const HIDDEN: Words = [
    "* not shown: too few households answered for a figure that protects them.",
    "* non affiché : trop peu de ménages ont répondu pour un chiffre qui les protège.",
    "* haionyeshwi: kaya chache mno zilijibu kwa takwimu inayozilinda.",
];
const SOURCE: Words = [
    "Source: Baraza household survey, weighted by settlement; households interviewed here",
    "Source : enquête ménages Baraza, pondérée par quartier ; ménages interrogés ici",
    "Chanzo: utafiti wa kaya wa Baraza, uliopimwa kwa makazi; kaya zilizohojiwa hapa",
];
const PRINTED: Words = ["Printed", "Imprimé le", "Imechapishwa"];

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One figure of a report: the published estimate of `item` for everyone, or `None` when
/// it is hidden or absent.
fn figure<'r>(r: &'r Report, item: &str) -> Option<&'r ReportCell> {
    r.cells.iter().find(|c| c.by == "all" && c.item == item)
}

fn shown(c: Option<&ReportCell>) -> String {
    c.map_or_else(|| "–".to_owned(), |c| c.figure(c.estimate, ""))
}

/// A share that adds two published rungs (`basic_plus` and `basic`): hidden if either is. A
/// rung no household is on is not published (a true zero), so it adds nothing.
fn at_least_basic(r: &Report, service: &str) -> String {
    let rung = |name: &str| figure(r, &format!("{service}:{name}"));
    let rungs: Vec<&ReportCell> = [rung("basic_plus"), rung("basic")]
        .into_iter()
        .flatten()
        .collect();
    if rungs.is_empty() {
        "–".to_owned()
    } else if rungs.iter().any(|c| c.suppressed) {
        baraza_schema::reports::SUPPRESSED_MARK.to_owned()
    } else {
        format!(
            "{:.0}",
            rungs.iter().filter_map(|c| c.estimate).sum::<f64>()
        )
    }
}

/// The sheet for one settlement, in `lang` (`en`, `fr`, `sw`), dated `today`.
pub fn render(
    db: &dyn Store,
    settlement: &str,
    lang: &str,
    today: &str,
) -> Result<String, StoreError> {
    let lang = labels::language(Some(lang)).map_err(StoreError::Invalid)?;
    let i = labels::LANGUAGES
        .iter()
        .position(|l| *l == lang)
        .unwrap_or(0);
    let frame = db.settlements()?;
    let place = frame
        .iter()
        .find(|s| s.code == settlement)
        .ok_or_else(|| StoreError::NotFound(format!("settlement {settlement}")))?;
    let report = |id: &str, here: bool| {
        db.report(
            id,
            &ReportQuery {
                settlement: here.then(|| settlement.to_owned()),
                lang: Some(lang.to_owned()),
                ..ReportQuery::default()
            },
        )
    };
    let mut body = String::new();
    let name = esc(&place.name);
    let _ = write!(
        body,
        "<header><p class=\"kicker\">Baraza · {}</p><h1>{name}</h1><p>{}</p></header>",
        TITLE[i], INTRO[i]
    );

    // Top concerns, as the households ranked them, with the city's score beside.
    let (r1, r1_city) = (report("R1", true)?, report("R1", false)?);
    let mut concerns: Vec<&ReportCell> = r1.cells.iter().filter(|c| c.by == "all").collect();
    concerns.sort_by(|a, b| {
        b.estimate
            .unwrap_or(-1.0)
            .total_cmp(&a.estimate.unwrap_or(-1.0))
    });
    let _ = write!(
        body,
        "<section><h2>{}</h2><table><thead><tr><th></th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>",
        CONCERNS[i], HERE[i], CITY[i]
    );
    for c in concerns {
        let label = r1
            .labels
            .get(&c.item)
            .map_or(c.item.as_str(), String::as_str);
        let _ = write!(
            body,
            "<tr><th>{}</th><td class=\"num big\">{}</td><td class=\"num\">{}</td></tr>",
            esc(label),
            c.figure(c.estimate, ""),
            shown(figure(&r1_city, &c.item))
        );
    }
    body.push_str("</tbody></table></section>");

    // Figures with the city's beside them, report by report.
    let mut section = |title: &str, rows: Vec<(String, String, String)>| {
        let _ = write!(
            body,
            "<section><h2>{title}</h2><table><thead><tr><th></th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>",
            HERE[i], CITY[i]
        );
        for (label, here, city) in rows {
            let _ = write!(
                body,
                "<tr><th>{}</th><td class=\"num big\">{here}</td><td class=\"num\">{city}</td></tr>",
                esc(&label)
            );
        }
        body.push_str("</tbody></table></section>");
    };
    let pair = |id: &str, items: &[&str]| -> Result<Vec<(String, String, String)>, StoreError> {
        let (here, city) = (report(id, true)?, report(id, false)?);
        Ok(items
            .iter()
            .filter(|item| figure(&city, item).is_some())
            .map(|item| {
                let label = city
                    .labels
                    .get(*item)
                    .cloned()
                    .unwrap_or_else(|| (*item).to_owned());
                (
                    label,
                    shown(figure(&here, item)),
                    shown(figure(&city, item)),
                )
            })
            .collect())
    };
    let (r4, r4_city) = (report("R4", true)?, report("R4", false)?);
    let mut services = Vec::new();
    for service in ["water", "sanitation"] {
        let label = labels::item(&format!("basic_{service}"), &[], lang);
        services.push((
            label,
            at_least_basic(&r4, service),
            at_least_basic(&r4_city, service),
        ));
    }
    services.extend(pair(
        "R7",
        &[
            "water_off_premises",
            "round_trip_over_30_min",
            "supply_24_hours",
        ],
    )?);
    section(SERVICES[i], services);
    section(
        MONEY[i],
        pair(
            "R6",
            &[
                "water_share_over_3pc",
                "water_sanitation_share_over_5pc",
                "zero_income",
            ],
        )?,
    );
    section(
        HOME[i],
        pair(
            "R9",
            &["insecure", "legal_document", "evicted_or_threatened_5y"],
        )?,
    );

    // French sets a space before a colon.
    let colon = if lang == "fr" { " : " } else { ": " };
    let n = figure(&r1, "affordability")
        .and_then(|c| c.n)
        .map_or_else(|| reports::SUPPRESSED_MARK.to_owned(), |n| n.to_string());
    let _ = write!(
        body,
        "<footer><p>{}</p><p>{}{colon}{}. {} {today}.</p></footer>",
        HIDDEN[i],
        SOURCE[i],
        esc(&n),
        PRINTED[i]
    );
    Ok(format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · {name} · {today}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        TITLE[i]
    ))
}

/// Big numbers, plain tables, a page or two: margins that suit both A4 and Letter.
const STYLE: &str = "\
@page { margin: 14mm; }
body { font: 12pt/1.4 system-ui, sans-serif; color: #1b2a24; max-width: 180mm; margin: 0 auto; padding: 8mm 0; }
header h1 { font-size: 24pt; margin: 0 0 2mm; }
.kicker { text-transform: uppercase; letter-spacing: 0.08em; color: #1d5c4a; margin: 0; font-weight: 600; }
section { break-inside: avoid; margin-top: 6mm; }
h2 { font-size: 14pt; border-bottom: 2px solid #1d5c4a; padding-bottom: 1mm; margin: 0 0 2mm; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 1.2mm 2mm; border-bottom: 1px solid #d5ddd9; vertical-align: baseline; }
thead th { font-size: 10pt; color: #5b6b64; font-weight: 600; }
tbody th { font-weight: normal; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; width: 18%; }
.big { font-size: 20pt; font-weight: 700; color: #1d5c4a; }
footer { margin-top: 6mm; font-size: 9pt; color: #5b6b64; }
";

#[cfg(test)]
mod tests {
    use super::*;

    fn report(cells: &[(&str, Option<f64>)]) -> Report {
        let cells = cells
            .iter()
            .map(|(item, estimate)| {
                serde_json::from_value(serde_json::json!({
                    "by": "all", "level": "all", "item": item, "measure": "share",
                    "estimate": estimate, "n": estimate.map(|_| 60),
                    "reliability": if estimate.is_some() { "ok" } else { "suppressed" },
                    "suppressed": estimate.is_none()
                }))
                .expect("a cell")
            })
            .collect();
        Report {
            id: "R4".into(),
            title: String::new(),
            by: "all".into(),
            shown_for: None,
            cells,
            labels: Default::default(),
            quarters: vec![],
        }
    }

    #[test]
    fn at_least_basic_adds_the_published_rungs_and_a_rung_nobody_is_on_adds_nothing() {
        let both = report(&[
            ("water:basic_plus", Some(30.0)),
            ("water:basic", Some(25.0)),
        ]);
        assert_eq!(at_least_basic(&both, "water"), "55");
        let one = report(&[("water:basic", Some(40.0)), ("water:limited", Some(60.0))]);
        assert_eq!(
            at_least_basic(&one, "water"),
            "40",
            "no household on basic_plus"
        );
        let hidden = report(&[("water:basic_plus", None), ("water:basic", Some(40.0))]);
        assert_eq!(at_least_basic(&hidden, "water"), "*");
        assert_eq!(at_least_basic(&one, "sanitation"), "–", "no such service");
    }
}
