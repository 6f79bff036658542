//! What the dashboard shows of a report, independent of the browser: the cells as the API
//! returns them, their table text, and the Apache ECharts options for the report's chart.
//! Suppressed cells stay visible as `*` in tables and as gaps in charts, never as zeros.

use serde_json::{Value, json};

/// A report in `GET /api/v1/reports`, and one cell of `GET /api/v1/reports/{id}`.
pub use baraza_schema::api::ReportMeta as Meta;
pub use baraza_schema::reports::ReportCell as Cell;

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
        "g" => "Focus-group type",
        "ms" => "Sex of the household member",
        "q" => "Income quintile (per head)",
        "mg" => "Migrant household (head born elsewhere)",
        "ag" => "Age group of the household member",
        other => other,
    }
}

/// Codes as words: `tenure_security` → "tenure security".
pub fn words(code: &str) -> String {
    code.replace('_', " ")
}

/// The column headings of a report's table, after the group and the item.
pub fn columns(report: &str) -> &'static [&'static str] {
    match report {
        "R1" => &["Borda score (0–100)", "Ranked first %", "In top 3 %"],
        "R4" => &["% of households", "% of people"],
        "R5" => &["% of households"],
        _ => &[
            "Measure",
            "Estimate",
            "P25 / 95 % low",
            "P75 / 95 % high",
            "Median's 95 % interval",
        ],
    }
}

/// The figures of one table row, in `columns` order.
pub fn row(report: &str, cell: &Cell) -> Vec<String> {
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
            match cell.measure.as_str() {
                "share" => "%".to_owned(),
                "gap" => "pp".to_owned(),
                "rate" => "per 10,000 households".to_owned(),
                "index" => "index (mean z-score)".to_owned(),
                "flag" => "1 = slum area".to_owned(),
                "bound" => "lower-bound mean".to_owned(),
                m => m.to_owned(),
            },
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
        "xAxis": {"type": "value"},
    });
    if cells
        .iter()
        .any(|c| matches!(c.measure.as_str(), "share" | "borda" | ""))
        && kind != "gap"
    {
        option["xAxis"]["max"] = json!(100);
    }
    if kind == "heatmap" {
        return heatmap(cells, levels.first().copied().unwrap_or("all"));
    }
    if kind == "graph" {
        return graph(cells);
    }
    let (categories, series): (Vec<String>, Vec<Value>) = match kind {
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
                    json!({"name": words(level), "type": "scatter", "symbolSize": 14, "data": data})
                })
                .collect();
            (items.iter().map(|i| words(i)).collect(), series)
        }
        "stacked" => {
            let mine: Vec<&Cell> = cells
                .iter()
                .filter(|c| split(&c.item).0 == service)
                .collect();
            let rungs = distinct(mine.iter().map(|c| split(&c.item).1));
            let series = rungs
                .iter()
                .enumerate()
                .map(|(i, rung)| {
                    let data: Vec<Value> = levels
                        .iter()
                        .map(|level| {
                            value(
                                mine.iter()
                                    .copied()
                                    .find(|c| c.level == *level && split(&c.item).1 == *rung),
                            )
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
            // One scale per chart: percentages (shares, Borda scores) unless the report is
            // mostly means (R2's win scores); medians in their own units stay in the table.
            let count = |m: &[&str]| {
                cells
                    .iter()
                    .filter(|c| m.contains(&c.measure.as_str()))
                    .count()
            };
            let pct = count(&["share", "borda", ""]);
            let charted: &[&str] = if count(&["mean"]) > pct {
                &["mean"]
            } else {
                &["share", "borda", ""]
            };
            let items = distinct(
                cells
                    .iter()
                    .filter(|c| charted.contains(&c.measure.as_str()))
                    .map(|c| c.item.as_str()),
            );
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

/// R15's actors map: a node per provider group, sized by the share of households it serves
/// (or, without those, its share of the actors), joined to a node per kind of relationship
/// by edges as thick as the relationship's mean strength (1–3). Hidden figures draw nothing.
fn graph(cells: &[Cell]) -> Value {
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
            "name": words(group),
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
                "source": words(group),
                "target": words(kind),
                "value": strength,
                "lineStyle": {"width": strength * 2.0},
            }));
        }
    }
    for kind in kinds {
        nodes.push(json!({"name": words(kind), "symbolSize": 10, "category": 1}));
    }
    json!({
        "animation": false,
        "tooltip": {},
        "legend": {"top": 0, "data": ["Provider group", "Relationship"]},
        "series": [{
            "type": "graph",
            "layout": "circular",
            "circular": {"rotateLabel": true},
            "roam": false,
            "label": {"show": true, "position": "right", "fontSize": 11},
            "categories": [{"name": "Provider group"}, {"name": "Relationship"}],
            "data": nodes,
            "links": links,
            "top": 48, "bottom": 24, "left": 96, "right": 96,
        }],
    })
}

/// A service × criterion heat map of one group's mean scores (R3).
fn heatmap(cells: &[Cell], level: &str) -> Value {
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
    json!({
        "animation": false,
        "title": {"text": format!("Mean performance (0–5), {}", words(level)), "left": "center", "textStyle": {"fontSize": 13}},
        "tooltip": {"position": "top"},
        "grid": {"left": 8, "right": 24, "top": 40, "bottom": 64, "containLabel": true},
        "xAxis": {"type": "category", "data": criteria.iter().map(|c| words(c)).collect::<Vec<_>>()},
        "yAxis": {"type": "category", "data": services.iter().map(|c| words(c)).collect::<Vec<_>>()},
        "visualMap": {"min": 0, "max": 5, "calculable": true, "orient": "horizontal", "left": "center", "bottom": 0,
                      "inRange": {"color": ["#b2182b", "#f7f7f7", "#1a9850"]}},
        "series": [{"type": "heatmap", "data": data, "label": {"show": true}}],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let o = chart("heatmap", &cells, "");
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
        let o = chart("bar", &cells, "");
        assert_eq!(o["yAxis"]["data"], json!(["water off premises"]));
        assert_eq!(o["xAxis"]["max"], 100);
        let mut means = vec![
            cell("all", "affordability", Some(60.0), "ok"),
            cell("all", "employment", Some(55.0), "ok"),
            cell("all", "small_group", Some(0.0), "ok"),
        ];
        means[0].measure = "mean".into();
        means[1].measure = "mean".into();
        let o = chart("bar", &means, "");
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
        let option = chart("graph", &[informal, served, tie, hidden], "");
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
}
