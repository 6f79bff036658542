//! XLSForm import: a workbook (already read into cells by the caller, so this module does no
//! IO) becomes a [`Form`] plus every diagnostic, each located as `sheet:row:column`.
//!
//! Import never stops early: it always returns the best form it could build, so that
//! `baraza form check` can show the structure and all problems of a broken workbook at once.
//! A form with any error diagnostic must not be published.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde::Serialize;

use crate::expr::{self, Expr, Expression};
use crate::form::{Choice, DEFAULT_LANGUAGE, Field, Form, Kind, PATH_SEPARATOR, Settings, Text};

/// One sheet as a grid of trimmed cell texts; `rows[0]` is spreadsheet row 1 (the header).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workbook {
    pub sheets: Vec<Sheet>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// A located problem. `row` is the spreadsheet row (1 = header; 0 = the sheet as a whole) and
/// `column` the header text as written (empty = the row as a whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub sheet: String,
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // `sheet:row:column:`, leaving out the parts that do not apply.
        write!(f, "{}:", self.sheet)?;
        if self.row > 0 {
            write!(f, "{}:", self.row)?;
            if !self.column.is_empty() {
                write!(f, "{}:", self.column)?;
            }
        }
        write!(f, " {severity}: {}", self.message)
    }
}

/// What [`import`] returns: always a form (possibly partial) and every diagnostic.
#[derive(Debug, Clone)]
pub struct Import {
    pub form: Form,
    pub diagnostics: Vec<Diagnostic>,
    /// Files the form uses (a `select_one_from_file` list) that were not uploaded with it: a
    /// warning when a workbook is checked, an error when it is published.
    pub missing_files: Vec<String>,
}

/// A file uploaded with a workbook: its name, the sha256 of its content (64 lowercase hex)
/// and, for a CSV or XML file, its rows, header first (the caller reads the file's format;
/// `schema` reads no bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct Attached {
    pub name: String,
    pub sha256: String,
    pub table: Option<Sheet>,
}

impl Import {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    /// The form, when it may be published: a form with an error never is (warnings do not
    /// stop it). Otherwise the whole import back, with every diagnostic.
    pub fn publishable(mut self) -> Result<crate::Form, Box<Import>> {
        self.refuse_missing_files();
        if self.has_errors() {
            Err(Box::new(self))
        } else {
            Ok(self.form)
        }
    }

    /// Makes each file the form uses and was not given an error: what publishing requires
    /// (a check only warns).
    pub fn refuse_missing_files(&mut self) {
        for name in std::mem::take(&mut self.missing_files) {
            self.diagnostics.push(Diagnostic {
                sheet: "survey".into(),
                row: 0,
                column: String::new(),
                severity: Severity::Error,
                message: format!("the form uses the file {name:?}, which was not uploaded with it: publish the workbook and its files together (a .zip of them, or chosen together)"),
            });
        }
    }
}

/// XLSForm question types that Baraza recognises but does not support. A row of one of these
/// types is reported as an error naming the type, and left out of the form.
pub const UNSUPPORTED_TYPES: &[&str] = &["background-audio", "background-geopoint"];

/// An external data file a `csv-external` or `xml-external` row declares (no question): the
/// file its name stands for in `instance('name')` and `pulldata('name', …)`.
fn external_file(type_cell: &str, name: &str) -> Option<String> {
    match type_cell.trim().to_lowercase().as_str() {
        "csv-external" => Some(format!("{name}.csv")),
        "xml-external" => Some(format!("{name}.xml")),
        _ => None,
    }
}

const OR_OTHER: &str = "or_other";

/// Survey columns that Baraza understands, after aliasing.
const SURVEY_COLUMNS: &[&str] = &[
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "choice_filter",
    "repeat_count",
    "preset",
    "default",
    "read_only",
    "appearance",
    "parameters",
    // `baraza::identifying`: see `Field::identifying`.
    "identifying",
];

/// Columns that can carry a language suffix (`label::Français (fr)`).
const TRANSLATABLE: &[&str] = &[
    "label",
    "hint",
    "constraint_message",
    "required_message",
    "media",
    "image",
    "audio",
    "video",
    "big-image",
    "guidance_hint",
];

/// Known XLSForm columns that Baraza does not support: reported once per sheet when a row
/// uses them.
const UNSUPPORTED_COLUMNS: &[&str] = &[
    "trigger",
    "guidance_hint",
    "save_to",
    "body::accuracythreshold",
    "instance::",
];

fn alias(header: &str) -> String {
    let h = header.trim().to_lowercase();
    let canonical = match h.as_str() {
        "bind:relevant" | "relevance" => "relevant",
        "bind:constraint" => "constraint",
        "bind:required" => "required",
        "bind:calculate" => "calculation",
        "bind:readonly" | "read only" | "readonly" => "read_only",
        "constraint message" | "bind:jr:constraintmsg" | "jr:constraintmsg" | "constraintmsg" => {
            "constraint_message"
        }
        "required message" | "bind:jr:requiredmsg" | "jr:requiredmsg" | "requiredmsg" => {
            "required_message"
        }
        "caption" => "label",
        "jr:count" | "count" => "repeat_count",
        "choice filter" => "choice_filter",
        "list name" => "list_name",
        "id_string" => "form_id",
        "body::parameters" => "parameters",
        "baraza::identifying" => "identifying",
        _ => return h,
    };
    canonical.to_owned()
}

/// A header split into its base column and optional language.
#[derive(Debug, Clone)]
struct Column {
    index: usize,
    raw: String,
    base: String,
    lang: Option<String>,
}

/// What is said of a file the form names that was not uploaded with it.
fn not_attached(file: &str) -> String {
    format!(
        "{file:?} is not attached: upload it with the workbook (a .zip of both, or chosen together) before publishing"
    )
}

/// The columns of pictures and sounds beside a label (`media::` before them is optional).
const MEDIA_COLUMNS: [&str; 4] = ["image", "big-image", "audio", "video"];

/// Said once per sheet: every other kind of picture and sound is shown on Baraza's phone too.
const BIG_IMAGE: &str = "a big-image (the larger view ODK clients open when the image is tapped) is for ODK clients; Baraza's own phone shows the image";

fn split_header(index: usize, raw: &str) -> Column {
    let raw_t = raw.trim();
    // `media::image::English (en)` is `image::English (en)`.
    let raw_full = raw_t;
    let raw_t = match raw_t.strip_prefix("media::") {
        Some(rest)
            if MEDIA_COLUMNS
                .iter()
                .any(|m| rest.split("::").next() == Some(*m)) =>
        {
            rest
        }
        _ => raw_t,
    };
    let aliased = alias(raw_t);
    // `label::English (en)`, `media::image::English`, or the older `label:english`.
    let (base, lang) = if SURVEY_COLUMNS.contains(&aliased.as_str()) {
        (aliased, None)
    } else if let Some((b, l)) = raw_t.split_once("::") {
        (alias(b), Some(l))
    } else if let Some((b, l)) = raw_t.split_once(':') {
        let b2 = alias(b);
        if TRANSLATABLE.contains(&b2.as_str()) {
            (b2, Some(l))
        } else {
            (aliased, None)
        }
    } else {
        (aliased, None)
    };
    // `media::image::English`: the language is the last part.
    let lang = lang.map(|l| {
        l.rsplit("::")
            .next()
            .unwrap_or(l)
            .rsplit(':')
            .next()
            .unwrap_or(l)
    });
    let lang = lang.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty());
    Column {
        index,
        raw: raw_full.to_owned(),
        base,
        lang,
    }
}

struct SheetCols {
    sheet: String,
    cols: Vec<Column>,
}

impl SheetCols {
    fn parse(sheet: &Sheet, diags: &mut Diags) -> SheetCols {
        let header = sheet.rows.first().cloned().unwrap_or_default();
        let mut cols = Vec::new();
        let mut seen: HashMap<(String, Option<String>), String> = HashMap::new();
        for (i, raw) in header.iter().enumerate() {
            if raw.trim().is_empty() {
                continue;
            }
            let col = split_header(i, raw);
            // Two spellings of one understood column conflict; other columns are kept apart
            // by their full header (`media::image::en` vs `media::audio::en`).
            let key = if SURVEY_COLUMNS.contains(&col.base.as_str()) || col.base == "list_name" {
                (col.base.clone(), col.lang.clone())
            } else {
                (col.raw.to_lowercase(), None)
            };
            if let Some(first) = seen.get(&key) {
                diags.error(
                    &sheet.name,
                    1,
                    &col.raw,
                    format!(
                        "column {:?} is another name for column {first:?}; keep only one",
                        col.raw
                    ),
                );
                continue;
            }
            seen.insert(key, col.raw.clone());
            cols.push(col);
        }
        SheetCols {
            sheet: sheet.name.clone(),
            cols,
        }
    }

    fn has(&self, base: &str) -> bool {
        self.cols.iter().any(|c| c.base == base)
    }

    fn get<'r, 's>(&'s self, row: &'r [String], base: &str) -> Option<(&'r str, &'s str)> {
        self.cols
            .iter()
            .find(|c| c.base == base && c.lang.is_none())
            .or_else(|| self.cols.iter().find(|c| c.base == base))
            .and_then(|c| {
                let v = row.get(c.index).map(|s| s.trim()).unwrap_or("");
                (!v.is_empty()).then_some((v, c.raw.as_str()))
            })
    }

    fn text(&self, row: &[String], base: &str) -> Text {
        let mut t = Text::new();
        for c in self.cols.iter().filter(|c| c.base == base) {
            if let Some(v) = row.get(c.index).map(|s| s.trim()).filter(|v| !v.is_empty()) {
                let lang = c
                    .lang
                    .clone()
                    .unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned());
                t.insert(lang, v.to_owned());
            }
        }
        t
    }
}

#[derive(Default)]
struct Diags(Vec<Diagnostic>);

impl Diags {
    fn push(&mut self, severity: Severity, sheet: &str, row: usize, column: &str, message: String) {
        self.0.push(Diagnostic {
            severity,
            sheet: sheet.to_owned(),
            row,
            column: column.to_owned(),
            message,
        });
    }

    fn error(&mut self, sheet: &str, row: usize, column: &str, message: impl Into<String>) {
        self.push(Severity::Error, sheet, row, column, message.into());
    }

    /// Survey first, then the other sheets, each in row order: the order a designer fixes
    /// things in.
    fn sorted(mut self) -> Vec<Diagnostic> {
        self.0.sort_by(|a, b| {
            let key = |d: &Diagnostic| {
                (
                    !d.sheet.eq_ignore_ascii_case("survey"),
                    d.sheet.clone(),
                    d.row,
                    d.column.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        self.0
    }

    fn warning(&mut self, sheet: &str, row: usize, column: &str, message: impl Into<String>) {
        self.push(Severity::Warning, sheet, row, column, message.into());
    }
}

/// Typographic quotes, which spreadsheet programs type for you, as straight ones.
fn straighten_quotes(s: &str) -> String {
    s.replace(['\u{2018}', '\u{2019}'], "'")
        .replace(['\u{201c}', '\u{201d}'], "\"")
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Where an expression cell came from, kept until all names are known.
struct ExprSite {
    row: usize,
    column: String,
    field: String,
    role: Role,
    refs: Vec<(String, expr::Span)>,
    names: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Relevant,
    Required,
    Constraint,
    Calculation,
    ChoiceFilter,
    RepeatCount,
    Preset,
    /// A label, hint or message showing answers through `${name}`.
    Text,
}

struct Builder<'a> {
    cols: SheetCols,
    diags: &'a mut Diags,
    sites: Vec<ExprSite>,
    /// The choice lists (the choices sheet's and the uploaded files'), for `instance()` and
    /// `pulldata()`, and the files those name that were not uploaded.
    lists: Vec<String>,
    missing: Vec<String>,
    /// Each select's choice list by its name (the first of a name), for `jr:choice-name()`.
    select_lists: HashMap<String, String>,
    /// The files `csv-external` and `xml-external` rows declare, by the name they declare.
    externals: HashMap<String, String>,
    /// Whether the form was told that Baraza's phone shows no pictures beside labels.
    media_warned: bool,
}

impl Builder<'_> {
    /// A file the form uses that was not uploaded: a warning at the row, an error at publish
    /// (`Import::refuse_missing_files`).
    fn missing_file(&mut self, row_no: usize, column: &str, file: String) {
        self.diags
            .warning(&self.cols.sheet, row_no, column, not_attached(&file));
        if !self.missing.contains(&file) {
            self.missing.push(file);
        }
    }

    /// Records the `${name}` references in a label, hint or message (in every language),
    /// checked with the expressions' once the whole form is known.
    fn text_refs(&mut self, row_no: usize, column: &str, field: &str, text: &Text) {
        let mut refs = Vec::new();
        for t in text.values() {
            let mut from = 0;
            while let Some(at) = t[from..].find("${").map(|i| from + i) {
                let Some(len) = t[at + 2..].find('}') else {
                    break;
                };
                let start = t[..at].chars().count();
                refs.push((
                    t[at + 2..at + 2 + len].to_owned(),
                    expr::Span {
                        start,
                        end: start + 3 + t[at + 2..at + 2 + len].chars().count(),
                    },
                ));
                from = at + 3 + len;
            }
        }
        if !refs.is_empty() {
            self.sites.push(ExprSite {
                row: row_no,
                column: column.to_owned(),
                field: field.to_owned(),
                role: Role::Text,
                refs,
                names: Vec::new(),
            });
        }
    }

    /// Parses one expression cell, reporting every problem at its row and column.
    fn expr(
        &mut self,
        row_no: usize,
        row: &[String],
        base: &str,
        field: &str,
        role: Role,
    ) -> Option<Expression> {
        let (src, column) = self.cols.get(row, base)?;
        let column = column.to_owned();
        // pyxform reads typographic quotes (which spreadsheet programs type for you) as
        // straight ones; so do we, but say so.
        let straight = straighten_quotes(src);
        if straight != src {
            self.diags.warning(
                &self.cols.sheet,
                row_no,
                &column,
                "typographic quotes (‘ ’ “ ”) were read as straight quotes",
            );
        }
        let lists = &self.lists;
        let select_lists = &self.select_lists;
        let mut named = Vec::new();
        let list_of = |name: &str| select_lists.get(name).cloned();
        let externals = &self.externals;
        let rewritten = lookups(&straight, &list_of, &mut |id, csv_only| {
            let key = if let Some(file) = externals.get(id) {
                file.clone()
            } else if lists.iter().any(|l| l == id) && !csv_only {
                id.to_owned()
            } else if !csv_only && lists.iter().any(|l| *l == format!("{id}.xml")) {
                format!("{id}.xml")
            } else {
                format!("{id}.csv")
            };
            named.push(key.clone());
            key
        });
        for file in named {
            if !self.lists.contains(&file) && !self.missing.contains(&file) {
                self.missing_file(row_no, &column, file);
            }
        }
        let src = rewritten.as_str();
        // uuid(), now() and random(): filled by the device (`Field::device_call`), so only as a
        // whole calculation, in `once()` or not; ODK's `once(uuid())` is `uuid()`.
        let squeezed: String = src.split_whitespace().collect();
        if role == Role::Calculation {
            if matches!(squeezed.as_str(), "uuid()" | "once(uuid())") {
                return Expression::parse("uuid()").ok();
            }
            if matches!(
                squeezed.as_str(),
                "now()" | "once(now())" | "random()" | "once(random())"
            ) {
                return Expression::parse(&squeezed).ok();
            }
        }
        let parsed = expr::parse(src);
        let mut call = None;
        let mut algorithm = None;
        parsed.expr.walk(&mut |e| match e {
            Expr::Call(n, _) if expr::DEVICE_CALLS.contains(&n.as_str()) => {
                call.get_or_insert_with(|| n.clone());
            }
            Expr::Call(n, a) if n == "digest" => {
                if let Some(Expr::String(alg)) = a.get(1)
                    && !alg.eq_ignore_ascii_case("SHA-256")
                {
                    algorithm.get_or_insert_with(|| alg.clone());
                }
            }
            _ => {}
        });
        if let Some(alg) = algorithm {
            self.diags.error(
                &self.cols.sheet,
                row_no,
                &column,
                format!("digest() computes SHA-256 on Baraza's phone and server ('SHA-256', with 'base64' or 'hex'); {alg:?} is not supported"),
            );
        }
        if let Some(call) = call {
            self.diags.error(
                &self.cols.sheet,
                row_no,
                &column,
                format!("{call}() is filled by the device, so it must be the whole calculation of a calculate (`{call}()` or `once({call}())`): compute with it in another calculation that reads that one, not in {src:?}"),
            );
        }
        for e in &parsed.errors {
            self.diags.error(
                &self.cols.sheet,
                row_no,
                &column,
                format!(
                    "{} (at character {} of {src:?})",
                    e.message,
                    e.span.start + 1
                ),
            );
        }
        // Bare names, less those inside a lookup's filter (the item's columns).
        let mut names = Vec::new();
        let mut columns = Vec::new();
        parsed.expr.walk(&mut |e| match e {
            Expr::Name(n) => names.push(n.clone()),
            Expr::Call(f, args) if f == "lookup" && args.len() == 3 => args[2].walk(&mut |x| {
                if let Expr::Name(n) = x {
                    columns.push(n.clone());
                }
            }),
            _ => {}
        });
        for c in columns {
            if let Some(i) = names.iter().position(|n| *n == c) {
                names.remove(i);
            }
        }
        self.sites.push(ExprSite {
            row: row_no,
            column,
            field: field.to_owned(),
            role,
            refs: parsed.refs,
            names,
        });
        if parsed.errors.is_empty() {
            Expression::parse(src).ok()
        } else {
            None
        }
    }

    /// `required`: yes/no words, or an expression.
    fn flag(&mut self, row_no: usize, row: &[String], base: &str) -> Option<Expression> {
        let (v, _) = self.cols.get(row, base)?;
        match v.to_lowercase().as_str() {
            "yes" | "true" | "true()" | "1" => Expression::parse("true()").ok(),
            "no" | "false" | "false()" | "0" => None,
            _ => self.expr(row_no, row, base, "", Role::Required),
        }
    }
}

/// Frames of the group/repeat stack while reading the survey sheet.
struct Frame {
    field: Field,
    row: usize,
    /// The names of its children so far, lowercased, with the name as written and its row:
    /// XLSForm names are unique within their group or repeat.
    children: HashMap<String, (String, usize)>,
    /// A `begin loop over LIST`: its rows are the template of one group per choice of LIST.
    loop_over: Option<String>,
}

impl Frame {
    /// What the frame opened: `group`, `repeat` or `loop`.
    fn what(&self) -> &'static str {
        if self.loop_over.is_some() {
            "loop"
        } else {
            self.field.kind.as_str()
        }
    }
}

/// A loop's template copied for one choice, as pyxform expands it: `%(name)s` and
/// `%(label)s` in its texts become the choice's name and label (in each language).
fn for_choice(mut f: Field, c: &Choice) -> Field {
    for text in [
        &mut f.label,
        &mut f.hint,
        &mut f.constraint_message,
        &mut f.required_message,
    ] {
        for (lang, t) in text.iter_mut() {
            let label = c
                .label
                .get(lang)
                .or_else(|| c.label.get(DEFAULT_LANGUAGE))
                .or_else(|| c.label.values().next())
                .map_or(c.name.as_str(), String::as_str);
            *t = t.replace("%(name)s", &c.name).replace("%(label)s", label);
        }
    }
    f.children = f.children.into_iter().map(|g| for_choice(g, c)).collect();
    f
}

fn find_sheet<'a>(wb: &'a Workbook, name: &str) -> Option<&'a Sheet> {
    wb.sheets
        .iter()
        .find(|s| s.name.trim().eq_ignore_ascii_case(name))
}

/// Imports a workbook. `fallback_id` names the form when the settings sheet does not (use the
/// file name, as pyxform does). Long: one pass over the survey rows with the stack of open
/// groups and repeats, the column map and the diagnostics that every part of a row shares;
/// the per-column work is in the functions above. (The XLSForm issue that widens the
/// language is the place to split it by row kind.)
pub fn import(wb: &Workbook, fallback_id: &str) -> Import {
    import_with_files(wb, fallback_id, &[])
}

/// [`import`] with the files uploaded beside the workbook: each is listed in the form
/// (`Form::files`), and a CSV or XML file's rows become a choice list named by the file
/// (`households.csv`), for `select_one_from_file`, `pulldata()` and `instance()` lookups.
pub fn import_with_files(wb: &Workbook, fallback_id: &str, files: &[Attached]) -> Import {
    let mut diags = Diags::default();
    let (settings, allow_dup_choices) = read_settings(wb, fallback_id, &mut diags);
    let (mut choices, choice_langs, choice_missing) =
        read_choices(wb, allow_dup_choices, files, &mut diags);
    let mut languages = Vec::new();
    let mut form_files = BTreeMap::new();
    for a in files {
        let name = &a.name;
        if !crate::attachment::valid_name(name) || form_files.contains_key(name) {
            diags.error(name, 0, "", format!("{name:?}: each file a form carries needs a plain name of its own, without folders"));
            continue;
        }
        form_files.insert(name.clone(), a.sha256.clone());
        if let Some(table) = &a.table {
            choices.insert(
                name.clone(),
                file_choices(table, "name", "label", &mut diags),
            );
        }
    }

    for name in ["external_choices", "osm", "entities"] {
        if let Some(s) = find_sheet(wb, name)
            && s.rows
                .iter()
                .skip(1)
                .any(|r| r.iter().any(|c| !c.trim().is_empty()))
        {
            diags.error(&s.name, 0, "", format!("the {name} sheet is not supported"));
        }
    }

    let Some(survey) = find_sheet(wb, "survey") else {
        diags.error("survey", 0, "", "the workbook has no survey sheet");
        let form = Form::new(settings, languages, Vec::new(), choices);
        return Import {
            form,
            diagnostics: diags.sorted(),
            missing_files: Vec::new(),
        };
    };
    let cols = SheetCols::parse(survey, &mut diags);
    for c in &cols.cols {
        if let Some(l) = &c.lang
            && !languages.contains(l)
        {
            languages.push(l.clone());
        }
    }
    for l in choice_langs {
        if !languages.contains(&l) {
            languages.push(l);
        }
    }
    for base in ["type", "name"] {
        if !cols.has(base) {
            diags.error(
                &survey.name,
                1,
                "",
                format!("the survey sheet has no {base:?} column"),
            );
        }
    }
    let sheet_name = survey.name.clone();
    let mut select_lists = HashMap::new();
    let mut externals = HashMap::new();
    for row in survey.rows.iter().skip(1) {
        let (Some((ty, _)), Some((name, _))) = (cols.get(row, "type"), cols.get(row, "name"))
        else {
            continue;
        };
        if let Some(file) = external_file(ty, name) {
            externals.insert(name.to_owned(), file);
        }
        let raw: Vec<String> = ty.split_whitespace().map(str::to_owned).collect();
        let lower: Vec<String> = raw.iter().map(|w| w.to_lowercase()).collect();
        if let Ok((kind, Some(list))) = question_kind(&lower, &raw)
            && kind.has_choices()
        {
            let list = list.strip_suffix(&format!(" {OR_OTHER}")).unwrap_or(&list);
            select_lists
                .entry(name.to_owned())
                .or_insert_with(|| list.to_owned());
        }
    }
    let mut b = Builder {
        cols,
        diags: &mut diags,
        sites: Vec::new(),
        lists: choices.keys().cloned().collect(),
        missing: choice_missing,
        select_lists,
        externals,
        media_warned: false,
    };

    // Unknown and unsupported columns, reported once each, only when some row uses them.
    for c in &b.cols.cols {
        let used = survey
            .rows
            .iter()
            .skip(1)
            .any(|r| r.get(c.index).is_some_and(|v| !v.trim().is_empty()));
        if !used
            || SURVEY_COLUMNS.contains(&c.base.as_str())
            || MEDIA_COLUMNS.contains(&c.base.as_str())
        {
            continue;
        }
        let msg = if UNSUPPORTED_COLUMNS.iter().any(|u| c.base.starts_with(u)) {
            format!(
                "column {:?} is not supported by Baraza; its values are ignored",
                c.raw
            )
        } else {
            format!("unknown column {:?}; its values are ignored", c.raw)
        };
        b.diags.warning(&sheet_name, 1, &c.raw, msg);
    }

    let mut stack: Vec<Frame> = vec![Frame {
        field: Field::new("", Kind::Group),
        row: 0,
        children: HashMap::new(),
        loop_over: None,
    }];
    // Every row each name is used on (the `_other` question of an `or_other` select on its
    // select's), and each row's path of names from the root: a name used more than once is
    // keyed by its path (`Field::local_name`).
    let mut names: HashMap<String, Vec<usize>> = HashMap::new();
    let mut row_paths: HashMap<usize, String> = HashMap::new();
    let mut repeats: HashMap<String, usize> = HashMap::new();

    for (i, row) in survey.rows.iter().enumerate().skip(1) {
        let row_no = i + 1;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let type_cell = b
            .cols
            .get(row, "type")
            .map(|(v, _)| v.to_owned())
            .unwrap_or_default();
        let name = b
            .cols
            .get(row, "name")
            .map(|(v, _)| v.to_owned())
            .unwrap_or_default();
        let ty: Vec<String> = type_cell.split_whitespace().map(str::to_owned).collect();
        let ty_lower: Vec<String> = ty.iter().map(|t| t.to_lowercase()).collect();
        let head = ty_lower.first().map(String::as_str).unwrap_or("");
        let type_col = b
            .cols
            .get(row, "type")
            .map(|(_, c)| c.to_owned())
            .unwrap_or_else(|| "type".into());

        // Closing rows.
        let closes = match (head, ty_lower.get(1).map(String::as_str)) {
            ("end", Some(k @ ("group" | "repeat" | "loop"))) => Some(k.to_owned()),
            ("end_group", _) => Some("group".into()),
            ("end_repeat", _) => Some("repeat".into()),
            ("end_loop", _) => Some("loop".into()),
            _ => None,
        };
        if let Some(kind) = closes {
            if stack.len() == 1 {
                b.diags.error(
                    &sheet_name,
                    row_no,
                    &type_col,
                    format!("'end {kind}' without a matching 'begin {kind}'"),
                );
                continue;
            }
            let Some(frame) = stack.pop() else { continue };
            let open = frame.what();
            if open != kind {
                b.diags.error(
                    &sheet_name,
                    row_no,
                    &type_col,
                    format!("'end {kind}' closes the {open} opened on row {}", frame.row),
                );
            }
            let mut field = frame.field;
            if let Some(list) = &frame.loop_over {
                // One group per choice, named by it and labelled with it, holding a copy of
                // the template; the names in the copies repeat, so each is keyed by its path.
                let template = std::mem::take(&mut field.children);
                for c in choices.get(list).into_iter().flatten() {
                    let mut g = Field::new(c.name.clone(), Kind::Group);
                    g.label = c.label.clone();
                    g.children = template.iter().cloned().map(|f| for_choice(f, c)).collect();
                    field.children.push(g);
                }
                fn count(fields: &[Field], row: usize, names: &mut HashMap<String, Vec<usize>>) {
                    for f in fields {
                        names.entry(f.name.clone()).or_default().push(row);
                        count(&f.children, row, names);
                    }
                }
                count(&field.children, frame.row, &mut names);
            }
            if let Some(parent) = stack.last_mut() {
                parent.field.children.push(field);
            }
            continue;
        }

        if type_cell.is_empty() {
            b.diags.error(
                &sheet_name,
                row_no,
                "type",
                format!("row {name:?} has no type"),
            );
            continue;
        }

        let is_loop = head == "begin_loop"
            || (head == "begin" && ty_lower.get(1).is_some_and(|t| t == "loop"));
        let opens = match (head, ty_lower.get(1).map(String::as_str)) {
            ("begin", Some("group")) | ("begin_group", _) => Some(Kind::Group),
            ("begin", Some("repeat")) | ("begin_repeat", _) => Some(Kind::Repeat),
            _ if is_loop => Some(Kind::Group),
            _ => None,
        };
        // `begin loop over LIST`: a group per choice of the list (pyxform's expansion).
        let loop_over = if is_loop {
            let list = ty_lower
                .iter()
                .position(|w| w == "over")
                .and_then(|i| ty.get(i + 1))
                .cloned();
            match &list {
                Some(l) if choices.contains_key(l) => {}
                Some(l) => b.diags.error(
                    &sheet_name,
                    row_no,
                    &type_col,
                    format!("choice list {l:?} is not defined on the choices sheet"),
                ),
                None => b.diags.error(
                    &sheet_name,
                    row_no,
                    &type_col,
                    format!("{type_cell:?} names no choice list: write 'begin loop over LIST'"),
                ),
            }
            Some(list.unwrap_or_default())
        } else {
            None
        };

        // A declaration of an external data file, not a question: the file must come with
        // the form.
        if let Some(file) = external_file(&type_cell, &name) {
            if name.is_empty() {
                b.diags.error(
                    &sheet_name,
                    row_no,
                    "name",
                    format!("{type_cell:?} row has no name: the file's name without its extension"),
                );
            } else if !b.lists.contains(&file) && !b.missing.contains(&file) {
                b.missing_file(row_no, &type_col, file);
            }
            continue;
        }
        let kind = match opens {
            Some(k) => Ok((k, None)),
            None => question_kind(&ty_lower, &ty),
        };
        let (kind, list, or_other) = match kind {
            Ok((k, Some(list))) if list.ends_with(OR_OTHER) => (
                k,
                Some(list.trim_end_matches(OR_OTHER).trim_end().to_owned()),
                true,
            ),
            Ok((k, list)) => (k, list, false),
            Err(message) => {
                b.diags.error(&sheet_name, row_no, &type_col, message);
                continue;
            }
        };

        // Names.
        if name.is_empty() {
            b.diags.error(
                &sheet_name,
                row_no,
                "name",
                format!("{type_cell:?} row has no name"),
            );
        } else if !valid_name(&name) {
            b.diags.error(&sheet_name, row_no, "name", format!("{name:?} is not a valid name: start with a letter or '_', then letters, digits, '_', '-' or '.'"));
        } else if let Some((same, first)) = stack
            .last()
            .and_then(|p| p.children.get(&name.to_lowercase()))
        {
            let (same, first) = (same.clone(), *first);
            let level = if stack.len() == 1 {
                "outside every group"
            } else {
                "in the same group"
            };
            if same == name {
                b.diags.error(&sheet_name, row_no, "name", format!("the name {name:?} is already used on row {first} {level}; names must be unique within their group or repeat"));
            } else {
                b.diags.warning(&sheet_name, row_no, "name", format!("the name {name:?} differs from {same:?} on row {first} only in case; tools that ignore case will mix their answers up"));
            }
        } else if let Some(first) = repeats.get(&name).or(if kind == Kind::Repeat {
            names.get(&name).and_then(|r| r.first())
        } else {
            None
        }) {
            b.diags.error(&sheet_name, row_no, "name", format!("the name {name:?} is already used on row {first}; a repeat's name must be unique in the whole form"));
        } else {
            let path: Vec<&str> = stack[1..]
                .iter()
                .map(|p| p.field.name.as_str())
                .chain([name.as_str()])
                .collect();
            row_paths.insert(row_no, path.join(&PATH_SEPARATOR.to_string()));
            names.entry(name.clone()).or_default().push(row_no);
            if kind == Kind::Repeat {
                repeats.insert(name.clone(), row_no);
            }
            if let Some(p) = stack.last_mut() {
                p.children
                    .insert(name.to_lowercase(), (name.clone(), row_no));
            }
        }

        let mut f = Field::new(name.clone(), kind);
        f.list = list.clone();
        f.label = b.cols.text(row, "label");
        f.hint = b.cols.text(row, "hint");
        let mut pictured = false;
        for kind in MEDIA_COLUMNS {
            let named = b.cols.text(row, kind);
            if named.is_empty() {
                continue;
            }
            pictured |= kind == "image";
            if kind == "big-image" && !pictured {
                b.diags.error(
                    &sheet_name,
                    row_no,
                    kind,
                    "a big-image is the larger view of the label's image: give the image too"
                        .to_owned(),
                );
            }
            if kind == "big-image" && !b.media_warned {
                b.media_warned = true;
                b.diags
                    .warning(&sheet_name, row_no, kind, BIG_IMAGE.to_owned());
            }
            for file in named.values() {
                if !files.iter().any(|a| a.name == *file) && !b.missing.contains(file) {
                    b.missing_file(row_no, kind, file.clone());
                }
            }
            f.media.insert(kind.to_owned(), named);
        }
        f.required_message = b.cols.text(row, "required_message");
        f.constraint_message = b.cols.text(row, "constraint_message");
        for (column, text) in [
            ("label", &f.label),
            ("hint", &f.hint),
            ("required_message", &f.required_message),
            ("constraint_message", &f.constraint_message),
        ] {
            b.text_refs(row_no, column, &name, text);
        }
        f.relevant = b.expr(row_no, row, "relevant", &name, Role::Relevant);
        f.constraint = b.expr(row_no, row, "constraint", &name, Role::Constraint);
        f.appearance = b.cols.get(row, "appearance").map(|(v, _)| v.to_owned());
        let from_file = type_cell.to_lowercase().contains("_from_file");
        if let Some((v, col)) = b.cols.get(row, "parameters") {
            let col = col.to_owned();
            let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
            match kind {
                // pyxform's: the file's columns the items' values and labels come from.
                Kind::SelectOne | Kind::SelectMultiple if from_file => {
                    let (mut value, mut label) = ("name", "label");
                    for p in v.split([' ', ',']).filter(|p| !p.is_empty()) {
                        match p.split_once('=') {
                            Some(("value", c)) if !c.is_empty() => value = c,
                            Some(("label", c)) if !c.is_empty() => label = c,
                            _ => b.diags.error(&sheet_name, row_no, &col, format!("{p:?} is not a parameter of a choice from a file: write value= and label= with the file's column names")),
                        }
                    }
                    let table = list
                        .as_deref()
                        .and_then(|l| files.iter().find(|a| a.name == l))
                        .and_then(|a| Some((a.name.as_str(), a.table.as_ref()?)));
                    if let Some((file, table)) = table
                        && (value, label) != ("name", "label")
                    {
                        let derived = format!("{file}/{value}/{label}");
                        if !choices.contains_key(&derived) {
                            let items = file_choices(table, value, label, b.diags);
                            choices.insert(derived.clone(), items);
                        }
                        f.list = Some(derived);
                    }
                }
                Kind::Range => {
                    f.parameters = Some(v.clone());
                    let (start, end, step) = f.range();
                    // pyxform's keys; the slider's looks (`tick_…`, `placeholder`) are not used.
                    let bad = v.split_whitespace().find(|p| {
                        !p.split_once('=').is_some_and(|(k, v)| match k {
                            "start" | "end" | "step" => v.parse::<f64>().is_ok_and(f64::is_finite),
                            "placeholder" | "tick_interval" | "tick_labelset" => true,
                            _ => false,
                        })
                    });
                    if let Some(p) = bad {
                        b.diags.error(&sheet_name, row_no, &col, format!("{p:?} is not a range parameter: write start=, end= and step= with numbers"));
                    } else if step == 0.0 || step.abs() > (end - start).abs() {
                        b.diags.error(&sheet_name, row_no, &col, format!("a range from {start} to {end} cannot go in steps of {step}: the step must not be 0 nor larger than the range"));
                    }
                }
                // pyxform's keys and checks: a photo is shrunk to `max-pixels` on its longer
                // side (`app` names an Android app, nothing to a browser); a recording's
                // `quality` is ODK Collect's, as is what an audit log records.
                Kind::Image | Kind::Audio | Kind::Audit => {
                    f.parameters = Some(v.clone());
                    let bad = v.split_whitespace().find_map(|p| {
                        let (k, val) = p.split_once('=').unwrap_or((p, ""));
                        match (kind, k) {
                            (Kind::Image, "max-pixels") if val.parse::<u32>().is_err() => {
                                Some("max-pixels must be a whole number of pixels".to_owned())
                            }
                            (Kind::Image, "max-pixels" | "app") => None,
                            (Kind::Audio, "quality")
                                if !matches!(val, "voice-only" | "low" | "normal" | "external") =>
                            {
                                Some(format!("{val:?} is not a quality: write voice-only, low, normal or external"))
                            }
                            (Kind::Audio, "quality") => None,
                            (Kind::Audit, "location-priority")
                                if !matches!(val, "no-power" | "low-power" | "balanced" | "high-accuracy") =>
                            {
                                Some(format!("{val:?} is not a location priority: write no-power, low-power, balanced or high-accuracy"))
                            }
                            (Kind::Audit, "location-min-interval" | "location-max-age")
                                if val.parse::<u32>().is_err() =>
                            {
                                Some(format!("{k} must be a whole number of seconds"))
                            }
                            (Kind::Audit, "track-changes" | "identify-user")
                                if !matches!(val, "true" | "false") =>
                            {
                                Some(format!("{k} must be true or false"))
                            }
                            (Kind::Audit, "track-changes-reasons") if val != "on-form-edit" => {
                                Some("track-changes-reasons must be on-form-edit".to_owned())
                            }
                            (
                                Kind::Audit,
                                "location-priority" | "location-min-interval" | "location-max-age"
                                | "track-changes" | "identify-user" | "track-changes-reasons",
                            ) => None,
                            _ => Some(format!("{p:?} is not a parameter of {} questions", kind.as_str())),
                        }
                    });
                    let location = [
                        "location-priority",
                        "location-min-interval",
                        "location-max-age",
                    ]
                    .map(|k| f.parameter(k).is_some());
                    let bad = bad.or_else(|| {
                        (location.contains(&true) && location.contains(&false)).then(|| "an audit's location needs all three of location-priority, location-min-interval and location-max-age".to_owned())
                    });
                    if let Some(message) = bad {
                        b.diags.error(&sheet_name, row_no, &col, message);
                    }
                }
                _ => b.diags.warning(
                    &sheet_name,
                    row_no,
                    &col,
                    format!(
                        "parameters of a {} question are not used by Baraza and are ignored",
                        kind.as_str()
                    ),
                ),
            }
        }
        if kind == Kind::Audit {
            b.diags.warning(&sheet_name, row_no, "type", "an audit is recorded by ODK Collect (its audit.csv is kept with the interview as a file); Baraza's own client records none".to_owned());
        }
        if kind == Kind::Image && f.parameter("max-pixels").is_none() {
            b.diags.warning(&sheet_name, row_no, "parameters", "photos are kept at the size the camera takes them: max-pixels=1024 (or another size) makes them quicker to send and lighter to keep".to_owned());
        }
        f.default = b.cols.get(row, "default").map(|(v, _)| v.to_owned());
        f.read_only = b.cols.get(row, "read_only").is_some_and(|(v, _)| {
            matches!(v.to_lowercase().as_str(), "yes" | "true" | "true()" | "1")
        });
        if let Some((v, col)) = b.cols.get(row, "identifying") {
            match v.to_lowercase().as_str() {
                "yes" | "true" | "true()" | "1" => f.identifying = true,
                "no" | "false" | "false()" | "0" => {}
                _ => {
                    let col = col.to_owned();
                    b.diags.error(&sheet_name, row_no, &col, format!("{v:?} is not yes or no: say whether {name:?} identifies a person (its answers then reach admins only in the raw export)"));
                }
            }
        }

        if kind.is_container() {
            if kind == Kind::Repeat {
                f.repeat_count = b.expr(row_no, row, "repeat_count", &name, Role::RepeatCount);
            }
            for base in ["calculation", "choice_filter", "preset", "required"] {
                if let Some((_, col)) = b.cols.get(row, base) {
                    let col = col.to_owned();
                    b.diags.warning(
                        &sheet_name,
                        row_no,
                        &col,
                        format!(
                            "{base} has no meaning on a {} and is ignored",
                            kind.as_str()
                        ),
                    );
                }
            }
            stack.push(Frame {
                field: f,
                row: row_no,
                children: HashMap::new(),
                loop_over,
            });
            continue;
        }

        f.required = b.flag(row_no, row, "required");
        f.calculation = b.expr(row_no, row, "calculation", &name, Role::Calculation);
        f.choice_filter = b.expr(row_no, row, "choice_filter", &name, Role::ChoiceFilter);
        f.preset = b.expr(row_no, row, "preset", &name, Role::Preset);
        if kind == Kind::Calculate && b.cols.get(row, "calculation").is_none() {
            b.diags.error(
                &sheet_name,
                row_no,
                "calculation",
                format!("calculate field {name:?} has no calculation"),
            );
        }
        if kind != Kind::Calculate && b.cols.get(row, "calculation").is_some() {
            b.diags.warning(&sheet_name, row_no, "calculation", format!("{name:?} is a {} question; a calculation on it is ignored by Baraza (use a calculate row)", kind.as_str()));
            f.calculation = None;
        }
        if f.choice_filter.is_some() && !kind.has_choices() {
            b.diags.warning(
                &sheet_name,
                row_no,
                "choice_filter",
                "choice_filter only applies to select and rank questions; it is ignored here",
            );
            f.choice_filter = None;
        }
        if f.preset.is_some() && !stack.iter().any(|fr| fr.field.kind == Kind::Repeat) {
            b.diags.error(
                &sheet_name,
                row_no,
                "preset",
                "preset only applies to questions inside a repeat",
            );
        }
        if let (true, Some(l)) = (or_other, &list)
            && let Some(cs) = choices
                .get_mut(l)
                .filter(|cs| !cs.iter().any(|c| c.name == "other"))
        {
            let mut label = Text::new();
            label.insert(DEFAULT_LANGUAGE.into(), "Other".into());
            cs.push(Choice {
                name: "other".into(),
                label,
                extra: BTreeMap::new(),
                media: Default::default(),
            });
        }
        if let Some(l) = &list
            && !choices.contains_key(l)
        {
            let col = type_col.clone();
            if !from_file {
                b.diags.error(
                    &sheet_name,
                    row_no,
                    &col,
                    format!("choice list {l:?} is not defined on the choices sheet"),
                );
            } else if !(l.ends_with(".csv") || l.ends_with(".xml")) {
                b.diags.error(
                    &sheet_name,
                    row_no,
                    &col,
                    format!("{l:?}: choices come from a .csv or .xml file"),
                );
            } else if files.iter().any(|a| a.name == *l) {
                b.diags.error(
                    &sheet_name,
                    row_no,
                    &col,
                    format!("{l:?} was uploaded but could not be read as a table of choices"),
                );
            } else {
                b.missing_file(row_no, &col, l.clone());
            }
        }
        let other = or_other.then(|| {
            // As pyxform expands it: an `other` choice and a text question shown when chosen.
            let mut o = Field::new(format!("{name}_other"), Kind::Text);
            o.label
                .insert(DEFAULT_LANGUAGE.into(), "Specify other.".into());
            o.relevant = Expression::parse(&format!("selected(${{{name}}}, 'other')")).ok();
            o
        });
        // An audit logs the whole interview: it belongs to the form wherever its row is (pyxform
        // moves it into `meta`).
        let parent = match kind {
            Kind::Audit => stack.first_mut(),
            _ => stack.last_mut(),
        };
        if let Some(parent) = parent {
            parent.field.children.push(f);
            if let Some(o) = other {
                names.entry(o.name.clone()).or_default().push(row_no);
                parent.field.children.push(o);
            }
        }
    }
    while stack.len() > 1 {
        let Some(frame) = stack.pop() else { break };
        let what = frame.what();
        b.diags.error(
            &sheet_name,
            frame.row,
            "type",
            format!(
                "begin {what} {:?} is never closed with 'end {what}'",
                frame.field.name
            ),
        );
        if let Some(parent) = stack.last_mut() {
            parent.field.children.push(frame.field);
        }
    }
    let mut fields = stack.pop().map(|f| f.field.children).unwrap_or_default();
    let mut sites = std::mem::take(&mut b.sites);
    let missing_files = std::mem::take(&mut b.missing);
    let repeated: HashMap<&str, &[usize]> = names
        .iter()
        .filter(|(_, rows)| rows.len() > 1)
        .map(|(n, rows)| (n.as_str(), rows.as_slice()))
        .collect();
    key_repeated_names(&mut fields, &mut Vec::new(), &repeated);
    for site in &mut sites {
        if repeated.contains_key(site.field.as_str())
            && let Some(path) = row_paths.get(&site.row)
        {
            site.field = path.clone();
        }
    }
    // A cycle is named at the row of its first calculation, which has a site of its own.
    let key_rows: HashMap<String, usize> = sites.iter().map(|s| (s.field.clone(), s.row)).collect();
    let mut form = Form::new(settings, languages, fields, choices);
    form.files = form_files;
    check_references(&form, &sites, &repeated, &sheet_name, &mut diags);
    check_cycles(&form, &key_rows, &sheet_name, &mut diags);
    if let Some(e) = &form.settings.instance_name {
        for name in e.expr().refs() {
            if let Some(rows) = repeated.get(name) {
                let sheet = find_sheet(wb, "settings").map_or("settings", |s| s.name.as_str());
                diags.error(sheet, 2, "instance_name", ambiguous(name, rows));
            } else if form.field(name).is_none() {
                let sheet = find_sheet(wb, "settings").map_or("settings", |s| s.name.as_str());
                diags.error(
                    sheet,
                    2,
                    "instance_name",
                    format!("${{{name}}} does not name a field of this form"),
                );
            }
        }
    }
    Import {
        form,
        diagnostics: diags.sorted(),
        missing_files,
    }
}

/// XLSForm's `instance('list')/root/item[filter]/column` as Baraza's
/// `lookup('list', 'column', filter)`, and `pulldata('file', 'column', 'key_column', key)` as
/// `lookup('file.csv', 'column', key_column = key)`, which means the same, and
/// `jr:choice-name(value, '${select}')` as `lookup('list', 'label', name = value)` (`list_of`
/// gives a select's list by its name). `key` gives the
/// choice list an id names (`true`: a CSV file only, as `pulldata` reads). Text that is not
/// such a call is left as it is, for the parser to say what is wrong with it.
fn lookups(
    src: &str,
    list_of: &dyn Fn(&str) -> Option<String>,
    key: &mut dyn FnMut(&str, bool) -> String,
) -> String {
    let mut out = String::new();
    let mut rest = src;
    let mut quote = None;
    while let Some(c) = rest.chars().next() {
        let before = out.chars().next_back();
        let starts_name =
            quote.is_none() && !before.is_some_and(|b| b.is_alphanumeric() || "_-.:$".contains(b));
        if starts_name && let Some((done, after)) = lookup_at(rest, list_of, key) {
            out.push_str(&done);
            rest = after;
            continue;
        }
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if q == c => quote = None,
            _ => {}
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `instance('list')/root/item[filter]/column` or `pulldata('file', …)` at the start of `s`:
/// its rewriting and what follows.
fn lookup_at<'s>(
    s: &'s str,
    list_of: &dyn Fn(&str) -> Option<String>,
    key: &mut dyn FnMut(&str, bool) -> String,
) -> Option<(String, &'s str)> {
    fn token<'s>(s: &'s str, t: &str) -> Option<&'s str> {
        s.trim_start().strip_prefix(t)
    }
    fn quoted(s: &str) -> Option<(&str, &str)> {
        let s = s.trim_start();
        let q = s.chars().next().filter(|q| *q == '\'' || *q == '"')?;
        let end = s[1..].find(q)? + 1;
        Some((&s[1..end], &s[end + 1..]))
    }
    /// The text up to the bracket that closes an opened one, past quoted text and nested
    /// brackets, and what follows that bracket.
    fn closed(s: &str, close: char) -> Option<(&str, &str)> {
        let (mut depth, mut quote) = (0, None);
        for (i, c) in s.char_indices() {
            match (quote, c) {
                (Some(q), c) if q == c => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '[' | '(') => depth += 1,
                (None, c) if c == close && depth == 0 => return Some((&s[..i], &s[i + 1..])),
                (None, ']' | ')') => depth -= 1,
                _ => {}
            }
        }
        None
    }
    if let Some(s) = token(s, "pulldata").and_then(|s| token(s, "(")) {
        let (file, s) = quoted(s)?;
        let (column, s) = quoted(token(s, ",")?)?;
        let (key_column, s) = quoted(token(s, ",")?)?;
        let (value, after) = closed(token(s, ",")?, ')')?;
        let list = key(file.strip_suffix(".csv").unwrap_or(file), true);
        let value = lookups(value.trim(), list_of, key);
        return Some((
            format!("lookup('{list}', '{column}', {key_column} = {value})"),
            after,
        ));
    }
    // `jr:choice-name(value, '${select}')`: the label of the select's choice named `value`.
    if let Some(s) = token(s, "jr:choice-name").and_then(|s| token(s, "(")) {
        let (value, s) = closed(s, ',')?;
        let (path, s) = quoted(s)?;
        let after = token(s, ")")?;
        let path = path.trim();
        let name = match path.strip_prefix("${") {
            Some(p) => p.strip_suffix('}')?,
            None => path.rsplit('/').next()?,
        };
        let list = list_of(name)?;
        let value = lookups(value.trim(), list_of, key);
        return Some((format!("lookup('{list}', 'label', name = {value})"), after));
    }
    let s = token(s, "instance")?;
    let (id, s) = quoted(token(s, "(")?)?;
    let s = token(
        token(
            token(token(token(token(s, ")")?, "/")?, "root")?, "/")?,
            "item",
        )?,
        "[",
    )?;
    let (filter, s) = closed(s, ']')?;
    let filter = lookups(filter, list_of, key);
    let after = token(s, "/")?.trim_start();
    let len = after
        .find(|c: char| !(c.is_alphanumeric() || "_-.".contains(c)))
        .unwrap_or(after.len());
    if len == 0 {
        return None;
    }
    let list = key(id, false);
    Some((
        format!("lookup('{list}', '{}', {filter})", &after[..len]),
        &after[len..],
    ))
}

/// A CSV or XML file's rows as a choice list: the `value` column's as names, the `label`
/// column's (with `label::Language` columns) as labels, as on the choices sheet (`name` and
/// `label` unless a question's parameters say otherwise); every other column kept for
/// filters and lookups.
fn file_choices(table: &Sheet, value: &str, label: &str, diags: &mut Diags) -> Vec<Choice> {
    let cols = SheetCols::parse(table, diags);
    table
        .rows
        .iter()
        .skip(1)
        .filter(|row| row.iter().any(|c| !c.trim().is_empty()))
        .map(|row| Choice {
            name: cols
                .get(row, value)
                .map(|(v, _)| v.to_owned())
                .unwrap_or_default(),
            label: cols.text(row, label),
            extra: cols
                .cols
                .iter()
                .filter(|c| c.base != value && c.base != label)
                .filter_map(|c| {
                    let v = row.get(c.index)?.trim();
                    (!v.is_empty()).then(|| (c.raw.clone(), v.to_owned()))
                })
                .collect(),
            media: Default::default(),
        })
        .collect()
}

/// Reads a question type cell (already split on whitespace). A select with `or_other` comes
/// back as its list name followed by `or_other`.
fn question_kind(lower: &[String], raw: &[String]) -> Result<(Kind, Option<String>), String> {
    let shown = raw.join(" ");
    // `select one x`, `select all that apply x` are older spellings.
    // Older forms also write `select one from x`, and the oldest `add integer prompt`,
    // `add select one prompt using x` (pyxform's aliases): those words carry no meaning.
    let oldest = lower.first().is_some_and(|w| w == "add") && lower.iter().any(|w| w == "prompt");
    let noise = |w: &str| w == "from" || (oldest && matches!(w, "add" | "prompt" | "using"));
    let lower: Vec<String> = lower.iter().filter(|w| !noise(w)).cloned().collect();
    let raw: Vec<String> = raw
        .iter()
        .filter(|w| !noise(&w.to_lowercase()))
        .cloned()
        .collect();
    let head = lower.first().map(String::as_str).unwrap_or("");
    let simple = |k: Kind| {
        if lower.len() == 1 {
            Ok((k, None))
        } else {
            Err(format!("unexpected words after {head:?} in type {shown:?}"))
        }
    };
    let (select, rest): (Option<Kind>, &[String]) = match lower.as_slice() {
        [a, b, ..] if a == "select" && b == "one" => (Some(Kind::SelectOne), &raw[2..]),
        [a, b, c, d, ..] if a == "select" && b == "all" && c == "that" && d == "apply" => {
            (Some(Kind::SelectMultiple), &raw[4..])
        }
        [a, b, ..] if a == "select" && (b == "multiple" || b == "many") => {
            (Some(Kind::SelectMultiple), &raw[2..])
        }
        [a, ..] if a == "select_one" || a == "select1" => (Some(Kind::SelectOne), &raw[1..]),
        [a, ..] if a == "select_multiple" || a == "select_many" => {
            (Some(Kind::SelectMultiple), &raw[1..])
        }
        [a, ..] if a == "rank" => (Some(Kind::Rank), &raw[1..]),
        // The list is the file's rows, named by the file (`households.csv`).
        [a, ..] if a == "select_one_from_file" => (Some(Kind::SelectOne), &raw[1..]),
        [a, ..] if a == "select_multiple_from_file" => (Some(Kind::SelectMultiple), &raw[1..]),
        _ => (None, &[]),
    };
    if let Some(kind) = select {
        return match rest {
            [list] => Ok((kind, Some(list.clone()))),
            [] => Err(format!("type {shown:?} needs a choice list name")),
            [list, rest @ ..]
                if rest.len() == 1 && rest[0].eq_ignore_ascii_case("or_other")
                    || rest.iter().map(|w| w.to_lowercase()).collect::<Vec<_>>()
                        == ["or", "specify", "other"] =>
            {
                Ok((kind, Some(format!("{list} {OR_OTHER}"))))
            }
            _ => Err(format!("unexpected words in type {shown:?}")),
        };
    }
    match head {
        "text" | "string" => simple(Kind::Text),
        "integer" | "int" => simple(Kind::Integer),
        "decimal" => simple(Kind::Decimal),
        "date" => simple(Kind::Date),
        "time" => simple(Kind::Time),
        "datetime" => simple(Kind::DateTime),
        "barcode" => simple(Kind::Barcode),
        "acknowledge" | "trigger" => simple(Kind::Acknowledge),
        "range" => simple(Kind::Range),
        "hidden" => simple(Kind::Hidden),
        "start-geopoint" => simple(Kind::StartGeopoint),
        "image" | "photo" => simple(Kind::Image),
        "audio" => simple(Kind::Audio),
        "video" => simple(Kind::Video),
        "file" => simple(Kind::File),
        "audit" => simple(Kind::Audit),
        "geopoint" | "gps" | "location" => simple(Kind::Geopoint),
        "geotrace" => simple(Kind::Geotrace),
        "geoshape" => simple(Kind::Geoshape),
        "note" => simple(Kind::Note),
        "calculate" => simple(Kind::Calculate),
        "start" => simple(Kind::Start),
        "end" => simple(Kind::End),
        "today" => simple(Kind::Today),
        "deviceid" | "uri:deviceid" => simple(Kind::DeviceId),
        "username" => simple(Kind::Username),
        "phonenumber" => simple(Kind::PhoneNumber),
        "email" => simple(Kind::Email),
        "simserial" => simple(Kind::SimSerial),
        "subscriberid" => simple(Kind::SubscriberId),
        t if UNSUPPORTED_TYPES.contains(&t) => {
            Err(format!("question type {t:?} is not supported by Baraza"))
        }
        _ => Err(format!("unknown question type {shown:?}")),
    }
}

fn read_settings(wb: &Workbook, fallback_id: &str, diags: &mut Diags) -> (Settings, bool) {
    let mut settings = Settings {
        form_id: fallback_id.to_owned(),
        version: String::new(),
        title: fallback_id.to_owned(),
        default_language: None,
        instance_name: None,
    };
    let mut allow_dup = false;
    let Some(sheet) = find_sheet(wb, "settings") else {
        return (settings, allow_dup);
    };
    let cols = SheetCols::parse(sheet, diags);
    let row = sheet.rows.get(1).cloned().unwrap_or_default();
    for c in &cols.cols {
        let Some(v) = row.get(c.index).map(|s| s.trim()).filter(|v| !v.is_empty()) else {
            continue;
        };
        match c.base.as_str() {
            "form_id" => settings.form_id = v.to_owned(),
            "form_title" | "title" => settings.title = v.to_owned(),
            "version" => settings.version = v.to_owned(),
            "default_language" => settings.default_language = Some(v.to_owned()),
            "allow_choice_duplicates" => {
                allow_dup = matches!(v.to_lowercase().as_str(), "yes" | "true" | "true()")
            }
            "instance_name" => {
                let parsed = expr::parse(v);
                for e in &parsed.errors {
                    diags.error(
                        &sheet.name,
                        2,
                        &c.raw,
                        format!("{} (at character {} of {v:?})", e.message, e.span.start + 1),
                    );
                }
                if parsed.errors.is_empty() {
                    settings.instance_name = Expression::parse(v).ok();
                }
            }
            // Accepted and harmless: delivery settings of other servers.
            "public_key" | "submission_url" | "name" | "sms_keyword" | "namespaces" => {}
            _ => diags.warning(
                &sheet.name,
                2,
                &c.raw,
                format!(
                    "setting {:?} is not supported by Baraza and is ignored",
                    c.raw
                ),
            ),
        }
    }
    if sheet.rows.len() > 2
        && sheet.rows[2..]
            .iter()
            .any(|r| r.iter().any(|c| !c.trim().is_empty()))
    {
        diags.warning(
            &sheet.name,
            3,
            "",
            "only the first row under the settings header is read",
        );
    }
    (settings, allow_dup)
}

/// The choices sheet's lists, the languages of their labels, and the files their pictures
/// and sounds name that are not attached (each said).
fn read_choices(
    wb: &Workbook,
    allow_dup: bool,
    files: &[Attached],
    diags: &mut Diags,
) -> (BTreeMap<String, Vec<Choice>>, Vec<String>, Vec<String>) {
    let mut lists: BTreeMap<String, Vec<Choice>> = BTreeMap::new();
    let mut langs = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let Some(sheet) = find_sheet(wb, "choices") else {
        return (lists, langs, missing);
    };
    let cols = SheetCols::parse(sheet, diags);
    for c in &cols.cols {
        if let (true, Some(l)) = (c.base == "label", &c.lang)
            && !langs.contains(l)
        {
            langs.push(l.clone());
        }
    }
    if !cols.has("list_name") || !cols.has("name") {
        diags.error(
            &sheet.name,
            1,
            "",
            "the choices sheet needs 'list_name' and 'name' columns",
        );
        return (lists, langs, missing);
    }
    let mut media_warned = false;
    let mut rows_of: HashMap<(String, String), usize> = HashMap::new();
    for (i, row) in sheet.rows.iter().enumerate().skip(1) {
        let row_no = i + 1;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let list = cols.get(row, "list_name").map(|(v, _)| v.to_owned());
        let name = cols.get(row, "name").map(|(v, _)| v.to_owned());
        let name = name.map(|n| {
            let straight = straighten_quotes(&n);
            if straight != n {
                diags.warning(
                    &sheet.name,
                    row_no,
                    "name",
                    "typographic quotes (‘ ’ “ ”) were read as straight quotes",
                );
            }
            straight
        });
        let (Some(list), Some(name)) = (list, name) else {
            // Rows of stray notes beside the table have neither.
            if cols.get(row, "list_name").is_some() || cols.get(row, "name").is_some() {
                diags.error(
                    &sheet.name,
                    row_no,
                    "",
                    "a choice needs both a list_name and a name",
                );
            }
            continue;
        };
        if let Some(first) = rows_of.get(&(list.clone(), name.clone())) {
            let msg =
                format!("choice {name:?} appears twice in list {list:?} (first on row {first})");
            if allow_dup {
                diags.warning(&sheet.name, row_no, "name", msg);
            } else {
                diags.error(&sheet.name, row_no, "name", msg);
            }
        } else {
            rows_of.insert((list.clone(), name.clone()), row_no);
        }
        let mut extra = BTreeMap::new();
        for c in &cols.cols {
            if matches!(c.base.as_str(), "list_name" | "name" | "label" | "media")
                || MEDIA_COLUMNS.contains(&c.base.as_str())
                || c.lang.is_some()
            {
                continue;
            }
            if let Some(v) = row.get(c.index).map(|s| s.trim()).filter(|v| !v.is_empty()) {
                extra.insert(c.raw.clone(), v.to_owned());
            }
        }
        let mut choice = Choice {
            name,
            label: cols.text(row, "label"),
            extra,
            media: Default::default(),
        };
        for kind in MEDIA_COLUMNS {
            let named = cols.text(row, kind);
            if named.is_empty() {
                continue;
            }
            if kind == "big-image" && !media_warned {
                media_warned = true;
                diags.warning(&sheet.name, row_no, kind, BIG_IMAGE.to_owned());
            }
            for file in named.values() {
                if !files.iter().any(|a| a.name == *file) && !missing.contains(file) {
                    diags.warning(&sheet.name, row_no, kind, not_attached(file));
                    missing.push(file.clone());
                }
            }
            choice.media.insert(kind.to_owned(), named);
        }
        lists.entry(list).or_default().push(choice);
    }
    (lists, langs, missing)
}

/// Keys each field whose name is used more than once in the form by its path of names
/// (`water:other`), and points the `_other` question of such an `or_other` select at it.
fn key_repeated_names(
    fields: &mut [Field],
    path: &mut Vec<String>,
    repeated: &HashMap<&str, &[usize]>,
) {
    let mut renamed: Vec<(String, String)> = Vec::new();
    for f in fields.iter_mut() {
        let name = f.name.clone();
        path.push(name.clone());
        if repeated.contains_key(name.as_str()) {
            f.name = path.join(&PATH_SEPARATOR.to_string());
            renamed.push((name.clone(), f.name.clone()));
        }
        if let Some((_, key)) = renamed.iter().find(|(n, _)| format!("{n}_other") == name)
            && f.relevant.as_ref().map(Expression::source)
                == Some(format!("selected(${{{}}}, 'other')", &name[..name.len() - 6]).as_str())
        {
            f.relevant = Expression::parse(&format!("selected(${{{key}}}, 'other')")).ok();
        }
        key_repeated_names(&mut f.children, path, repeated);
        path.pop();
    }
}

/// pyxform's rule: a name used more than once cannot be referred to.
fn ambiguous(name: &str, rows: &[usize]) -> String {
    let rows: Vec<String> = rows.iter().map(ToString::to_string).collect();
    format!(
        "${{{name}}} could mean any of the fields named {name:?} (rows {}); a name referred to must be unique in the whole form",
        rows.join(", ")
    )
}

fn check_references(
    form: &Form,
    sites: &[ExprSite],
    repeated: &HashMap<&str, &[usize]>,
    sheet: &str,
    diags: &mut Diags,
) {
    for site in sites {
        for (name, span) in &site.refs {
            let at = format!("(at character {})", span.start + 1);
            match form.field(name) {
                None if repeated.contains_key(name.as_str()) => diags.error(
                    sheet,
                    site.row,
                    &site.column,
                    format!("{} {at}", ambiguous(name, repeated[name.as_str()])),
                ),
                None => diags.error(
                    sheet,
                    site.row,
                    &site.column,
                    format!("${{{name}}} does not name a field of this form {at}"),
                ),
                Some(f) if f.kind == Kind::Group => diags.error(
                    sheet,
                    site.row,
                    &site.column,
                    format!("${{{name}}} names a group, which has no value {at}"),
                ),
                Some(f) if f.kind == Kind::Note => diags.error(
                    sheet,
                    site.row,
                    &site.column,
                    format!("${{{name}}} names a note, which has no value {at}"),
                ),
                Some(_) => {}
            }
            if site.role == Role::Calculation && *name == site.field {
                diags.error(
                    sheet,
                    site.row,
                    &site.column,
                    format!("the calculation of {name:?} refers to itself {at}"),
                );
            }
        }
        if site.role == Role::ChoiceFilter {
            let list = form
                .field(&site.field)
                .and_then(|f| f.list.as_ref())
                .and_then(|l| form.choices.get(l));
            let columns: HashSet<&str> = list
                .map(|cs| {
                    cs.iter()
                        .flat_map(|c| c.extra.keys().map(String::as_str))
                        .collect()
                })
                .unwrap_or_default();
            for n in &site.names {
                if n != "name" && n != "label" && !columns.contains(n.as_str()) && list.is_some() {
                    diags.error(sheet, site.row, &site.column, format!("{n:?} is not a column of the choice list (choice filters can use name, label and extra columns)"));
                }
            }
        } else {
            for n in &site.names {
                diags.error(
                    sheet,
                    site.row,
                    &site.column,
                    format!("bare name {n:?}: refer to fields as ${{{n}}}"),
                );
            }
        }
    }
}

/// Calculations that depend on each other in a loop can never be computed.
fn check_cycles(form: &Form, rows: &HashMap<String, usize>, sheet: &str, diags: &mut Diags) {
    let mut deps: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    form.visit(&mut |f, _| {
        if let Some(c) = &f.calculation {
            let refs = c.expr().refs();
            deps.insert(
                f.name.as_str(),
                refs.into_iter().filter(|r| *r != f.name).collect(),
            );
        }
    });
    // Depth-first search with colours; each cycle is reported once, at its first member.
    let mut state: HashMap<&str, u8> = HashMap::new();
    let mut reported: HashSet<Vec<&str>> = HashSet::new();
    fn dfs<'a>(
        n: &'a str,
        deps: &BTreeMap<&'a str, Vec<&'a str>>,
        state: &mut HashMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
        found: &mut Vec<Vec<&'a str>>,
    ) {
        state.insert(n, 1);
        path.push(n);
        for &m in deps.get(n).map(Vec::as_slice).unwrap_or(&[]) {
            if !deps.contains_key(m) {
                continue;
            }
            match state.get(m).copied().unwrap_or(0) {
                0 => dfs(m, deps, state, path, found),
                1 => {
                    let start = path.iter().position(|p| *p == m).unwrap_or(0);
                    found.push(path[start..].to_vec());
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(n, 2);
    }
    let mut found = Vec::new();
    for &n in deps.keys() {
        if state.get(n).copied().unwrap_or(0) == 0 {
            dfs(n, &deps, &mut state, &mut Vec::new(), &mut found);
        }
    }
    for cycle in found {
        let mut key = cycle.clone();
        key.sort_unstable();
        if !reported.insert(key) {
            continue;
        }
        let mut shown: Vec<&str> = cycle.clone();
        shown.push(cycle[0]);
        let row = rows.get(cycle[0]).copied().unwrap_or(0);
        diags.error(
            sheet,
            row,
            "calculation",
            format!("calculations form a cycle: {}", shown.join(" → ")),
        );
    }
}
