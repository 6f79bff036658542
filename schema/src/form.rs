//! The form model: what an XLSForm becomes after import, and what the server publishes and
//! the client renders. A field's `name` is its key, unique in the form, so a response payload
//! is keyed by it (groups are transparent; each repeat is an array of row objects). XLSForm
//! names need only be unique within their group: where one repeats, each field bearing it is
//! keyed by its path of group names joined by [`PATH_SEPARATOR`] (`water:other`), which no
//! XLSForm name contains; everywhere else the key is the name itself.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::expr::Expression;

/// Text in several languages: language name as written in the workbook's column header
/// (`English (en)`), or `default` for a column without a language.
pub type Text = BTreeMap<String, String>;

/// Pictures and sounds beside a label: each kind's (`image`, `big-image`, `audio`, `video`)
/// file name per language.
pub type Media = BTreeMap<String, Text>;

/// Joins the group names of a key given to a name that repeats in a form (`water:other`).
pub const PATH_SEPARATOR: char = ':';

/// The language key for unsuffixed `label`/`hint` columns.
pub const DEFAULT_LANGUAGE: &str = "default";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub form_id: String,
    pub version: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_language: Option<String>,
    /// XLSForm's `instance_name`: what names one response in lists (`concat(${hh_id}, ' · ',
    /// ${settlement})`); see `validate::instance_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<Expression>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Group,
    Repeat,
    Text,
    Integer,
    Decimal,
    SelectOne,
    SelectMultiple,
    Rank,
    Date,
    /// A time of day, `HH:MM` or `HH:MM:SS` (an ODK client adds seconds and its offset).
    Time,
    /// A day and a time, `YYYY-MM-DDTHH:MM` (an ODK client adds seconds and its offset).
    #[serde(rename = "datetime")]
    DateTime,
    /// A code typed (or scanned): text.
    Barcode,
    /// Ticked to say "OK" (XLSForm's `acknowledge`, and `trigger`): `"OK"` or unanswered.
    Acknowledge,
    /// A number from `start` to `end` by `step` (the `parameters` column).
    Range,
    Geopoint,
    /// A line and an area (XLSForm's `geotrace`, `geoshape`): ODK's text of points,
    /// `lat lon [alt [accuracy]]` separated by `;` (a shape closed: its last point its first).
    Geotrace,
    Geoshape,
    Note,
    Calculate,
    /// A value the form carries and never shows (its `default`, or a calculation of it).
    Hidden,
    /// Metadata the device fills and never asks (XLSForm's metadata types): when the
    /// interview was first opened and when it was finalized (moments with their offset),
    /// the day, the device and the enumerator's user name.
    Start,
    End,
    Today,
    #[serde(rename = "deviceid")]
    DeviceId,
    Username,
    /// Metadata a phone browser cannot know: accepted at import, left empty on the web.
    #[serde(rename = "phonenumber")]
    PhoneNumber,
    Email,
    #[serde(rename = "simserial")]
    SimSerial,
    #[serde(rename = "subscriberid")]
    SubscriberId,
    /// Where the interview was first opened: ODK Collect records it; the web leaves it empty.
    #[serde(rename = "start-geopoint")]
    StartGeopoint,
    /// A photo, a recording, a video or any file (XLSForm's `image`, `audio`, `video`,
    /// `file`): answered by an attachment, `{"name", "sha256", "size"}` (`crate::attachment`).
    Image,
    Audio,
    Video,
    File,
    /// ODK Collect's log of how the interview was filled (`audit.csv`, kept as a file like a
    /// photo); Baraza's own client records none.
    Audit,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Group => "group",
            Kind::Repeat => "repeat",
            Kind::Text => "text",
            Kind::Integer => "integer",
            Kind::Decimal => "decimal",
            Kind::SelectOne => "select_one",
            Kind::SelectMultiple => "select_multiple",
            Kind::Rank => "rank",
            Kind::Date => "date",
            Kind::Time => "time",
            Kind::DateTime => "datetime",
            Kind::Barcode => "barcode",
            Kind::Acknowledge => "acknowledge",
            Kind::Range => "range",
            Kind::Hidden => "hidden",
            Kind::StartGeopoint => "start-geopoint",
            Kind::Geopoint => "geopoint",
            Kind::Geotrace => "geotrace",
            Kind::Geoshape => "geoshape",
            Kind::Note => "note",
            Kind::Calculate => "calculate",
            Kind::Start => "start",
            Kind::End => "end",
            Kind::Today => "today",
            Kind::DeviceId => "deviceid",
            Kind::Username => "username",
            Kind::PhoneNumber => "phonenumber",
            Kind::Email => "email",
            Kind::SimSerial => "simserial",
            Kind::SubscriberId => "subscriberid",
            Kind::Image => "image",
            Kind::Audio => "audio",
            Kind::Video => "video",
            Kind::File => "file",
            Kind::Audit => "audit",
        }
    }

    /// Answered by a file: a photo, a recording, a video or any file.
    pub fn is_attachment(self) -> bool {
        matches!(
            self,
            Kind::Image | Kind::Audio | Kind::Video | Kind::File | Kind::Audit
        )
    }

    /// Metadata (filled by the device) and hidden values: never shown as a question.
    pub fn is_metadata(self) -> bool {
        matches!(
            self,
            Kind::Hidden
                | Kind::Audit
                | Kind::StartGeopoint
                | Kind::Start
                | Kind::End
                | Kind::Today
                | Kind::DeviceId
                | Kind::Username
                | Kind::PhoneNumber
                | Kind::Email
                | Kind::SimSerial
                | Kind::SubscriberId
        )
    }

    /// Metadata every Baraza device knows, so a response without it is incomplete.
    pub fn is_device_filled(self) -> bool {
        matches!(
            self,
            Kind::Start | Kind::End | Kind::Today | Kind::DeviceId | Kind::Username
        )
    }

    pub fn is_container(self) -> bool {
        matches!(self, Kind::Group | Kind::Repeat)
    }

    pub fn has_choices(self) -> bool {
        matches!(self, Kind::SelectOne | Kind::SelectMultiple | Kind::Rank)
    }
}

/// One row of the survey sheet: a question, a group or a repeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub kind: Kind,
    /// The choice list of a select or rank question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub label: Text,
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub hint: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<Expression>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<Expression>,
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub required_message: Text,
    /// On a question, checked against its answer (`.`). On a repeat, a form-level check
    /// evaluated outside the repeat with `.` = the number of rows (e.g. "exactly one head").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<Expression>,
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub constraint_message: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculation: Option<Expression>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice_filter: Option<Expression>,
    /// On a repeat: how many rows it must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_count: Option<Expression>,
    /// On a question inside a repeat: an expression giving a space-separated list whose i-th
    /// item is the fixed answer of row i (the F1 service module, the F2 pairs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Expression>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appearance: Option<String>,
    /// XLSForm's `parameters`, as `key=value` pairs separated by spaces; kept where Baraza
    /// reads them (a range's `start`, `end` and `step`: [`Field::range`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<String>,
    /// Its answers identify a person (a name, a phone number, a free-text answer that may
    /// name someone): in the raw export only admins see them (XLSForm column
    /// `baraza::identifying`, `yes`). Locations are identifying whatever this says.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub identifying: bool,
    /// Pictures and sounds beside the label (XLSForm's `image`, `big-image`, `audio` and
    /// `video` columns, `media::image::Language` too): each kind's file name per language,
    /// among the files the form carries. ODK clients show them; so does Baraza's phone, which
    /// downloads them with the form and keeps them offline (all but `big-image`, ODK's larger
    /// view on a tap).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub media: Media,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Field>,
}

impl Field {
    pub fn new(name: impl Into<String>, kind: Kind) -> Field {
        Field {
            name: name.into(),
            kind,
            list: None,
            label: Text::new(),
            hint: Text::new(),
            relevant: None,
            required: None,
            required_message: Text::new(),
            constraint: None,
            constraint_message: Text::new(),
            calculation: None,
            choice_filter: None,
            repeat_count: None,
            preset: None,
            default: None,
            read_only: false,
            appearance: None,
            parameters: None,
            identifying: false,
            media: Media::default(),
            children: Vec::new(),
        }
    }

    /// The name as the workbook wrote it: the key's last part (`other` for `water:other`), the
    /// element name in an XForm.
    pub fn local_name(&self) -> &str {
        self.name
            .rsplit(PATH_SEPARATOR)
            .next()
            .unwrap_or(&self.name)
    }

    /// A parameter's value (`start` of `start=1 end=10`).
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters
            .as_deref()?
            .split_whitespace()
            .find_map(|p| p.strip_prefix(key)?.strip_prefix('='))
    }

    /// A range question's `(start, end, step)`: pyxform's defaults are 1, 10 and 1.
    pub fn range(&self) -> (f64, f64, f64) {
        let get = |k: &str, d: f64| self.parameter(k).and_then(|v| v.parse().ok()).unwrap_or(d);
        (get("start", 1.0), get("end", 10.0), get("step", 1.0))
    }

    /// The longer side, in pixels, a photo is shrunk to before it is kept (`max-pixels`).
    pub fn max_pixels(&self) -> Option<u32> {
        self.parameter("max-pixels")?.parse().ok()
    }

    /// A calculation the device fills, and the engine never computes: `uuid()` (XLSForm's
    /// `once(uuid())` imports as the same), `now()` or `random()`, alone or in `once()`. The
    /// answer is kept like metadata, and the server checks that it is there. Its name
    /// (`uuid`, `now`, `random`).
    pub fn device_call(&self) -> Option<&str> {
        use crate::expr::Expr;
        if self.kind != Kind::Calculate {
            return None;
        }
        let mut e = self.calculation.as_ref()?.expr();
        if let Expr::Call(n, a) = e
            && n == "once"
            && a.len() == 1
        {
            e = &a[0];
        }
        match e {
            Expr::Call(n, a) if a.is_empty() && crate::expr::DEVICE_CALLS.contains(&n.as_str()) => {
                Some(n)
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub name: String,
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub label: Text,
    /// Other columns of the choices sheet (`service`, `durable`, `category5`…), usable in a
    /// `choice_filter` and in reports.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
    /// Pictures and sounds beside the choice's label, as `Field::media`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub media: Media,
}

/// Where a field sits: the child indices from the root, and the names of the repeats that
/// enclose it (outermost first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub indices: Vec<usize>,
    pub repeats: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FormData {
    settings: Settings,
    languages: Vec<String>,
    fields: Vec<Field>,
    choices: BTreeMap<String, Vec<Choice>>,
    #[serde(default)]
    files: BTreeMap<String, String>,
}

/// A whole form. Immutable once published; named by `(form_id, version)` and by the sha256 of
/// its canonical JSON ([`Form::canonical_json`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "FormData")]
pub struct Form {
    pub settings: Settings,
    /// Languages found in column headers, in workbook order.
    pub languages: Vec<String>,
    pub fields: Vec<Field>,
    pub choices: BTreeMap<String, Vec<Choice>>,
    /// The files the form carries beside its sheets (XLSForm's media: a choice list's CSV, a
    /// `pulldata()` source, an image in a label), by name, each with the sha256 of its
    /// content (64 lowercase hex). A CSV or XML file's rows are also in `choices`, under the
    /// file's name (`households.csv`). Absent from the JSON when there are none, so a form
    /// without files keeps the sha256 it always had. (A map of strings, not a struct per
    /// file: the phone reads it with code it already has, 1.5 KB less.)
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
    #[serde(skip)]
    index: HashMap<String, Location>,
}

impl PartialEq for Form {
    fn eq(&self, other: &Self) -> bool {
        self.settings == other.settings
            && self.languages == other.languages
            && self.fields == other.fields
            && self.choices == other.choices
            && self.files == other.files
    }
}

impl TryFrom<FormData> for Form {
    type Error = String;

    fn try_from(d: FormData) -> Result<Form, String> {
        let mut form = Form::new(d.settings, d.languages, d.fields, d.choices);
        form.files = d.files;
        let mut seen = std::collections::HashSet::new();
        let mut dup = None;
        form.visit(&mut |f, _| {
            if !seen.insert(f.name.clone()) {
                dup.get_or_insert_with(|| f.name.clone());
            }
        });
        match dup {
            Some(name) => Err(format!("field name {name:?} is used more than once")),
            None => Ok(form),
        }
    }
}

impl Form {
    /// Builds a form and its name index. Where names repeat (only in a rejected import), the
    /// first one wins.
    pub fn new(
        settings: Settings,
        languages: Vec<String>,
        fields: Vec<Field>,
        choices: BTreeMap<String, Vec<Choice>>,
    ) -> Form {
        let mut index = HashMap::new();
        fn build(fields: &[Field], loc: &mut Location, index: &mut HashMap<String, Location>) {
            for (i, f) in fields.iter().enumerate() {
                loc.indices.push(i);
                index.entry(f.name.clone()).or_insert_with(|| loc.clone());
                if f.kind == Kind::Repeat {
                    loc.repeats.push(f.name.clone());
                }
                build(&f.children, loc, index);
                if f.kind == Kind::Repeat {
                    loc.repeats.pop();
                }
                loc.indices.pop();
            }
        }
        build(
            &fields,
            &mut Location {
                indices: vec![],
                repeats: vec![],
            },
            &mut index,
        );
        Form {
            settings,
            languages,
            fields,
            choices,
            files: BTreeMap::new(),
            index,
        }
    }

    /// The form language matching an interface language code (`fr` → `Français (fr)`), else
    /// the form's default, else its first.
    pub fn language_for(&self, ui: &str) -> String {
        let tag = format!("({ui})");
        self.languages
            .iter()
            .find(|l| l.contains(&tag))
            .or(self.settings.default_language.as_ref())
            .or(self.languages.first())
            .cloned()
            .unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned())
    }

    /// A text in `lang`, else the form's default language, else any; empty when there is none.
    pub fn text_in(&self, t: &Text, lang: &str) -> String {
        t.get(lang)
            .or_else(|| {
                self.settings
                    .default_language
                    .as_ref()
                    .and_then(|d| t.get(d))
            })
            .or_else(|| t.get(DEFAULT_LANGUAGE))
            .or_else(|| t.values().next())
            .cloned()
            .unwrap_or_default()
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.located(name).map(|(_, f)| f)
    }

    /// A field with where it sits, found by one look-up of its name.
    pub fn located(&self, name: &str) -> Option<(&Location, &Field)> {
        let loc = self.index.get(name)?;
        let mut fields = &self.fields;
        let mut found = None;
        for &i in &loc.indices {
            let f = fields.get(i)?;
            found = Some(f);
            fields = &f.children;
        }
        Some((loc, found?))
    }

    pub fn location(&self, name: &str) -> Option<&Location> {
        self.index.get(name)
    }

    pub fn choice(&self, list: &str, name: &str) -> Option<&Choice> {
        self.choices.get(list)?.iter().find(|c| c.name == name)
    }

    /// Every field in document order with its ancestors (outermost first).
    /// The questions outside every repeat, looking through groups, in form order (where the
    /// metadata a device fills lives).
    pub fn outside_repeats(&self) -> Vec<&Field> {
        fn walk<'a>(fields: &'a [Field], out: &mut Vec<&'a Field>) {
            for f in fields {
                match f.kind {
                    Kind::Group => walk(&f.children, out),
                    Kind::Repeat => {}
                    _ => out.push(f),
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.fields, &mut out);
        out
    }

    /// The form's `audit` (ODK Collect's log of the interview), if it has one: the first.
    pub fn audit(&self) -> Option<&Field> {
        let mut audit = None;
        self.visit(&mut |f, _| {
            if f.kind == Kind::Audit {
                audit.get_or_insert(f);
            }
        });
        audit
    }

    pub fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Field, &[&'a Field])) {
        fn go<'a>(
            fields: &'a [Field],
            stack: &mut Vec<&'a Field>,
            f: &mut impl FnMut(&'a Field, &[&'a Field]),
        ) {
            for field in fields {
                f(field, stack);
                stack.push(field);
                go(&field.children, stack, f);
                stack.pop();
            }
        }
        go(&self.fields, &mut Vec::new(), f);
    }

    /// The canonical serialization: compact JSON, struct fields in declaration order, maps
    /// sorted, absent options omitted, expressions as their source text. The same bytes on
    /// every platform.
    pub fn canonical_json(&self) -> String {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `sha256:` + hex of the canonical JSON.
    pub fn sha256(&self) -> String {
        let digest = Sha256::digest(self.canonical_json().as_bytes());
        format!("sha256:{}", crate::hex(&digest))
    }

    /// A flat, document-order summary for form designers and tools (`baraza form check
    /// --json`): every field with its full group/repeat path.
    pub fn outline(&self) -> Outline {
        let mut fields = Vec::new();
        self.visit(&mut |f, ancestors| {
            let mut path: Vec<&str> = ancestors.iter().map(|a| a.local_name()).collect();
            path.push(f.local_name());
            let repeat = ancestors
                .iter()
                .rposition(|a| a.kind == Kind::Repeat)
                .map(|i| {
                    ancestors[..=i]
                        .iter()
                        .map(|a| a.local_name())
                        .collect::<Vec<_>>()
                        .join("/")
                });
            let src = |e: &Option<Expression>| e.as_ref().map(|e| e.source().to_owned());
            fields.push(OutlineField {
                path: path.join("/"),
                name: f.name.clone(),
                kind: f.kind,
                repeat,
                list: f.list.clone(),
                label: f.label.clone(),
                required: src(&f.required),
                relevant: src(&f.relevant),
                constraint: src(&f.constraint),
                calculation: src(&f.calculation),
                choice_filter: src(&f.choice_filter),
                repeat_count: src(&f.repeat_count),
                preset: src(&f.preset),
            });
        });
        Outline {
            settings: self.settings.clone(),
            languages: self.languages.clone(),
            sha256: self.sha256(),
            fields,
            choices: self.choices.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outline {
    pub settings: Settings,
    pub languages: Vec<String>,
    pub sha256: String,
    pub fields: Vec<OutlineField>,
    pub choices: BTreeMap<String, Vec<Choice>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutlineField {
    /// Group and repeat names from the root down to the field, joined by `/`.
    pub path: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Path of the nearest enclosing repeat.
    pub repeat: Option<String>,
    pub list: Option<String>,
    pub label: Text,
    pub required: Option<String>,
    pub relevant: Option<String>,
    pub constraint: Option<String>,
    pub calculation: Option<String>,
    pub choice_filter: Option<String>,
    pub repeat_count: Option<String>,
    pub preset: Option<String>,
}
