//! The raw export: a zip with one CSV per form level (see `baraza_schema::export`), written
//! as it is read, so memory stays flat whatever the number of responses. Each table is one
//! pass over the form's stored heads, all passes in one database snapshot. An admin's export
//! may also carry the files the answers name, under `media/<response id>/<file name>`.

use std::io::Write;
use std::sync::Arc;

use baraza_schema::Form;
use baraza_schema::api::Report;
use baraza_schema::export::{self, Access, MAIN_KEYS, REPEAT_KEYS, Table};
use baraza_schema::reports::SUPPRESSED_MARK;
use serde_json::value::RawValue;
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

use crate::storage::{Caller, ExportEvent, Role, Store, StoreError};

/// Where the CSV writer puts one record before it goes into the zip entry.
#[derive(Clone, Default)]
struct Buffer(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Rows written per table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    pub responses: u64,
    pub rows: u64,
    pub files: u64,
}

fn io(e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("writing the export: {e}"))
}

/// Writes the zip for `form` (the columns of its version; heads of every version) to `out`.
pub fn write_zip<W: Write>(
    db: &dyn Store,
    caller: &Caller,
    form: &Form,
    settlement: Option<&str>,
    media: bool,
    out: W,
) -> Result<Written, StoreError> {
    let access = if caller.role == Role::Admin {
        Access::Full
    } else {
        Access::Reviewer
    };
    let tables = export::tables(form, access);
    let mut zip = ZipWriter::new_stream(out);
    // The fastest deflate level: CSV compresses well even so, and compression is the largest
    // cost of an export after parsing the answers.
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    let buffer = Buffer::default();
    // Flexible: each table has its own number of columns.
    let mut line = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(buffer.clone());
    let mut written = Written::default();
    let mut table: Option<&Table> = None;
    let mut files: Vec<(String, String, String)> = Vec::new();
    let emit = |line: &mut csv::Writer<Buffer>, zip: &mut ZipWriter<_>, fields: &[&str]| {
        line.write_record(fields).map_err(io)?;
        line.flush().map_err(io)?;
        let mut bytes = buffer.0.borrow_mut();
        zip.write_all(&bytes).map_err(io)?;
        bytes.clear();
        Ok::<(), StoreError>(())
    };
    let responses = db.export_heads(
        caller,
        &form.settings.form_id,
        settlement,
        tables.len(),
        media && access == Access::Full,
        &mut |event| {
            match event {
                ExportEvent::File {
                    response_id,
                    name,
                    sha256,
                } => files.push((response_id, name, sha256)),
                ExportEvent::Pass(i) => {
                    let t = &tables[i];
                    zip.start_file(format!("{}.csv", t.name), options)
                        .map_err(io)?;
                    let keys: &[&str] = if i == 0 { &MAIN_KEYS } else { &REPEAT_KEYS };
                    let header: Vec<&str> = keys
                        .iter()
                        .copied()
                        .chain(t.columns.iter().map(String::as_str))
                        .collect();
                    emit(&mut line, &mut zip, &header)?;
                    table = Some(t);
                }
                ExportEvent::Row(row) => {
                    let Some(t) = table else { return Ok(()) };
                    // Only the answers this table needs are parsed: the payload's top level
                    // is split into raw values first (a pass per table parses each payload
                    // once per table otherwise). A payload that is not JSON cannot be
                    // stored; an empty object keeps the row.
                    let top: foldhash::HashMap<&str, &RawValue> =
                        serde_json::from_str(&row.payload).unwrap_or_default();
                    let parse = |name: &str| -> Option<serde_json::Value> {
                        top.get(name)
                            .and_then(|raw| serde_json::from_str(raw.get()).ok())
                    };
                    if t.repeats.is_empty() {
                        let fields: Vec<String> = t
                            .columns
                            .iter()
                            .map(|c| export::cell(parse(c).as_ref()))
                            .collect();
                        let meta = [
                            row.response_id.as_str(),
                            &row.rev,
                            &row.form_version,
                            row.settlement.as_deref().unwrap_or(""),
                            row.review_state.as_str(),
                            &row.received_at,
                        ];
                        let record: Vec<&str> = meta
                            .into_iter()
                            .chain(fields.iter().map(String::as_str))
                            .collect();
                        emit(&mut line, &mut zip, &record)?;
                        written.rows += 1;
                    } else {
                        let mut answers = serde_json::Map::new();
                        if let Some(rows) = t.repeats.first().and_then(|r| parse(r).map(|v| (r, v)))
                        {
                            answers.insert(rows.0.clone(), rows.1);
                        }
                        let answers = serde_json::Value::Object(answers);
                        for (index, parent, fields) in export::repeat_rows(t, &answers) {
                            let record: Vec<&str> = [row.response_id.as_str(), &index, &parent]
                                .into_iter()
                                .chain(fields.iter().map(String::as_str))
                                .collect();
                            emit(&mut line, &mut zip, &record)?;
                            written.rows += 1;
                        }
                    }
                }
            }
            Ok(())
        },
    )?;
    // The files, read part by part after the tables (they are kept once per content and
    // never change). Photos and recordings are compressed already: stored as they are.
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (response_id, name, sha256) in &files {
        zip.start_file(format!("media/{response_id}/{name}"), stored)
            .map_err(io)?;
        let mut failed = None;
        db.read_file(sha256, &mut |part| match zip.write_all(&part) {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        })?;
        if let Some(e) = failed {
            return Err(io(e));
        }
        written.files += 1;
    }
    zip.finish().map_err(io)?.flush().map_err(io)?;
    written.responses = responses;
    Ok(written)
}

/// The form version a raw export is laid out by: the newest published version of `form_id`
/// (the manifest lists versions in the order they were published). Responses to older
/// versions are exported under its columns.
pub fn form_to_export(db: &dyn Store, form_id: &str) -> Result<Arc<Form>, StoreError> {
    let version = db
        .forms()?
        .into_iter()
        .rfind(|f| f.form_id == form_id)
        .ok_or_else(|| StoreError::NotFound(format!("form {form_id}")))?
        .version;
    db.form_for_validation(form_id, &version)?
        .map(|(form, _)| form)
        .ok_or_else(|| StoreError::NotFound(format!("form {form_id}@{version}")))
}

/// A report as CSV (`GET /reports/{id}.csv`): one row per cell, every figure as the API gives
/// it. A suppressed figure and a withheld base read `*` (the mark of
/// `schema::reports`); an empty field is a figure the measure does not have.
pub fn report_csv(report: &Report) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fmt = |v: Option<f64>, suppressed: bool| match v {
        Some(x) => x.to_string(),
        None if suppressed => SUPPRESSED_MARK.into(),
        None => String::new(),
    };
    // Words come from forms and the frame that admins write: neutralised like answers.
    let label =
        |code: &str| export::text_cell(report.labels.get(code).map_or(code, String::as_str));
    w.write_record([
        "report",
        "by",
        "level",
        "level_label",
        "item",
        "item_label",
        "measure",
        "estimate",
        "low",
        "high",
        "ci_low",
        "ci_high",
        "first_share",
        "top3_share",
        "persons",
        "n",
        "reliability",
        "shown_for",
    ])?;
    for c in &report.cells {
        let reliability = serde_json::to_value(c.reliability)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        w.write_record([
            report.id.as_str(),
            &c.by,
            &c.level,
            &label(&c.level),
            &c.item,
            &label(&c.item),
            &c.measure,
            &fmt(c.estimate, c.suppressed),
            &fmt(c.low, c.suppressed),
            &fmt(c.high, c.suppressed),
            &fmt(c.ci_low, c.suppressed),
            &fmt(c.ci_high, c.suppressed),
            &fmt(c.first_share, c.suppressed),
            &fmt(c.top3_share, c.suppressed),
            &fmt(c.persons, c.suppressed),
            &c.base(),
            &reliability,
            report.shown_for.as_deref().unwrap_or(""),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}
