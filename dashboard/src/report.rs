//! What the dashboard shows of a report, independent of the browser: the cells as the API
//! returns them, their table text, and the Apache ECharts options for the report's chart.
//! Suppressed cells stay visible as `*` in tables and as gaps in charts, never as zeros.

use serde::Deserialize;
use serde_json::{Value, json};

/// A report in `GET /api/v1/reports`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Meta {
    pub id: String,
    pub title: String,
    pub by: Vec<String>,
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default)]
    pub chart: String,
}

/// One cell of `GET /api/v1/reports/{id}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Cell {
    pub by: String,
    pub level: String,
    pub item: String,
    pub estimate: Option<f64>,
    #[serde(default)]
    pub first_share: Option<f64>,
    #[serde(default)]
    pub top3_share: Option<f64>,
    pub n: Option<u64>,
    pub reliability: String,
    pub suppressed: bool,
}

/// The names the disaggregation codes stand for.
pub fn by_label(by: &str) -> &str {
    match by {
        "all" => "Everyone",
        "rs" => "Sex of respondent",
        "hs" => "Sex of household head",
        "tn" => "Tenure group",
        "d" => "Disability in the household",
        "t" => "Settlement type",
        "s" => "Settlement",
        other => other,
    }
}

/// Codes as words: `tenure_security` → "tenure security".
pub fn words(code: &str) -> String {
    code.replace('_', " ")
}

/// A published figure: `*` when suppressed, in parentheses when based on 25–49 cases.
pub fn figure(value: Option<f64>, cell: &Cell) -> String {
    match value {
        _ if cell.suppressed => "*".into(),
        None => "–".into(),
        Some(v) if cell.reliability == "caution" => format!("({})", number(v)),
        Some(v) => number(v),
    }
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The unweighted base as shown: withheld small counts read `<5`.
pub fn base(cell: &Cell) -> String {
    cell.n.map_or_else(|| "<5".into(), |n| n.to_string())
}

/// The column headings of a report's table, after the group and the item.
pub fn columns(report: &str) -> &'static [&'static str] {
    match report {
        "R1" => &["Borda score (0–100)", "Ranked first %", "In top 3 %"],
        _ => &["% of households"],
    }
}

/// The figures of one table row, in `columns` order.
pub fn row(report: &str, cell: &Cell) -> Vec<String> {
    match report {
        "R1" => vec![
            figure(cell.estimate, cell),
            figure(cell.first_share, cell),
            figure(cell.top3_share, cell),
        ],
        _ => vec![figure(cell.estimate, cell)],
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
    distinct(cells.iter().map(|c| c.item.split(':').next().unwrap_or("")))
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// Colours from the best rung (green) to the worst (red).
fn ladder_colour(i: usize, n: usize) -> String {
    let hue = if n > 1 { 140 - 140 * i / (n - 1) } else { 140 };
    format!("hsl({hue}, 55%, 45%)")
}

/// The ECharts option object for a report's chart (`Meta::chart`). Stacked charts show one
/// service (`service`) as a 100 % bar per group.
pub fn chart(kind: &str, cells: &[Cell], service: &str) -> Value {
    let levels = distinct(cells.iter().map(|c| c.level.as_str()));
    let mut option = json!({
        "animation": false,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 8, "right": 24, "top": 40, "bottom": 8, "containLabel": true},
        "xAxis": {"type": "value", "max": 100},
    });
    let (categories, series): (Vec<String>, Vec<Value>) = match kind {
        "stacked" => {
            let prefix = format!("{service}:");
            let mine: Vec<&Cell> = cells
                .iter()
                .filter(|c| c.item.starts_with(&prefix))
                .collect();
            let rungs = distinct(mine.iter().map(|c| &c.item[prefix.len()..]));
            let series = rungs
                .iter()
                .enumerate()
                .map(|(i, rung)| {
                    let data: Vec<Value> =
                        levels
                            .iter()
                            .map(|level| {
                                value(mine.iter().copied().find(|c| {
                                    c.level == *level && &c.item[prefix.len()..] == *rung
                                }))
                            })
                            .collect();
                    json!({
                        "name": words(rung),
                        "type": "bar",
                        "stack": "share",
                        "data": data,
                        "itemStyle": {"color": ladder_colour(i, rungs.len())},
                    })
                })
                .collect();
            (levels.iter().map(|l| words(l)).collect(), series)
        }
        _ => {
            let items = distinct(cells.iter().map(|c| c.item.as_str()));
            let series = levels
                .iter()
                .map(|level| {
                    let data: Vec<Value> = items
                        .iter()
                        .map(|item| {
                            value(cells.iter().find(|c| c.level == *level && c.item == *item))
                        })
                        .collect();
                    json!({"name": words(level), "type": "bar", "data": data})
                })
                .collect();
            (items.iter().map(|i| words(i)).collect(), series)
        }
    };
    option["yAxis"] = json!({"type": "category", "inverse": true, "data": categories});
    option["series"] = Value::Array(series);
    option
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(level: &str, item: &str, estimate: Option<f64>, reliability: &str) -> Cell {
        Cell {
            by: "rs".into(),
            level: level.into(),
            item: item.into(),
            estimate,
            first_share: estimate,
            top3_share: estimate,
            n: Some(60),
            reliability: reliability.into(),
            suppressed: estimate.is_none(),
        }
    }

    #[test]
    fn suppressed_figures_read_as_a_star_and_cautious_ones_in_parentheses() {
        assert_eq!(figure(Some(61.0), &cell("f", "x", Some(61.0), "ok")), "61");
        assert_eq!(
            figure(Some(61.5), &cell("f", "x", Some(61.5), "caution")),
            "(61.5)"
        );
        assert_eq!(figure(None, &cell("f", "x", None, "suppressed")), "*");
        let mut small = cell("f", "x", None, "suppressed");
        small.n = None;
        assert_eq!(base(&small), "<5");
    }

    #[test]
    fn a_bar_chart_has_one_series_per_group_with_gaps_where_cells_are_suppressed() {
        let cells = vec![
            cell("female", "affordability", Some(70.0), "ok"),
            cell("female", "employment", None, "suppressed"),
            cell("male", "affordability", Some(60.0), "ok"),
            cell("male", "employment", Some(40.0), "ok"),
        ];
        let o = chart("bar", &cells, "");
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
        let o = chart("stacked", &cells, "water");
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
}
