//! What the dashboard shows of a report, independent of the browser: the cells as the API
//! returns them, their table text, and the Apache ECharts options for the report's chart.
//! Suppressed cells stay visible as `*` in tables and as gaps in charts, never as zeros.
//! Every code is shown in the words the API gives for it (`Report::labels`, `?lang=`).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::i18n::{Lang, Words};

/// A report in `GET /api/v1/reports`, and one cell of `GET /api/v1/reports/{id}`.
pub use baraza_schema::api::ReportMeta as Meta;
pub use baraza_schema::reports::ReportCell as Cell;

/// How many items a bar chart shows before "Show all".
pub const TOP: usize = 12;

/// More groups than this draw a heat map (items × groups) instead of a bar per group.
const MAX_BAR_GROUPS: usize = 6;

/// How one report is shown: its chart kind, the service a stacked chart shows, the words
/// for its codes, the language of the dashboard's own words, and whether every item is
/// charted or only the highest [`TOP`].
pub struct View<'a> {
    pub report: &'a str,
    pub kind: &'a str,
    pub service: &'a str,
    pub labels: &'a BTreeMap<String, String>,
    pub lang: Lang,
    pub show_all: bool,
    /// A phone-sized screen: bar labels go above their bars, not beside them.
    pub narrow: bool,
}

impl View<'_> {
    /// A code in words: the API's, else the code with spaces.
    pub fn name(&self, code: &str) -> String {
        self.labels
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.replace('_', " "))
    }
}

/// The column headings of a report's table, after the item and the group.
pub fn columns(report: &str, lang: Lang) -> Vec<&'static str> {
    match report {
        "R1" => vec![
            lang.t("Borda score (0–100)"),
            lang.t("Ranked first %"),
            lang.t("In top 3 %"),
        ],
        "R4" => vec![lang.t("% of households"), lang.t("% of people")],
        "R5" => vec![lang.t("% of households")],
        _ => vec![
            lang.t("Measure"),
            lang.t("Estimate"),
            lang.t("P25 / 95 % low"),
            lang.t("P75 / 95 % high"),
            lang.t("Median's 95 % interval"),
        ],
    }
}

/// A measure's unit in words.
fn measure(m: &str, lang: Lang) -> String {
    match m {
        "share" => "%".to_owned(),
        "gap" => "pp".to_owned(),
        "rate" => lang.t("per 10,000 households").to_owned(),
        "index" => lang.t("index (mean z-score)").to_owned(),
        "flag" => lang.t("1 = slum area").to_owned(),
        "bound" => lang.t("lower-bound mean").to_owned(),
        "median" => lang.t("median").to_owned(),
        "mean" => lang.t("mean").to_owned(),
        "rho" => lang.t("Spearman ρ (−1 to 1)").to_owned(),
        m => m.to_owned(),
    }
}

/// The figures of one table row, in `columns` order.
pub fn row(report: &str, cell: &Cell, lang: Lang) -> Vec<String> {
    match report {
        "R1" => vec![
            cell.figure(cell.estimate, ""),
            cell.figure(cell.first_share, ""),
            cell.figure(cell.top3_share, ""),
        ],
        "R4" => vec![
            cell.figure(cell.estimate, ""),
            cell.figure(cell.persons, ""),
        ],
        "R5" => vec![cell.figure(cell.estimate, "")],
        _ => vec![
            measure(&cell.measure, lang),
            cell.figure(cell.estimate, ""),
            cell.figure(cell.low, ""),
            cell.figure(cell.high, ""),
            match (cell.ci_low, cell.ci_high) {
                (Some(lo), Some(hi)) => {
                    format!(
                        "{} – {}",
                        cell.figure(Some(lo), ""),
                        cell.figure(Some(hi), "")
                    )
                }
                _ => String::new(),
            },
        ],
    }
}

/// A chart value: suppressed cells are gaps (`"-"` in ECharts), never zeros.
fn value(cell: Option<&Cell>) -> Value {
    match cell {
        Some(c) if !c.suppressed => c.estimate.map_or(json!("-"), |v| json!(v)),
        _ => json!("-"),
    }
}

fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// The services of a stacked report, in the order the server sends them.
pub fn services(cells: &[Cell]) -> Vec<String> {
    distinct(cells.iter().map(|c| split(&c.item).0))
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// A stacked item's bar and segment: `water:basic` (R4) or `water=municipal` (R5).
fn split(item: &str) -> (&str, &str) {
    item.split_once([':', '=']).unwrap_or((item, ""))
}

/// The rows the table shows: a stacked report's chosen service only (the filter applies to
/// table and chart alike); a bar report's items within each group from the highest
/// estimate down, hidden figures last, as the chart ranks them.
pub fn table_rows<'c>(v: &View, cells: &'c [Cell]) -> Vec<&'c Cell> {
    if v.kind == "stacked" {
        return cells
            .iter()
            .filter(|c| split(&c.item).0 == v.service)
            .collect();
    }
    // R15's settlement × group pairs are read as a matrix of their own (`matrix`).
    let mut rows: Vec<&Cell> = cells
        .iter()
        .filter(|c| !c.item.starts_with("actors@"))
        .collect();
    if v.kind == "bar" {
        // Until "Show all", the charted items are the highest twelve: the table follows.
        let (items, all) = ranked_items(v, cells);
        let measures = charted(cells);
        if all > items.len() {
            rows.retain(|c| {
                !measures.contains(&c.measure.as_str()) || items.contains(&c.item.as_str())
            });
        }
        let levels = distinct(cells.iter().map(|c| c.level.as_str()));
        let rank = |c: &Cell| {
            let at = levels.iter().position(|l| *l == c.level).unwrap_or(0);
            let shown = c.estimate.filter(|_| !c.suppressed);
            (at, shown.is_none(), -shown.unwrap_or(0.0))
        };
        rows.sort_by(|a, b| {
            let (ra, rb) = (rank(a), rank(b));
            (ra.0, ra.1).cmp(&(rb.0, rb.1)).then(ra.2.total_cmp(&rb.2))
        });
    }
    rows
}

/// R15's settlements × provider groups matrix: each settlement's actors by group (the
/// `actors@<settlement>=<group>` shares) as one row per settlement and one column per group,
/// rather than a row per pair. Empty for other reports.
pub struct Matrix {
    pub columns: Vec<String>,
    /// A settlement's words, its figure per column (`–` where none), and its base.
    pub rows: Vec<(String, Vec<String>, String)>,
}

pub fn matrix(v: &View, cells: &[Cell]) -> Matrix {
    let mine: Vec<&Cell> = cells
        .iter()
        .filter(|c| c.item.starts_with("actors@"))
        .collect();
    fn parts(c: &Cell) -> Option<(&str, &str)> {
        c.item.strip_prefix("actors@")?.split_once('=')
    }
    let groups = distinct(mine.iter().filter_map(|c| parts(c).map(|p| p.1)));
    let places = distinct(mine.iter().filter_map(|c| parts(c).map(|p| p.0)));
    // The words for a settlement and a group, from an item's label `Actors — <settlement>:
    // <group>`.
    let words = |c: &Cell, i: usize| {
        let label = v.name(&c.item);
        let tail = label.split_once('—').map_or(label.as_str(), |x| x.1);
        tail.split(':').nth(i).map(|w| w.trim().to_owned())
    };
    let columns = groups
        .iter()
        .map(|g| {
            mine.iter()
                .find(|c| parts(c).map(|p| p.1) == Some(*g))
                .and_then(|c| words(c, 1))
                .unwrap_or_else(|| g.replace('_', " "))
        })
        .collect();
    let rows = places
        .iter()
        .map(|place| {
            let row: Vec<&Cell> = mine
                .iter()
                .copied()
                .filter(|c| parts(c).map(|p| p.0) == Some(*place))
                .collect();
            let name = row
                .first()
                .and_then(|c| words(c, 0))
                .unwrap_or_else(|| (*place).to_owned());
            let figures = groups
                .iter()
                .map(|g| {
                    row.iter()
                        .find(|c| parts(c).map(|p| p.1) == Some(*g))
                        .map_or_else(|| "–".to_owned(), |c| c.figure(c.estimate, ""))
                })
                .collect();
            let base = row.first().map(|c| c.base()).unwrap_or_default();
            (name, figures, base)
        })
        .collect();
    Matrix { columns, rows }
}

/// Colours from the best rung (green) to the worst (red).
fn ladder_colour(i: usize, n: usize) -> String {
    let hue = if n > 1 { 140 - 140 * i / (n - 1) } else { 140 };
    format!("hsl({hue}, 55%, 45%)")
}

/// The measures a bar chart draws on its one scale: percentages (shares, Borda scores)
/// unless the report is mostly means (R2's win scores); medians in their own units stay in
/// the table.
fn charted(cells: &[Cell]) -> &'static [&'static str] {
    let count = |m: &[&str]| {
        cells
            .iter()
            .filter(|c| m.contains(&c.measure.as_str()))
            .count()
    };
    if count(&["mean"]) > count(&["share", "borda", ""]) {
        &["mean"]
    } else {
        &["share", "borda", ""]
    }
}

/// A bar chart's items, ranked by their first group's estimate (highest first, hidden
/// last), and whether more than the highest [`TOP`] were left out.
pub fn ranked_items<'c>(v: &View, cells: &'c [Cell]) -> (Vec<&'c str>, usize) {
    let measures = charted(cells);
    let mine: Vec<&Cell> = cells
        .iter()
        .filter(|c| measures.contains(&c.measure.as_str()))
        .collect();
    let first = mine.first().map(|c| c.level.as_str()).unwrap_or("all");
    let mut items = distinct(mine.iter().map(|c| c.item.as_str()));
    let score = |item: &str| {
        mine.iter()
            .find(|c| c.level == first && c.item == item && !c.suppressed)
            .and_then(|c| c.estimate)
    };
    items.sort_by(|a, b| match (score(a), score(b)) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let all = items.len();
    if !v.show_all {
        items.truncate(TOP);
    }
    (items, all)
}

/// The chart's height in pixels, so that every label fits without overlapping.
pub fn chart_height(v: &View, cells: &[Cell]) -> u32 {
    let levels = distinct(cells.iter().map(|c| c.level.as_str()))
        .len()
        .max(1) as u32;
    let px = match v.kind {
        "bar" if cells.iter().any(|c| c.measure == "index") => {
            90 + cells.iter().filter(|c| c.measure == "index").count() as u32 * 26
        }
        "bar" => {
            let items = ranked_items(v, cells).0.len() as u32;
            if levels > MAX_BAR_GROUPS as u32 {
                120 + items * 30
            } else {
                // Room for a label of two lines beside the bars, or one above them.
                let label = if v.narrow { 22 } else { 18 };
                90 + items * (label + 14 * levels)
            }
        }
        "alignment" | "demand" => 420,
        "graph" => 560,
        "gap" => 90 + cells.iter().filter(|c| c.level == "gap").count() as u32 * 34,
        "stacked" => 90 + levels * 30,
        _ => 420,
    };
    px.clamp(260, 2400)
}

/// The ECharts option object for a report's chart (`Meta::chart`). Stacked charts show one
/// service (`View::service`) as a 100 % bar per group.
pub fn chart(v: &View, cells: &[Cell]) -> Value {
    let levels = distinct(cells.iter().map(|c| c.level.as_str()));
    let mut option = json!({
        "animation": false,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 8, "right": 24, "top": 40, "bottom": 8, "containLabel": true},
        "xAxis": {"type": "value"},
    });
    if cells
        .iter()
        .any(|c| matches!(c.measure.as_str(), "share" | "borda" | ""))
        && v.kind != "gap"
    {
        option["xAxis"]["max"] = json!(100);
    }
    match v.kind {
        "heatmap" => return heatmap(v, cells, levels.first().copied().unwrap_or("all")),
        "graph" => return graph(v, cells),
        "alignment" => return alignment(v, cells),
        "demand" => return demand(v, cells),
        "bar" if cells.iter().any(|c| c.measure == "index") => return ranking(v, cells),
        "bar" if levels.len() > MAX_BAR_GROUPS => return groups_heatmap(v, cells, &levels),
        _ => {}
    }
    let (categories, series): (Vec<String>, Vec<Value>) = match v.kind {
        "gap" => {
            // A dumbbell: the two groups' shares per item, on one line each.
            let items = distinct(
                cells
                    .iter()
                    .filter(|c| c.level == "gap")
                    .map(|c| c.item.as_str()),
            );
            let series = levels
                .iter()
                .filter(|l| **l != "gap")
                .map(|level| {
                    let data: Vec<Value> = items
                        .iter()
                        .map(|item| {
                            value(cells.iter().find(|c| c.level == *level && c.item == *item))
                        })
                        .collect();
                    json!({"name": v.name(level), "type": "scatter", "symbolSize": 14, "data": data})
                })
                .collect();
            (items.iter().map(|i| v.name(i)).collect(), series)
        }
        "stacked" => {
            let mine: Vec<&Cell> = cells
                .iter()
                .filter(|c| split(&c.item).0 == v.service)
                .collect();
            let rungs: Vec<&str> = distinct(mine.iter().map(|c| c.item.as_str()));
            let series = rungs
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let data: Vec<Value> = levels
                        .iter()
                        .map(|level| {
                            value(
                                mine.iter()
                                    .copied()
                                    .find(|c| c.level == *level && c.item == *item),
                            )
                        })
                        .collect();
                    // The rung's own words: what follows the service's.
                    let name = v.name(item);
                    let service = service_name(v, cells, v.service);
                    let name = name
                        .strip_prefix(&service)
                        .map(|n| n.trim_start_matches([':', ' ', '—']).to_owned())
                        .filter(|n| !n.is_empty())
                        .unwrap_or(name);
                    json!({
                        "name": name,
                        "type": "bar",
                        "stack": "share",
                        "data": data,
                        "itemStyle": {"color": ladder_colour(i, rungs.len())},
                    })
                })
                .collect();
            (levels.iter().map(|l| v.name(l)).collect(), series)
        }
        _ => {
            let (items, _) = ranked_items(v, cells);
            let series = levels
                .iter()
                .map(|level| {
                    let data: Vec<Value> = items
                        .iter()
                        .map(|item| {
                            value(cells.iter().find(|c| c.level == *level && c.item == *item))
                        })
                        .collect();
                    json!({"name": v.name(level), "type": "bar", "data": data})
                })
                .collect();
            (items.iter().map(|i| v.name(i)).collect(), series)
        }
    };
    option["yAxis"] = json!({
        "type": "category",
        "inverse": true,
        "data": categories,
        "axisLabel": {"width": 260, "overflow": "break", "lineHeight": 13},
    });
    let mut series = series;
    if v.narrow && v.kind == "bar" {
        // On a phone the labels take the whole width above their bars.
        option["yAxis"]["axisLabel"] = json!({"show": false});
        option["grid"]["left"] = json!(4);
        if let Some(first) = series.first_mut() {
            first["label"] = json!({"show": true, "position": [0, -14], "formatter": "{b}",
                "fontSize": 11, "color": "#1b2a24", "width": 300, "overflow": "truncate"});
        }
    }
    for s in &mut series {
        if v.kind == "bar" {
            s["barCategoryGap"] = json!(if v.narrow { "55%" } else { "30%" });
        }
    }
    option["series"] = Value::Array(series);
    option
}

/// The two sides of a comparison item `side:code` in words: the side's name and the
/// code's, from the item's label (`Households' score (0–100): Affordability`).
fn sides(v: &View, item: &str) -> (String, String) {
    let name = v.name(item);
    match name.split_once(':') {
        Some((a, b)) => (a.trim().to_owned(), b.trim().to_owned()),
        None => (name.clone(), name),
    }
}

/// A headline figure in words for a chart's title: `label: value`.
fn headline(v: &View, cells: &[Cell], item: &str, level: &str) -> String {
    let c = cells.iter().find(|c| c.item == item && c.level == level);
    let figure = c.map_or_else(|| "–".to_owned(), |c| c.figure(c.estimate, ""));
    format!("{}: {figure}", v.name(item))
}

/// R16: the households' score for each concern beside officials' view of how the poor rank
/// it, the concerns in the households' order, and the alignment (Spearman's ρ) as the
/// title.
fn alignment(v: &View, cells: &[Cell]) -> Value {
    let level = cells
        .iter()
        .find(|c| c.item.starts_with("household:"))
        .map_or("all", |c| c.level.as_str());
    let officials_level = if level == "all" { "all" } else { "city" };
    let mut concerns: Vec<&Cell> = cells
        .iter()
        .filter(|c| c.level == level && c.item.starts_with("household:"))
        .collect();
    concerns.sort_by(|a, b| {
        b.estimate
            .unwrap_or(-1.0)
            .total_cmp(&a.estimate.unwrap_or(-1.0))
    });
    let codes: Vec<&str> = concerns
        .iter()
        .map(|c| &c.item["household:".len()..])
        .collect();
    let series = [("household:", level), ("perceived_poor:", officials_level)]
        .iter()
        .filter_map(|(prefix, at)| {
            let first = format!("{prefix}{}", codes.first()?);
            let data: Vec<Value> = codes
                .iter()
                .map(|code| {
                    value(
                        cells
                            .iter()
                            .find(|c| c.level == *at && c.item == format!("{prefix}{code}")),
                    )
                })
                .collect();
            Some(json!({"name": sides(v, &first).0, "type": "bar", "data": data}))
        })
        .collect::<Vec<_>>();
    let names: Vec<String> = concerns.iter().map(|c| sides(v, &c.item).1).collect();
    json!({
        "animation": false,
        "title": {"text": headline(v, cells, "alignment_spearman", level), "left": "center", "top": 0,
                  "textStyle": {"fontSize": 13, "width": 900, "overflow": "break"}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 28, "type": "scroll"},
        "grid": {"left": 8, "right": 24, "top": 64, "bottom": 8, "containLabel": true},
        "xAxis": {"type": "value", "max": 100},
        "yAxis": {"type": "category", "inverse": true, "data": names, "axisLabel": {"width": 160, "overflow": "break"}},
        "series": series,
    })
}

/// R18's demand curve: the share accepting at each bid set, in the order of the bids, one
/// line per group, with the Turnbull lower bound as the title.
fn demand(v: &View, cells: &[Cell]) -> Value {
    let levels = distinct(cells.iter().map(|c| c.level.as_str()));
    let mut bids = distinct(
        cells
            .iter()
            .filter(|c| c.item.starts_with("accept:b"))
            .map(|c| c.item.as_str()),
    );
    bids.sort_by_key(|b| b["accept:b".len()..].parse::<u32>().unwrap_or(0));
    let series: Vec<Value> = levels
        .iter()
        .map(|level| {
            let data: Vec<Value> = bids
                .iter()
                .map(|b| value(cells.iter().find(|c| c.level == *level && c.item == *b)))
                .collect();
            json!({"name": v.name(level), "type": "line", "symbolSize": 8, "data": data})
        })
        .collect();
    let first = levels.first().copied().unwrap_or("all");
    json!({
        "animation": false,
        "title": {"text": headline(v, cells, "turnbull_lower_bound", first), "left": "center", "top": 0,
                  "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 28, "type": "scroll"},
        "grid": {"left": 8, "right": 24, "top": 64, "bottom": 8, "containLabel": true},
        "xAxis": {"type": "category", "data": bids.iter().map(|b| sides(v, b).1).collect::<Vec<_>>()},
        "yAxis": {"type": "value", "max": 100, "name": "%"},
        "series": series,
    })
}

/// R13 by settlement: the settlements ranked by their marginalisation index, slum areas in
/// a darker colour.
fn ranking(v: &View, cells: &[Cell]) -> Value {
    let mut ranked: Vec<&Cell> = cells
        .iter()
        .filter(|c| c.measure == "index" && !c.suppressed)
        .collect();
    ranked.sort_by(|a, b| {
        b.estimate
            .unwrap_or(0.0)
            .total_cmp(&a.estimate.unwrap_or(0.0))
    });
    let slum = |level: &str| {
        cells
            .iter()
            .any(|c| c.level == level && c.measure == "flag" && c.estimate == Some(1.0))
    };
    let data: Vec<Value> = ranked
        .iter()
        .map(|c| {
            let colour = if slum(&c.level) { "#8a2c0d" } else { "#5470c6" };
            json!({"value": c.estimate, "itemStyle": {"color": colour}})
        })
        .collect();
    json!({
        "animation": false,
        "title": {"text": v.name("marginalisation_index"), "left": "center", "top": 0, "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 24, "top": 36, "bottom": 8, "containLabel": true},
        "xAxis": {"type": "value"},
        "yAxis": {"type": "category", "inverse": true, "data": ranked.iter().map(|c| v.name(&c.level)).collect::<Vec<_>>()},
        "series": [{"type": "bar", "data": data, "name": v.name("marginalisation_index")}],
    })
}

/// Many groups (settlements): a heat map of the ranked items × the groups, one coloured
/// cell each, instead of a bar per group per item.
fn groups_heatmap(v: &View, cells: &[Cell], levels: &[&str]) -> Value {
    let (items, _) = ranked_items(v, cells);
    let data: Vec<Value> = items
        .iter()
        .enumerate()
        .flat_map(|(y, item)| {
            levels.iter().enumerate().map(move |(x, level)| {
                let c = cells.iter().find(|c| c.level == *level && c.item == *item);
                json!([x, y, value(c)])
            })
        })
        .collect();
    let max = cells
        .iter()
        .filter(|c| !c.suppressed)
        .filter_map(|c| c.estimate)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    json!({
        "animation": false,
        "tooltip": {"position": "top"},
        "grid": {"left": 8, "right": 24, "top": 8, "bottom": 64, "containLabel": true},
        "xAxis": {"type": "category", "data": levels.iter().map(|l| v.name(l)).collect::<Vec<_>>(),
                  "axisLabel": {"rotate": 45}},
        "yAxis": {"type": "category", "inverse": true, "data": items.iter().map(|i| v.name(i)).collect::<Vec<_>>(),
                  "axisLabel": {"width": 240, "overflow": "truncate"}},
        "visualMap": {"min": 0, "max": max, "calculable": true, "orient": "horizontal", "left": "center", "bottom": 0,
                      "inRange": {"color": ["#f7fbff", "#6baed6", "#08306b"]}},
        "series": [{"type": "heatmap", "data": data, "label": {"show": true, "fontSize": 10}}],
    })
}

/// R15's actors map: a node per provider group, sized by the share of households it serves
/// (or, without those, its share of the actors), joined to a node per kind of relationship
/// by edges as thick as the relationship's mean strength (1–3). Hidden figures draw nothing.
fn graph(v: &View, cells: &[Cell]) -> Value {
    let shown = |c: &&Cell| c.level == "all" && !c.suppressed && c.estimate.is_some();
    let mut nodes: Vec<Value> = Vec::new();
    let mut links: Vec<Value> = Vec::new();
    let mut kinds: Vec<&str> = Vec::new();
    let groups = distinct(
        cells
            .iter()
            .filter(shown)
            .filter_map(|c| c.item.strip_prefix("actors=")),
    );
    // A group's words: what its `actors=` item's label names after the colon.
    let group_name = |g: &str| {
        v.labels
            .get(&format!("actors={g}"))
            .and_then(|l| l.rsplit(':').next())
            .map_or_else(|| g.replace('_', " "), |n| n.trim().to_owned())
    };
    for group in &groups {
        let size = |prefix: &str| {
            cells
                .iter()
                .filter(shown)
                .find(|c| c.item == format!("{prefix}{group}"))
                .and_then(|c| c.estimate)
        };
        let share = size("served_by:").or_else(|| size("actors="));
        nodes.push(json!({
            "name": group_name(group),
            "value": share,
            "symbolSize": 16.0 + share.unwrap_or(0.0).sqrt() * 6.0,
            "category": 0,
        }));
        for c in cells.iter().filter(shown) {
            let Some(kind) = c
                .item
                .strip_prefix("tie:")
                .and_then(|t| t.strip_prefix(*group))
                .and_then(|t| t.strip_prefix(':'))
            else {
                continue;
            };
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
            let strength = c.estimate.unwrap_or(1.0);
            links.push(json!({
                "source": group_name(group),
                "target": kind_name(v, kind),
                "value": strength,
                "lineStyle": {"width": strength * 2.0},
            }));
        }
    }
    for kind in kinds {
        nodes.push(json!({"name": kind_name(v, kind), "symbolSize": 10, "category": 1}));
    }
    let (group, relationship) = (v.lang.t("Provider group"), v.lang.t("Relationship"));
    json!({
        "animation": false,
        "tooltip": {},
        "legend": {"top": 0, "data": [group, relationship]},
        "series": [{
            "type": "graph",
            "layout": "circular",
            "roam": false,
            "label": {"show": true, "position": "right", "fontSize": 11},
            "categories": [{"name": group}, {"name": relationship}],
            "data": nodes,
            "links": links,
            "top": 72, "bottom": 56, "left": 170, "right": 170,
        }],
    })
}

/// The words of what an item names first (its service): its label up to the first colon.
pub fn head_name(v: &View, item: &str) -> String {
    let name = v.name(item);
    name.split(':').next().unwrap_or(&name).trim().to_owned()
}

/// A stacked report's service in words, from one of its items.
pub fn service_name(v: &View, cells: &[Cell], service: &str) -> String {
    cells
        .iter()
        .find(|c| split(&c.item).0 == service)
        .map_or_else(|| service.replace('_', " "), |c| head_name(v, &c.item))
}

/// A kind of relationship in words (the label of a `tie:…:kind` item names it last).
fn kind_name(v: &View, kind: &str) -> String {
    v.labels
        .iter()
        .find(|(k, _)| k.starts_with("tie:") && k.ends_with(&format!(":{kind}")))
        .and_then(|(_, l)| l.rsplit(", ").next())
        .map_or_else(|| kind.replace('_', " "), str::to_owned)
}

/// A service × criterion heat map of one group's mean scores (R3).
fn heatmap(v: &View, cells: &[Cell], level: &str) -> Value {
    let mine: Vec<&Cell> = cells
        .iter()
        .filter(|c| c.level == level && !c.item.ends_with(":need_index"))
        .collect();
    let services = distinct(mine.iter().map(|c| split(&c.item).0));
    let criteria = distinct(mine.iter().map(|c| split(&c.item).1));
    let data: Vec<Value> = mine
        .iter()
        .filter_map(|c| {
            let (s, k) = split(&c.item);
            let x = criteria.iter().position(|v| *v == k)?;
            let y = services.iter().position(|v| *v == s)?;
            Some(json!([x, y, value(Some(c))]))
        })
        .collect();
    // A criterion's words: what its items' words say after the service's.
    let criterion = |k: &str| {
        mine.iter()
            .find(|c| split(&c.item).1 == k)
            .map(|c| v.name(&c.item))
            .and_then(|n| n.split_once(": ").map(|x| x.1.to_owned()))
            .unwrap_or_else(|| k.replace('_', " "))
    };
    json!({
        "animation": false,
        "title": {"text": format!("{}, {}", v.lang.t("Mean performance (0–5)"), v.name(level)), "left": "center", "textStyle": {"fontSize": 13}},
        "tooltip": {"position": "top"},
        "grid": {"left": 8, "right": 24, "top": 40, "bottom": 64, "containLabel": true},
        "xAxis": {"type": "category", "data": criteria.iter().map(|c| criterion(c)).collect::<Vec<_>>(),
                  "axisLabel": {"interval": 0, "width": 90, "overflow": "break"}},
        "yAxis": {"type": "category", "data": services.iter().map(|s| service_name(v, cells, s)).collect::<Vec<_>>()},
        "visualMap": {"min": 0, "max": 5, "calculable": true, "orient": "horizontal", "left": "center", "bottom": 0,
                      "inRange": {"color": ["#b2182b", "#f7f7f7", "#1a9850"]}},
        "series": [{"type": "heatmap", "data": data, "label": {"show": true}}],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(kind: &'a str, service: &'a str, labels: &'a BTreeMap<String, String>) -> View<'a> {
        View {
            report: "R0",
            kind,
            service,
            labels,
            lang: Lang::En,
            show_all: false,
            narrow: false,
        }
    }

    fn cell(level: &str, item: &str, estimate: Option<f64>, reliability: &str) -> Cell {
        let reliability = serde_json::from_value(json!(reliability)).expect("a reliability");
        Cell {
            by: "rs".into(),
            level: level.into(),
            item: item.into(),
            estimate,
            first_share: estimate,
            top3_share: estimate,
            measure: "share".into(),
            persons: None,
            low: None,
            high: None,
            ci_low: None,
            ci_high: None,
            n: Some(60),
            reliability,
            suppressed: estimate.is_none(),
            counts: None,
        }
    }

    #[test]
    fn a_bar_chart_has_one_series_per_group_with_gaps_where_cells_are_suppressed() {
        let cells = vec![
            cell("female", "affordability", Some(70.0), "ok"),
            cell("female", "employment", None, "suppressed"),
            cell("male", "affordability", Some(60.0), "ok"),
            cell("male", "employment", Some(40.0), "ok"),
        ];
        let o = chart(&view("bar", "", &BTreeMap::new()), &cells);
        assert_eq!(o["yAxis"]["data"], json!(["affordability", "employment"]));
        assert_eq!(o["series"][0]["name"], "female");
        assert_eq!(o["series"][0]["data"], json!([70.0, "-"]));
        assert_eq!(o["series"][1]["data"], json!([60.0, 40.0]));
    }

    #[test]
    fn a_stacked_chart_shows_one_service_per_group_with_rungs_from_best_to_worst() {
        let cells = vec![
            cell("female", "water:basic", Some(80.0), "ok"),
            cell("female", "water:limited", Some(20.0), "ok"),
            cell("male", "water:basic", Some(70.0), "ok"),
            cell("male", "water:limited", None, "suppressed"),
            cell("female", "sanitation:basic", Some(55.0), "ok"),
        ];
        assert_eq!(services(&cells), ["water", "sanitation"]);
        let o = chart(&view("stacked", "water", &BTreeMap::new()), &cells);
        assert_eq!(o["yAxis"]["data"], json!(["female", "male"]));
        let names: Vec<&str> = o["series"]
            .as_array()
            .expect("series")
            .iter()
            .filter_map(|s| s["name"].as_str())
            .collect();
        assert_eq!(names, ["basic", "limited"]);
        assert_eq!(o["series"][0]["data"], json!([80.0, 70.0]));
        assert_eq!(o["series"][1]["data"], json!([20.0, "-"]));
        assert_eq!(o["series"][0]["itemStyle"]["color"], "hsl(140, 55%, 45%)");
        assert_eq!(o["series"][1]["itemStyle"]["color"], "hsl(0, 55%, 45%)");
    }

    #[test]
    fn a_heat_map_places_each_service_and_criterion_once() {
        let mut cells = vec![
            cell("all", "water:affordability", Some(2.5), "ok"),
            cell("all", "water:access", Some(3.0), "ok"),
            cell("all", "sanitation:affordability", Some(1.0), "ok"),
            cell("all", "water:need_index", Some(11.0), "ok"),
        ];
        for c in &mut cells {
            c.measure = "mean".into();
        }
        let o = chart(&view("heatmap", "", &BTreeMap::new()), &cells);
        assert_eq!(o["xAxis"]["data"], json!(["affordability", "access"]));
        assert_eq!(o["yAxis"]["data"], json!(["water", "sanitation"]));
        assert_eq!(
            o["series"][0]["data"],
            json!([[0, 0, 2.5], [1, 0, 3.0], [0, 1, 1.0]])
        );
    }

    #[test]
    fn a_bar_chart_keeps_one_scale_and_leaves_medians_to_the_table() {
        let mut cells = vec![
            cell("all", "water_off_premises", Some(40.0), "ok"),
            cell("all", "round_trip_minutes", Some(15.0), "ok"),
            cell("all", "distance_m", Some(260.0), "ok"),
        ];
        cells[1].measure = "median".into();
        cells[2].measure = "median".into();
        let o = chart(&view("bar", "", &BTreeMap::new()), &cells);
        assert_eq!(o["yAxis"]["data"], json!(["water off premises"]));
        assert_eq!(o["xAxis"]["max"], 100);
        let mut means = vec![
            cell("all", "affordability", Some(60.0), "ok"),
            cell("all", "employment", Some(55.0), "ok"),
            cell("all", "small_group", Some(0.0), "ok"),
        ];
        means[0].measure = "mean".into();
        means[1].measure = "mean".into();
        let o = chart(&view("bar", "", &BTreeMap::new()), &means);
        assert_eq!(o["yAxis"]["data"], json!(["affordability", "employment"]));
    }

    #[test]
    fn the_actors_map_joins_provider_groups_to_their_kinds_of_relationship() {
        let mut informal = cell("all", "actors=informal", Some(40.0), "ok");
        informal.by = "all".into();
        let mut served = cell("all", "served_by:informal", Some(64.0), "ok");
        served.by = "all".into();
        let mut tie = cell("all", "tie:informal:buys_from", Some(2.5), "ok");
        (tie.by, tie.measure) = ("all".into(), "mean".into());
        let hidden = cell("all", "tie:informal:sells_to", None, "suppressed");
        let option = chart(
            &view("graph", "", &BTreeMap::new()),
            &[informal, served, tie, hidden],
        );
        let series = &option["series"][0];
        let names: Vec<&str> = series["data"]
            .as_array()
            .expect("nodes")
            .iter()
            .filter_map(|n| n["name"].as_str())
            .collect();
        assert_eq!(
            names,
            ["informal", "buys from"],
            "a hidden tie draws nothing"
        );
        assert_eq!(
            series["data"][0]["value"], 64.0,
            "sized by households served"
        );
        assert_eq!(series["links"][0]["target"], "buys from");
        assert_eq!(series["links"][0]["value"], 2.5);
    }

    #[test]
    fn bars_are_ranked_by_their_estimate_and_read_in_the_apis_words() {
        let cells = vec![
            cell("all", "employment", Some(40.0), "ok"),
            cell("all", "affordability", Some(70.0), "ok"),
            cell("all", "exploitation", None, "suppressed"),
            cell("all", "tenure_security", Some(55.0), "ok"),
        ];
        let labels = BTreeMap::from([("affordability".to_owned(), "Coût".to_owned())]);
        let o = chart(&view("bar", "", &labels), &cells);
        assert_eq!(
            o["yAxis"]["data"],
            json!(["Coût", "tenure security", "employment", "exploitation"]),
            "highest first, hidden last"
        );
        let v = view("bar", "", &labels);
        let rows: Vec<&str> = table_rows(&v, &cells)
            .iter()
            .map(|c| c.item.as_str())
            .collect();
        assert_eq!(
            rows,
            [
                "affordability",
                "tenure_security",
                "employment",
                "exploitation"
            ]
        );
    }

    #[test]
    fn many_items_show_the_highest_twelve_until_all_are_asked_for() {
        let cells: Vec<Cell> = (0..20)
            .map(|i| cell("all", &format!("item{i:02}"), Some(f64::from(i)), "ok"))
            .collect();
        let labels = BTreeMap::new();
        let mut v = view("bar", "", &labels);
        let (items, all) = ranked_items(&v, &cells);
        assert_eq!((items.len(), all), (TOP, 20));
        assert_eq!(items[0], "item19");
        v.show_all = true;
        assert_eq!(ranked_items(&v, &cells).0.len(), 20);
        assert!(chart_height(&v, &cells) > chart_height(&view("bar", "", &labels), &cells));
    }

    #[test]
    fn many_groups_draw_a_heat_map_not_a_bar_per_group() {
        let cells: Vec<Cell> = (1..=20)
            .flat_map(|s| {
                ["a", "b"].map(|item| cell(&format!("s{s:02}"), item, Some(f64::from(s)), "ok"))
            })
            .collect();
        let labels = BTreeMap::from([("s01".to_owned(), "Kibera".to_owned())]);
        let o = chart(&view("bar", "", &labels), &cells);
        assert_eq!(o["series"][0]["type"], "heatmap");
        assert_eq!(o["xAxis"]["data"][0], "Kibera");
        assert_eq!(o["series"][0]["data"].as_array().map(Vec::len), Some(40));
    }

    #[test]
    fn a_stacked_reports_service_filter_applies_to_the_table_too() {
        let cells = vec![
            cell("all", "water:basic", Some(80.0), "ok"),
            cell("all", "sanitation:basic", Some(55.0), "ok"),
        ];
        let labels = BTreeMap::from([(
            "sanitation:basic".to_owned(),
            "Assainissement : Basique".to_owned(),
        )]);
        let v = view("stacked", "sanitation", &labels);
        let rows: Vec<&str> = table_rows(&v, &cells)
            .iter()
            .map(|c| c.item.as_str())
            .collect();
        assert_eq!(rows, ["sanitation:basic"]);
        assert_eq!(service_name(&v, &cells, "sanitation"), "Assainissement");
        let o = chart(&v, &cells);
        assert_eq!(
            o["series"][0]["name"], "Basique",
            "the rung without its service"
        );
    }

    #[test]
    fn r16_sets_households_scores_beside_officials_view_under_the_alignment() {
        let mut cells = vec![
            cell("all", "household:affordability", Some(68.0), "ok"),
            cell("all", "household:exploitation", Some(44.0), "ok"),
            cell("all", "perceived_poor:affordability", Some(87.0), "ok"),
            cell("all", "perceived_poor:exploitation", Some(24.0), "ok"),
            cell("all", "alignment_spearman", Some(0.5), "ok"),
        ];
        for c in &mut cells {
            c.measure = "mean".into();
        }
        let labels = BTreeMap::from([
            (
                "household:affordability".to_owned(),
                "Households: Affordability".to_owned(),
            ),
            (
                "household:exploitation".to_owned(),
                "Households: Exploitation".to_owned(),
            ),
            (
                "perceived_poor:affordability".to_owned(),
                "Officials' view: Affordability".to_owned(),
            ),
            ("alignment_spearman".to_owned(), "Alignment".to_owned()),
        ]);
        let o = chart(&view("alignment", "", &labels), &cells);
        assert_eq!(o["title"]["text"], "Alignment: 0.5");
        assert_eq!(o["yAxis"]["data"], json!(["Affordability", "Exploitation"]));
        assert_eq!(o["series"][0]["name"], "Households");
        assert_eq!(o["series"][1]["name"], "Officials' view");
        assert_eq!(o["series"][1]["data"], json!([87.0, 24.0]));
    }

    #[test]
    fn r18_draws_acceptance_in_the_order_of_the_bids() {
        let mut cells = vec![
            cell("all", "accept:b2", Some(60.0), "ok"),
            cell("all", "accept:b1", Some(70.0), "ok"),
            cell("all", "accept:b3", None, "suppressed"),
            cell("all", "turnbull_lower_bound", Some(31.4), "ok"),
        ];
        cells[3].measure = "bound".into();
        let labels = BTreeMap::new();
        let o = chart(&view("demand", "", &labels), &cells);
        assert_eq!(o["series"][0]["data"], json!([70.0, 60.0, "-"]));
        assert_eq!(o["title"]["text"], "turnbull lower bound: 31.4");
    }

    #[test]
    fn r13_ranks_settlements_by_their_index_and_marks_slum_areas() {
        let mut cells = vec![
            cell("s01", "marginalisation_index", Some(-0.4), "ok"),
            cell("s02", "marginalisation_index", Some(0.9), "ok"),
            cell("s02", "slum_area", Some(1.0), "ok"),
            cell("s03", "marginalisation_index", None, "suppressed"),
        ];
        for c in &mut cells {
            c.by = "s".into();
            c.measure = if c.item == "slum_area" {
                "flag"
            } else {
                "index"
            }
            .into();
        }
        let labels = BTreeMap::from([("s02".to_owned(), "Mathare".to_owned())]);
        let o = chart(&view("bar", "", &labels), &cells);
        assert_eq!(
            o["yAxis"]["data"],
            json!(["Mathare", "s01"]),
            "hidden indexes are not ranked"
        );
        assert_eq!(o["series"][0]["data"][0]["itemStyle"]["color"], "#8a2c0d");
    }

    #[test]
    fn r15s_settlements_and_provider_groups_read_as_a_matrix() {
        let mut cells = vec![
            cell("all", "actors@s01=informal", Some(60.0), "ok"),
            cell("all", "actors@s01=public", Some(40.0), "ok"),
            cell("all", "actors@s02=public", None, "suppressed"),
            cell("all", "actors=public", Some(30.0), "ok"),
        ];
        for c in &mut cells {
            c.by = "all".into();
        }
        let labels = BTreeMap::from([
            (
                "actors@s01=informal".to_owned(),
                "Actors — Kibera: Informal provider".to_owned(),
            ),
            (
                "actors@s01=public".to_owned(),
                "Actors — Kibera: Public".to_owned(),
            ),
            (
                "actors@s02=public".to_owned(),
                "Actors — Mathare: Public".to_owned(),
            ),
        ]);
        let v = view("graph", "", &labels);
        let m = matrix(&v, &cells);
        assert_eq!(m.columns, ["Informal provider", "Public"]);
        assert_eq!(
            m.rows[0],
            (
                "Kibera".to_owned(),
                vec!["60".to_owned(), "40".to_owned()],
                "60".to_owned()
            )
        );
        assert_eq!(m.rows[1].1, ["–", "*"]);
        let rows: Vec<&str> = table_rows(&v, &cells)
            .iter()
            .map(|c| c.item.as_str())
            .collect();
        assert_eq!(
            rows,
            ["actors=public"],
            "the pairs are in the matrix, not the list"
        );
    }
}
