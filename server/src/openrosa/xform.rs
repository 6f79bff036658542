//! A published form as an ODK XForm (the ODK XForms 1.0 specification, as pyxform writes
//! it), generated from Baraza's own form model: no Python at run time. The main instance's
//! root is `<data id="form_id" version="version">`; groups are elements (ODK needs them to
//! lay out the form) while Baraza's payload looks through them; each repeat is a `jr:template`
//! plus `jr:count` when the form sets a row count; every language is an itext translation;
//! every choice list is a secondary instance; `meta/instanceID` is preloaded with a uid.
//!
//! Where Baraza has an extension the XForm gets the closest faithful equivalent:
//!
//! - `rank` is ODK's `odk:rank`;
//! - `preset` (row i's fixed answer is the i-th item of a list) is a read-only calculation
//!   `selected-at(list, position(..) - 1)`;
//! - a row count that is not a single question (`15`, `count-selected(${x})`) becomes a
//!   calculated node `<repeat>_count` before the repeat, as pyxform does; [`generated_nodes`]
//!   names them so that a submission's copy is recognised and left out of the payload;
//! - a repeat-level constraint (`sum(${m_is_head}) = 1`) has no XForm equivalent: it is not
//!   emitted, and the server checks it when the submission arrives (a submission that breaks
//!   it is held in quarantine with the reason, like any invalid answers).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use baraza_schema::expr::{BinOp, Expr};
use baraza_schema::form::{DEFAULT_LANGUAGE, Text};
use baraza_schema::{Expression, Field, Form, Kind};

/// The main instance's root element.
pub const ROOT: &str = "data";

/// The group under the root that holds ODK's `instanceID`, `instanceName` and (in an edited
/// submission) `deprecatedID`.
pub const META: &str = "meta";

/// Where each field's element is: its path from the root (`["data", "g", "q"]`), and which
/// prefixes of it are repeats.
struct Paths<'a> {
    of: HashMap<&'a str, Vec<&'a str>>,
    repeats: Vec<Vec<&'a str>>,
    /// The generated row-count node of each repeat whose count is not a single question.
    count_nodes: HashMap<&'a str, String>,
    instance_name: bool,
    /// A select of each choice list (the first), for `jr:choice-name()`.
    lists: HashMap<&'a str, &'a str>,
}

impl<'a> Paths<'a> {
    fn new(form: &'a Form) -> Paths<'a> {
        let mut of = HashMap::new();
        let mut repeats = Vec::new();
        let mut lists = HashMap::new();
        form.visit(&mut |f, ancestors| {
            if let Some(list) = &f.list {
                lists.entry(list.as_str()).or_insert(f.name.as_str());
            }
            let mut path = vec![ROOT];
            path.extend(ancestors.iter().map(|a| a.local_name()));
            path.push(f.local_name());
            if f.kind == Kind::Repeat {
                repeats.push(path.clone());
            }
            of.insert(f.name.as_str(), path);
        });
        Paths {
            of,
            repeats,
            count_nodes: generated_nodes(form),
            instance_name: form.settings.instance_name.is_some(),
            lists,
        }
    }

    fn path(&self, name: &str) -> Vec<&'a str> {
        self.of
            .get(name)
            .cloned()
            .unwrap_or_else(|| vec![ROOT, "_missing"])
    }

    /// `target` as seen from `context`: relative (`../x`) when both sit in the same row of a
    /// repeat, so that each row reads its own answers; absolute (`/data/x`) otherwise.
    fn reference(&self, context: &[&str], target: &[&str]) -> String {
        let shared = self
            .repeats
            .iter()
            .any(|r| context.len() > r.len() && context.starts_with(r) && target.starts_with(r));
        match shared {
            true => {
                // Up to the nearest common ancestor, as pyxform writes it (`../x` beside).
                let n = context[..context.len() - 1]
                    .iter()
                    .zip(target)
                    .take_while(|(a, b)| a == b)
                    .count();
                let mut out: Vec<&str> = vec![".."; context.len() - n];
                out.extend(&target[n..]);
                out.join("/")
            }
            false => format!("/{}", target.join("/")),
        }
    }
}

/// The names of the nodes the XForm adds to the main instance beside the form's own, by the
/// repeat they belong to: `<repeat>_count` for a row count that is not a single question
/// (underscores added until the name is free).
pub fn generated_nodes(form: &Form) -> HashMap<&str, String> {
    let mut out = HashMap::new();
    form.visit(&mut |f, _| {
        let Some(count) = &f.repeat_count else { return };
        if matches!(count.expr(), Expr::Ref(_)) {
            return;
        }
        let mut name = format!("{}_count", f.name);
        while form.field(&name).is_some() {
            name.push('_');
        }
        out.insert(f.name.as_str(), name);
    });
    out
}

/// How an expression is being written: from which node, and whether inside a choice
/// filter's predicate (where `.` is the choice and the question is `current()`).
struct Ctx<'p, 'a> {
    paths: &'p Paths<'a>,
    context: Vec<&'a str>,
    in_filter: bool,
}

impl Ctx<'_, '_> {
    fn xpath(&self, e: &Expr) -> String {
        let mut out = String::new();
        self.write(e, &mut out);
        out
    }

    fn write(&self, e: &Expr, out: &mut String) {
        match e {
            Expr::Number(_) => out.push_str(&e.to_string()),
            Expr::String(s) if s.contains('\'') => {
                let _ = write!(out, "\"{s}\"");
            }
            Expr::String(s) => {
                let _ = write!(out, "'{s}'");
            }
            Expr::Ref(name) => {
                let target = self.paths.path(name);
                let r = self.paths.reference(&self.context, &target);
                if self.in_filter && !r.starts_with('/') {
                    out.push_str("current()/");
                }
                out.push_str(&r);
            }
            Expr::Dot if self.in_filter => out.push_str("name"),
            Expr::Dot => out.push('.'),
            Expr::Name(n) => out.push_str(n),
            Expr::Neg(inner) => {
                out.push_str("-(");
                self.write(inner, out);
                out.push(')');
            }
            Expr::Binary(op, a, b) => {
                let p = op.precedence();
                let side = |x: &Expr, out: &mut String, strict: bool| {
                    let xp = match x {
                        Expr::Binary(o, ..) => o.precedence(),
                        _ => 9,
                    };
                    if xp < p || (strict && xp == p) {
                        out.push('(');
                        self.write(x, out);
                        out.push(')');
                    } else {
                        self.write(x, out);
                    }
                };
                side(a, out, false);
                let _ = write!(out, " {} ", op.symbol());
                side(b, out, true);
            }
            // Baraza's `lookup()` is ODK's path into a secondary instance, a file's by its id.
            Expr::Call(name, args) if name == "lookup" && args.len() == 3 => {
                let part = |e: &Expr| match e {
                    Expr::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let list = part(&args[0]);
                // A choice's label in a list of the choices sheet: ODK's `jr:choice-name()`
                // (the labels are in itext, not in the list's items).
                if let (Expr::Binary(BinOp::Eq, column, value), "label", Some(select)) = (
                    &args[2],
                    part(&args[1]).as_str(),
                    self.paths.lists.get(list.as_str()),
                ) && matches!(column.as_ref(), Expr::Name(n) if n == "name")
                    && file_instance(&list).is_none()
                {
                    out.push_str("jr:choice-name(");
                    self.write(value, out);
                    let _ = write!(out, ", '/{}')", self.paths.path(select).join("/"));
                    return;
                }
                let id = file_instance(&list).map_or(list.as_str(), |(id, _)| id);
                let _ = write!(out, "instance('{id}')/root/item[");
                Ctx {
                    paths: self.paths,
                    context: self.context.clone(),
                    in_filter: true,
                }
                .write(&args[2], out);
                let _ = write!(out, "]/{}", part(&args[1]));
            }
            Expr::Call(name, args) if name == "position" && args.is_empty() => {
                out.push_str("position(..)");
            }
            Expr::Call(name, args) => {
                out.push_str(name);
                out.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.write(a, out);
                }
                out.push(')');
            }
            Expr::Error => out.push_str("''"),
        }
    }
}

/// A choice list that is a file the form carries (`households.csv`, or with the columns of
/// its values and labels, `households.csv/hh_id/hh_name`): the instance id ODK clients know
/// the file by (its name without extension) and where they read it from.
fn file_instance(list: &str) -> Option<(&str, &'static str)> {
    let (file, _, _) = baraza_schema::attachment::file_list(list)?;
    if let Some(id) = file.strip_suffix(".csv") {
        Some((id, "jr://file-csv/"))
    } else {
        file.strip_suffix(".xml").map(|id| (id, "jr://file/"))
    }
}

/// Escapes text for an XML attribute value or element content.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether `s` can be an XML element name as written here (an NCName of ASCII letters,
/// digits, `_`, `-` and `.`).
fn is_element_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The ODK XForm of `form`. Deterministic: the same form gives the same bytes.
pub fn xform(form: &Form) -> String {
    let paths = Paths::new(form);
    let langs: Vec<String> = if form.languages.is_empty() {
        vec![DEFAULT_LANGUAGE.to_owned()]
    } else {
        form.languages.clone()
    };
    let default_lang = form
        .settings
        .default_language
        .clone()
        .filter(|l| langs.contains(l))
        .unwrap_or_else(|| langs[0].clone());
    let mut w = Writer {
        meta_written: false,
        audit: form.audit(),
        paths: &paths,
        itext: BTreeMap::new(),
        binds: String::new(),
        setvalues: String::new(),
        body: String::new(),
    };
    let mut main = String::new();
    let _ = write!(
        main,
        "<{ROOT} id=\"{}\" version=\"{}\">",
        escape(&form.settings.form_id),
        escape(&form.settings.version)
    );
    w.fields(&form.fields, &mut main);
    if !w.meta_written {
        let _ = write!(main, "<meta>{}</meta>", w.meta_nodes());
    }
    let _ = write!(main, "</{ROOT}>");
    // ODK Collect keeps its audit log only at `meta/audit`, wherever the row was (as pyxform
    // writes it); its parameters are attributes of the bind.
    if let Some(f) = w.audit {
        w.binds
            .push_str("<bind nodeset=\"/data/meta/audit\" type=\"binary\"");
        for p in f
            .parameters
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
        {
            if let Some((k, v)) = p.split_once('=') {
                let _ = write!(w.binds, " odk:{}=\"{}\"", escape(k), escape(v));
            }
        }
        w.binds.push_str("/>");
    }
    w.binds.push_str(
        "<bind nodeset=\"/data/meta/instanceID\" type=\"string\" readonly=\"true()\" jr:preload=\"uid\"/>",
    );
    if let Some(name) = &form.settings.instance_name {
        let ctx = Ctx {
            paths: &paths,
            context: vec![ROOT, "meta", "instanceName"],
            in_filter: false,
        };
        let _ = write!(
            w.binds,
            "<bind nodeset=\"/data/meta/instanceName\" type=\"string\" calculate=\"{}\"/>",
            escape(&ctx.xpath(name.expr()))
        );
    }

    // Choice lists: one secondary instance each, labels in itext; a file the form carries is
    // an external instance, which ODK clients read from the form's media (pyxform's `src`).
    let mut lists = String::new();
    for (list, choices) in &form.choices {
        if let Some((id, src)) = file_instance(list) {
            // One instance per file, however many columns its questions read.
            if list.ends_with(".csv") || list.ends_with(".xml") {
                let _ = write!(
                    lists,
                    "<instance id=\"{}\" src=\"{src}{}\"/>",
                    escape(id),
                    escape(list)
                );
            }
            continue;
        }
        if !is_element_name(list) {
            continue;
        }
        let _ = write!(lists, "<instance id=\"{}\"><root>", escape(list));
        for (i, c) in choices.iter().enumerate() {
            let id = format!("{list}-{i}");
            let _ = write!(
                lists,
                "<item><itextId>{}</itextId><name>{}</name>",
                escape(&id),
                escape(&c.name)
            );
            for (k, v) in &c.extra {
                if is_element_name(k) && k != "name" && k != "itextId" {
                    let _ = write!(lists, "<{k}>{}</{k}>", escape(v));
                }
            }
            lists.push_str("</item>");
            let media = Some(&c.media).filter(|m| !m.is_empty());
            w.itext.insert(id, Itext(vec![ROOT], &c.label, media));
        }
        lists.push_str("</root></instance>");
    }

    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(concat!(
        "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:ev=\"http://www.w3.org/2001/xml-events\" ",
        "xmlns:h=\"http://www.w3.org/1999/xhtml\" xmlns:jr=\"http://openrosa.org/javarosa\" ",
        "xmlns:odk=\"http://www.opendatakit.org/xforms\" xmlns:orx=\"http://openrosa.org/xforms\" ",
        "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">"
    ));
    let _ = write!(
        out,
        "<h:head><h:title>{}</h:title><model odk:xforms-version=\"1.0.0\"><itext>",
        escape(&form.settings.title)
    );
    for lang in &langs {
        let default = if *lang == default_lang {
            " default=\"true()\""
        } else {
            ""
        };
        let _ = write!(out, "<translation lang=\"{}\"{default}>", escape(lang));
        for (id, text) in &w.itext {
            let value = text
                .1
                .get(lang)
                .cloned()
                .unwrap_or_else(|| form.text_in(text.1, lang));
            let _ = write!(out, "<text id=\"{}\">", escape(id));
            if !value.is_empty() || text.2.is_none() {
                let _ = write!(out, "<value>{}</value>", w.value(&value, &text.0));
            }
            // A picture or sound in this language, else the one given without a language.
            for (kind, files) in text.2.into_iter().flatten() {
                if let Some(file) = files.get(lang).or_else(|| files.get(DEFAULT_LANGUAGE)) {
                    let _ = write!(
                        out,
                        "<value form=\"{}\">{}</value>",
                        escape(kind),
                        escape(&media_src(kind, file))
                    );
                }
            }
            out.push_str("</text>");
        }
        out.push_str("</translation>");
    }
    out.push_str("</itext><instance>");
    out.push_str(&main);
    out.push_str("</instance>");
    out.push_str(&lists);
    out.push_str(&w.binds);
    out.push_str(&w.setvalues);
    out.push_str("</model></h:head><h:body>");
    out.push_str(&w.body);
    out.push_str("</h:body></h:html>\n");
    out
}

/// A text to put in itext: the node its `${…}` references are seen from, the text, and for a
/// label the pictures and sounds beside it (`Field::media`, `Choice::media`).
struct Itext<'a>(Vec<&'a str>, &'a Text, Option<&'a BTreeMap<String, Text>>);

/// Where ODK clients find a label's picture or sound among the form's media.
fn media_src(kind: &str, file: &str) -> String {
    let folder = match kind {
        "audio" => "audio",
        "video" => "video",
        _ => "images",
    };
    format!("jr://{folder}/{file}")
}

struct Writer<'p, 'a> {
    /// Whether the form has its own top-level group `meta`, which then also holds ODK's
    /// `instanceID` (F1 names its identification section so).
    meta_written: bool,
    /// The form's audit, written in `meta` (`audit` in Collect's submissions).
    audit: Option<&'a Field>,
    paths: &'p Paths<'a>,
    itext: BTreeMap<String, Itext<'a>>,
    binds: String,
    setvalues: String,
    body: String,
}

impl<'a> Writer<'_, 'a> {
    fn ctx(&self, context: Vec<&'a str>, in_filter: bool) -> Ctx<'_, 'a> {
        Ctx {
            paths: self.paths,
            context,
            in_filter,
        }
    }

    /// A label or hint with its `${name}` references as `<output value="…"/>`.
    fn value(&self, text: &str, context: &[&'a str]) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let name = &rest[start + 2..start + len];
            out.push_str(&escape(&rest[..start]));
            let target = self.paths.path(name);
            let _ = write!(
                out,
                "<output value=\"{}\"/>",
                escape(&self.paths.reference(context, &target))
            );
            rest = &rest[start + len + 1..];
        }
        out.push_str(&escape(rest));
        out
    }

    /// Label, hint and the label reference for a body control.
    fn labels(&mut self, f: &'a Field, path: &[&'a str]) -> String {
        let id = path.join("/");
        let mut out = String::new();
        if !f.label.is_empty() || !f.media.is_empty() {
            let key = format!("/{id}:label");
            let _ = write!(out, "<label ref=\"jr:itext('{}')\"/>", escape(&key));
            let media = Some(&f.media).filter(|m| !m.is_empty());
            self.itext
                .insert(key, Itext(path.to_vec(), &f.label, media));
        }
        if !f.hint.is_empty() {
            let key = format!("/{id}:hint");
            let _ = write!(out, "<hint ref=\"jr:itext('{}')\"/>", escape(&key));
            self.itext.insert(key, Itext(path.to_vec(), &f.hint, None));
        }
        out
    }

    /// ODK's nodes in `meta`.
    fn meta_nodes(&self) -> String {
        let audit = if self.audit.is_some() { "<audit/>" } else { "" };
        let name = if self.paths.instance_name {
            "<instanceName/>"
        } else {
            ""
        };
        format!("{audit}<instanceID/>{name}")
    }

    fn fields(&mut self, fields: &'a [Field], instance: &mut String) {
        for f in fields {
            self.field(f, instance);
        }
    }

    fn field(&mut self, f: &'a Field, instance: &mut String) {
        if f.kind == Kind::Audit {
            return;
        }
        let path = self.paths.path(&f.name);
        let abs = format!("/{}", path.join("/"));
        let ctx = self.ctx(path.clone(), false);
        let x = |e: &Option<Expression>| e.as_ref().map(|e| ctx.xpath(e.expr()));
        // A `uuid()` is made once, not at every recalculation (pyxform writes the same).
        let calculation = if f.device_call() == Some("uuid") {
            Some("once(uuid())".to_owned())
        } else {
            x(&f.calculation)
        };
        let (relevant, required, constraint, calculate) = (
            x(&f.relevant),
            x(&f.required),
            if f.kind == Kind::Repeat {
                None
            } else {
                x(&f.constraint)
            },
            calculation,
        );
        let preset = f
            .preset
            .as_ref()
            .map(|p| format!("selected-at({}, position(..) - 1)", ctx.xpath(p.expr())));
        let default = f.default.as_deref().filter(|d| !d.is_empty());
        let dynamic_default = default
            .filter(|d| d.contains('(') || d.contains("${"))
            .and_then(|d| Expression::parse(d).ok())
            .map(|e| ctx.xpath(e.expr()));
        let count = f.repeat_count.as_ref().map(|c| match c.expr() {
            Expr::Ref(_) => (None, ctx.xpath(c.expr())),
            other => {
                let name = self.paths.count_nodes[f.name.as_str()].clone();
                let mut node = path.clone();
                node.pop();
                let node_path = format!("/{}/{name}", node.join("/"));
                node.push(&name);
                let calc = self.ctx(node, false).xpath(other);
                (Some((name, node_path.clone(), calc)), node_path)
            }
        });
        drop(ctx);

        // The main instance.
        if let Some((Some((name, node_path, calc)), _)) = &count {
            let _ = write!(instance, "<{name}/>");
            let _ = write!(
                self.binds,
                "<bind nodeset=\"{}\" type=\"string\" readonly=\"true()\" calculate=\"{}\"/>",
                escape(node_path),
                escape(calc)
            );
        }
        match f.kind {
            Kind::Group => {
                let _ = write!(instance, "<{}>", f.local_name());
            }
            Kind::Repeat => {
                let _ = write!(instance, "<{} jr:template=\"\">", f.local_name());
            }
            _ => match default.filter(|_| dynamic_default.is_none()) {
                Some(d) => {
                    let _ = write!(instance, "<{0}>{1}</{0}>", f.local_name(), escape(d));
                }
                None => {
                    let _ = write!(instance, "<{}/>", f.local_name());
                }
            },
        }

        // The bind.
        let mut bind = format!("<bind nodeset=\"{}\"", escape(&abs));
        let ty = match f.kind {
            Kind::Group | Kind::Repeat => None,
            Kind::Integer => Some("int"),
            Kind::Decimal => Some("decimal"),
            Kind::Date | Kind::Today => Some("date"),
            Kind::Time => Some("time"),
            Kind::Start | Kind::End | Kind::DateTime => Some("dateTime"),
            Kind::Barcode => Some("barcode"),
            Kind::Range if f.parameters.as_deref().is_some_and(|p| p.contains('.')) => {
                Some("decimal")
            }
            Kind::Range => Some("int"),
            Kind::Geopoint | Kind::StartGeopoint => Some("geopoint"),
            Kind::Geotrace => Some("geotrace"),
            Kind::Geoshape => Some("geoshape"),
            Kind::Rank => Some("odk:rank"),
            Kind::Image | Kind::Audio | Kind::Video | Kind::File => Some("binary"),
            _ => Some("string"),
        };
        if let Some(ty) = ty {
            let _ = write!(bind, " type=\"{ty}\"");
        }
        let attr = |bind: &mut String, name: &str, v: &Option<String>| {
            if let Some(v) = v {
                let _ = write!(bind, " {name}=\"{}\"", escape(v));
            }
        };
        attr(&mut bind, "relevant", &relevant);
        attr(&mut bind, "required", &required);
        attr(&mut bind, "constraint", &constraint);
        attr(&mut bind, "calculate", &calculate.or(preset.clone()));
        if f.read_only || f.kind == Kind::Note || preset.is_some() {
            bind.push_str(" readonly=\"true()\"");
        }
        match (f.kind, f.max_pixels(), f.parameter("quality")) {
            (Kind::Image, Some(px), _) => {
                let _ = write!(bind, " orx:max-pixels=\"{px}\"");
            }
            (Kind::Audio, _, Some(q)) => {
                let _ = write!(bind, " odk:quality=\"{}\"", escape(q));
            }
            _ => {}
        }
        let id = path.join("/");
        if constraint.is_some() && !f.constraint_message.is_empty() {
            let key = format!("/{id}:constraintMsg");
            let _ = write!(bind, " jr:constraintMsg=\"jr:itext('{}')\"", escape(&key));
            self.itext
                .insert(key, Itext(path.clone(), &f.constraint_message, None));
        }
        if required.is_some() && !f.required_message.is_empty() {
            let key = format!("/{id}:requiredMsg");
            let _ = write!(bind, " jr:requiredMsg=\"jr:itext('{}')\"", escape(&key));
            self.itext
                .insert(key, Itext(path.clone(), &f.required_message, None));
        }
        let preload = match f.kind {
            Kind::Start => Some(("timestamp", "start")),
            Kind::End => Some(("timestamp", "end")),
            Kind::Today => Some(("date", "today")),
            Kind::DeviceId => Some(("property", "deviceid")),
            Kind::Username => Some(("property", "username")),
            Kind::PhoneNumber => Some(("property", "phonenumber")),
            Kind::Email => Some(("property", "email")),
            Kind::SimSerial => Some(("property", "simserial")),
            Kind::SubscriberId => Some(("property", "subscriberid")),
            _ => None,
        };
        if let Some((kind, param)) = preload {
            let _ = write!(bind, " jr:preload=\"{kind}\" jr:preloadParams=\"{param}\"");
        }
        bind.push_str("/>");
        // A group or repeat needs a bind only for its relevance.
        if ty.is_some() || relevant.is_some() {
            self.binds.push_str(&bind);
        }
        // Where the interview was first opened, as pyxform writes it.
        if f.kind == Kind::StartGeopoint {
            let _ = write!(
                self.setvalues,
                "<odk:setgeopoint ref=\"{}\" event=\"odk-instance-first-load\"/>",
                escape(&abs)
            );
        }
        if let Some(v) = dynamic_default {
            let _ = write!(
                self.setvalues,
                "<setvalue event=\"odk-instance-first-load\" ref=\"{}\" value=\"{}\"/>",
                escape(&abs),
                escape(&v)
            );
        }

        // The body (a group's and a repeat's children inside it, and inside its instance node).
        if f.kind.is_metadata() || f.kind == Kind::Calculate {
            return;
        }
        let labels = self.labels(f, &path);
        // A `table-list` group is a `field-list` to ODK clients (as pyxform writes it; its
        // header row for a table layout is not made here).
        let appearance = f
            .appearance
            .as_deref()
            .map(|a| match f.kind {
                Kind::Group => a.replace("table-list", "field-list"),
                _ => a.to_owned(),
            })
            .map(|a| format!(" appearance=\"{}\"", escape(&a)))
            .unwrap_or_default();
        let ref_ = escape(&abs);
        match f.kind {
            Kind::Group => {
                let _ = write!(self.body, "<group ref=\"{ref_}\"{appearance}>{labels}");
                self.fields(&f.children, instance);
                if path == [ROOT, META] {
                    instance.push_str(&self.meta_nodes());
                    self.meta_written = true;
                }
                let _ = write!(instance, "</{}>", f.local_name());
                self.body.push_str("</group>");
            }
            Kind::Repeat => {
                let count = count
                    .map(|(_, c)| format!(" jr:count=\"{}\"", escape(&c)))
                    .unwrap_or_default();
                let _ = write!(
                    self.body,
                    "<group ref=\"{ref_}\">{labels}<repeat nodeset=\"{ref_}\"{count}{appearance}>"
                );
                self.fields(&f.children, instance);
                let _ = write!(instance, "</{}>", f.local_name());
                self.body.push_str("</repeat></group>");
            }
            Kind::SelectOne | Kind::SelectMultiple | Kind::Rank => {
                let tag = match f.kind {
                    Kind::SelectOne => "select1",
                    Kind::SelectMultiple => "select",
                    _ => "odk:rank",
                };
                let list = f.list.as_deref().unwrap_or("");
                // A file's items carry their value and label as columns, not in itext.
                let (list, value, label) = match (
                    file_instance(list),
                    baraza_schema::attachment::file_list(list),
                ) {
                    (Some((id, _)), Some((_, value, label))) => (id, value, label),
                    _ => (list, "name", "jr:itext(itextId)"),
                };
                let filter = f
                    .choice_filter
                    .as_ref()
                    .map(|c| format!("[{}]", self.ctx(path.clone(), true).xpath(c.expr())))
                    .unwrap_or_default();
                let _ = write!(
                    self.body,
                    "<{tag} ref=\"{ref_}\"{appearance}>{labels}<itemset nodeset=\"{}\"><value ref=\"{value}\"/><label ref=\"{label}\"/></itemset></{tag}>",
                    escape(&format!("instance('{list}')/root/item{filter}"))
                );
            }
            Kind::Acknowledge => {
                let _ = write!(
                    self.body,
                    "<trigger ref=\"{ref_}\"{appearance}>{labels}</trigger>"
                );
            }
            Kind::Range => {
                let (start, end, step) = f.range();
                let _ = write!(
                    self.body,
                    "<range ref=\"{ref_}\" start=\"{start}\" end=\"{end}\" step=\"{step}\"{appearance}>{labels}</range>"
                );
            }
            Kind::Image | Kind::Audio | Kind::Video | Kind::File => {
                let _ = write!(
                    self.body,
                    "<upload ref=\"{ref_}\" mediatype=\"{}\"{appearance}>{labels}</upload>",
                    baraza_schema::attachment::media_type(f.kind)
                );
            }
            _ => {
                let _ = write!(
                    self.body,
                    "<input ref=\"{ref_}\"{appearance}>{labels}</input>"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f1() -> String {
        let form = crate::builtin::load("f1_household")
            .expect("built in")
            .expect("reads")
            .form;
        let x = xform(&form);
        assert_eq!(x, xform(&form), "the same form gives the same bytes");
        x
    }

    #[test]
    fn a_reference_in_the_same_repeat_row_is_relative_and_one_outside_every_repeat_is_absolute() {
        let x = f1();
        assert!(x.contains(r#"<bind nodeset="/data/roster/member/m_edu" type="string" relevant="../m_age &gt;= 5"/>"#));
        assert!(x.contains(
            r#"<bind nodeset="/data/svc" relevant="/data/meta/consent = &apos;yes&apos;"/>"#
        ));
        // In a choice filter the row's own answer is seen from the question: current()/…
        assert!(
            x.contains("instance(&apos;ladder&apos;)/root/item[service = current()/../sv_code]")
        );
        // In a label: an output of the referenced node.
        assert!(x.contains(r#"were <output value="/data/wtp/wtp_bill_follow"/>"#));
    }

    #[test]
    fn presets_row_counts_defaults_and_odks_meta_take_their_closest_xform_equivalents() {
        let x = f1();
        // A preset is a read-only calculation of the row's item of the list.
        assert!(x.contains(r#"calculate="selected-at(&apos;water sanitation solid_waste electricity drainage transport&apos;, position(..) - 1)" readonly="true()""#));
        // A constant row count is a calculated node before the repeat, which jr:count names.
        assert!(x.contains("<svc_count/><svc jr:template=\"\">"));
        assert!(x.contains(r#"<repeat nodeset="/data/svc" jr:count="/data/svc_count">"#));
        // A row count that is one question is that question.
        assert!(x.contains(r#"jr:count="/data/roster/hh_size""#));
        // `today()` as a default is set once, when the interview is first opened.
        assert!(x.contains(r#"<setvalue event="odk-instance-first-load" ref="/data/meta/interview_date" value="today()"/>"#));
        // F1's own `meta` group holds ODK's instanceID; there is no second meta.
        assert_eq!(x.matches("<instanceID/>").count(), 1);
        assert!(x.contains("<resp_rel/><instanceID/><instanceName/></meta>"));
        assert!(x.contains(r#"jr:preload="timestamp" jr:preloadParams="start""#));
        // Ranking is ODK's rank widget.
        assert!(x.contains(r#"<odk:rank ref="/data/priorities/concern_rank">"#));
        assert!(x.contains(r#"type="odk:rank""#));
        // The repeat-level rule ("exactly one head") has no XForm form: not emitted.
        assert!(!x.contains("m_is_head) = 1"));
    }
}
