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
use baraza_schema::Form;
use baraza_schema::reports::{self, ReportCell, ReportInfo};
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

/// Each report with its cells, and how many responses were read (those of a form the device
/// has, with answers that parse).
pub type Figures = (usize, Vec<(&'static ReportInfo, Vec<ReportCell>)>);

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
    let out = reports::local_reports(&refs, &reports::Context::default());
    (refs.len(), out)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The forms' choice labels by code, in each form's default language (the first form
/// naming a code wins).
pub struct Labels<'a>(BTreeMap<&'a str, &'a str>);

impl<'a> Labels<'a> {
    pub fn of(forms: &'a [Form]) -> Labels<'a> {
        let mut map = BTreeMap::new();
        for f in forms {
            let language = f.settings.default_language.as_deref().unwrap_or("default");
            for c in f.choices.values().flatten() {
                if let Some(label) = c.label.get(language).or_else(|| c.label.values().next()) {
                    map.entry(c.name.as_str()).or_insert(label.as_str());
                }
            }
        }
        Labels(map)
    }

    /// An item as people read it: each code the forms' choice lists name becomes its label
    /// (`water=informal_provider` reads "Water: Informal provider…"); other words lose their
    /// underscores.
    pub fn read(&self, item: &str) -> String {
        let word = |code: &str| -> String {
            self.0
                .get(code)
                .map_or_else(|| code.replace('_', " "), |l| (*l).to_owned())
        };
        let mut out = String::new();
        let mut code = String::new();
        for ch in item.chars() {
            let joint = match ch {
                ':' | '=' => ": ",
                '@' => " · ",
                _ => {
                    code.push(ch);
                    continue;
                }
            };
            out.push_str(&word(&code));
            out.push_str(joint);
            code.clear();
        }
        out.push_str(&word(&code));
        out
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

/// The page: a table per report, items as the forms label them, suppressed cells marked,
/// with what the figures are.
pub fn render(forms: &[Form], (responses, reports): &Figures) -> String {
    let labels = Labels::of(forms);
    let mut html = String::from("<h1>This phone's figures</h1>");
    html.push_str(&format!(
        "<p>From the <strong data-responses>{responses}</strong> interviews this phone holds, each \
         counted once: these are not the city's weighted figures. To protect respondents, a figure \
         resting on fewer than 25 households, or on 1–4 answers (1–9 for sensitive items), is \
         hidden (*); figures on 25–49 households are in parentheses. <a href=\"/\">Back</a></p>"
    ));
    if reports.is_empty() {
        html.push_str("<p>No finished interview is on this phone yet.</p>");
    }
    for (info, cells) in reports {
        html.push_str(&format!(
            "<section data-report=\"{}\"><h2>{} · {}</h2><table><thead><tr><th>Item</th>\
             <th>Figure</th><th>Households or groups</th></tr></thead><tbody>",
            info.id,
            info.id,
            escape(info.title)
        ));
        for c in cells {
            let n = c.base();
            // A table by a subgroup (R14: the head's sex, and the gap) names the level too.
            let item = if c.level == "all" {
                labels.read(&c.item)
            } else {
                format!("{} · {}", labels.read(&c.level), labels.read(&c.item))
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
                escape(&n)
            ));
        }
        html.push_str("</tbody></table></section>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_read_as_the_forms_label_their_codes() {
        let form: Form = serde_json::from_value(serde_json::json!({
            "settings": {"form_id": "f", "version": "1", "title": "F", "default_language": "English (en)"},
            "languages": ["English (en)"],
            "fields": [],
            "choices": {
                "service": [{"name": "water", "label": {"English (en)": "Water"}}],
                "provider_type": [{"name": "informal_provider", "label": {"English (en)": "Informal provider"}}]
            }
        }))
        .expect("a form");
        let forms = [form];
        let labels = Labels::of(&forms);
        assert_eq!(
            labels.read("water=informal_provider"),
            "Water: Informal provider"
        );
        assert_eq!(
            labels.read("bribe_asked:water@informal_provider"),
            "bribe asked: Water · Informal provider"
        );
        assert_eq!(Labels::of(&[]).read("never_asked"), "never asked");
    }

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

    #[test]
    fn the_page_marks_suppressed_cells_and_escapes_what_it_shows() {
        let info = &reports::REPORTS[0];
        let cell: ReportCell = serde_json::from_value(serde_json::json!({
            "by": "all", "level": "all", "item": "<b>", "estimate": null, "n": null,
            "reliability": "suppressed", "suppressed": true
        }))
        .expect("a cell");
        let html = render(&[], &(3, vec![(info, vec![cell])]));
        assert!(
            html.contains("<td>&lt;b&gt;</td><td>*</td><td>&lt;5</td>"),
            "{html}"
        );
        assert!(html.contains("<strong data-responses>3</strong>"), "{html}");
        assert!(render(&[], &(0, vec![])).contains("No finished interview"));
    }
}
