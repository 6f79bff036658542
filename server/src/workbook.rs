//! Reading XLSForm files into cells for `baraza_schema::import`: `.xlsx`/`.xls`/`.ods`
//! workbooks (calamine) and folders with one CSV per sheet (`survey.csv`, `choices.csv`,
//! `settings.csv`), the format the repository keeps its own forms in so that they diff well.

use std::fs;
use std::io::Cursor;
use std::path::Path;

use baraza_schema::date::Date;
use baraza_schema::{Sheet, Workbook};
use calamine::{Data, Reader};
use sha2::Digest;

/// Why a file could not be read as a workbook at all (as opposed to a workbook with problems,
/// which `import` reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError(pub String);

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReadError {}

/// Reads a workbook file or a folder of CSV sheets (`read_form_path`, without the form's
/// files). Also returns the name pyxform would fall back on for the form id (the file or
/// folder name without extension).
pub fn read_path(path: &Path) -> Result<(Workbook, String), ReadError> {
    read_form_path(path).map(|upload| (upload.workbook, upload.stem))
}

/// A form as uploaded: its workbook and the files beside it (XLSForm's media).
#[derive(Debug, Clone, Default)]
pub struct FormUpload {
    pub workbook: Workbook,
    /// The name pyxform would fall back on for the form id.
    pub stem: String,
    /// The files by name, as uploaded.
    pub files: Vec<(String, Vec<u8>)>,
}

impl FormUpload {
    /// The form and every diagnostic, the files read as the import needs them: each named by
    /// its sha256, a CSV or XML file with its rows. A file that is neither is carried as it is
    /// (an image in a label); a CSV or XML file that cannot be read is refused.
    pub fn import(&self) -> Result<baraza_schema::Import, ReadError> {
        let mut attached = Vec::new();
        for (name, bytes) in &self.files {
            let lower = name.to_lowercase();
            let table = if lower.ends_with(".csv") {
                Some(csv_file(name, name, bytes)?)
            } else if lower.ends_with(".xml") {
                Some(xml_items(name, bytes)?)
            } else {
                None
            };
            attached.push(baraza_schema::Attached {
                name: name.clone(),
                sha256: baraza_schema::hex(&sha2::Sha256::digest(bytes)),
                table,
            });
        }
        Ok(baraza_schema::import_with_files(
            &self.workbook,
            &self.stem,
            &attached,
        ))
    }
}

/// ODK's XML list (`<root><item><name>…</name><label>…</label>…</item>…</root>`) as rows:
/// a header of every child element's name, in order of first appearance.
fn xml_items(name: &str, bytes: &[u8]) -> Result<Sheet, ReadError> {
    let bad =
        |e: &dyn std::fmt::Display| ReadError(format!("{name} is not an XML list of items: {e}"));
    let text = std::str::from_utf8(bytes).map_err(|e| bad(&e))?;
    let doc = roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: MAX_CELLS as u32,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .map_err(|e| bad(&e))?;
    let mut header: Vec<String> = Vec::new();
    let mut items = Vec::new();
    for item in doc
        .root_element()
        .children()
        .filter(roxmltree::Node::is_element)
    {
        let mut cells = Vec::new();
        for cell in item.children().filter(roxmltree::Node::is_element) {
            let column = cell.tag_name().name().to_owned();
            let at = header.iter().position(|h| *h == column).unwrap_or_else(|| {
                header.push(column);
                header.len() - 1
            });
            cells.push((at, cell.text().unwrap_or_default().trim().to_owned()));
        }
        items.push(cells);
    }
    let mut rows = vec![header.clone()];
    for cells in items {
        let mut row = vec![String::new(); header.len()];
        for (at, text) in cells {
            row[at] = text;
        }
        rows.push(trimmed(row));
    }
    Ok(Sheet {
        name: name.to_owned(),
        rows,
    })
}

/// Reads an upload: a workbook, or a `.zip` of a workbook (or of `survey.csv`,
/// `choices.csv`, `settings.csv`) and the files the form uses. Folders inside the zip are
/// ignored (ODK's media names are plain names), as are the Mac's `__MACOSX` and hidden
/// files.
pub fn read_upload(bytes: &[u8], stem: &str) -> Result<FormUpload, ReadError> {
    if !bytes.starts_with(b"PK\x03\x04") || !is_bundle(bytes)? {
        return Ok(FormUpload {
            workbook: read_bytes(bytes)?,
            stem: stem.to_owned(),
            files: Vec::new(),
        });
    }
    check_unpacked_size(bytes)?;
    let unreadable = |e: &dyn std::fmt::Display| ReadError(format!("not a readable .zip: {e}"));
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| unreadable(&e))?;
        let path = entry.name().map_err(|e| unreadable(&e))?.into_owned();
        let name = path.rsplit('/').next().unwrap_or_default().to_owned();
        if entry.is_dir()
            || name.is_empty()
            || name.starts_with('.')
            || path.starts_with("__MACOSX/")
        {
            continue;
        }
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).map_err(|e| unreadable(&e))?;
        if entries.iter().any(|(n, _)| *n == name) {
            return Err(ReadError(format!(
                "the .zip holds two files named {name}: a form's files need names of their own"
            )));
        }
        entries.push((name, content));
    }
    read_files(entries, stem)
}

/// Whether a zip is a bundle of a form's files rather than a workbook itself (an `.xlsx` or
/// an `.ods` is a zip too).
fn is_bundle(bytes: &[u8]) -> Result<bool, ReadError> {
    let archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ReadError(format!("not a readable spreadsheet or .zip: {e}")))?;
    Ok(!archive
        .file_names()
        .filter_map(Result::ok)
        .any(|n| n == "[Content_Types].xml" || n == "mimetype"))
}

/// The sheet files of a folder or zip in CSV form.
const CSV_SHEETS: [&str; 3] = ["survey.csv", "choices.csv", "settings.csv"];

/// A form from a folder's (or a zip's) files: one workbook, or the CSV sheets, and the rest
/// as the form's files.
pub fn read_files(entries: Vec<(String, Vec<u8>)>, stem: &str) -> Result<FormUpload, ReadError> {
    let is_workbook = |n: &str| {
        let n = n.to_lowercase();
        [".xlsx", ".xlsm", ".xls", ".ods"]
            .iter()
            .any(|x| n.ends_with(x))
    };
    let books: Vec<&(String, Vec<u8>)> = entries.iter().filter(|(n, _)| is_workbook(n)).collect();
    let (workbook, stem, sheets): (Workbook, String, Vec<String>) = match books.as_slice() {
        [(name, bytes)] => (
            read_bytes(bytes)?,
            name.rsplit_once('.')
                .map_or(name.as_str(), |(s, _)| s)
                .to_owned(),
            vec![name.clone()],
        ),
        [] if entries
            .iter()
            .any(|(n, _)| CSV_SHEETS.iter().any(|s| n.eq_ignore_ascii_case(s))) =>
        {
            let mut sheets = Vec::new();
            for (name, bytes) in &entries {
                if let Some(sheet) = CSV_SHEETS.iter().find(|s| name.eq_ignore_ascii_case(s)) {
                    sheets.push(csv_file(&sheet[..sheet.len() - 4], name, bytes)?);
                }
            }
            let names = CSV_SHEETS.iter().map(|s| (*s).to_owned()).collect();
            (Workbook { sheets }, stem.to_owned(), names)
        }
        [] => {
            return Err(ReadError(
                "the upload holds no workbook (.xlsx, .xls, .ods) and no survey.csv".into(),
            ));
        }
        _ => {
            let names: Vec<&str> = books.iter().map(|(n, _)| n.as_str()).collect();
            return Err(ReadError(format!(
                "the upload holds more than one workbook ({}): one form at a time",
                names.join(", ")
            )));
        }
    };
    let files = entries
        .into_iter()
        .filter(|(n, _)| !sheets.iter().any(|s| n.eq_ignore_ascii_case(s)))
        .collect();
    Ok(FormUpload {
        workbook,
        stem,
        files,
    })
}

/// Reads a form from a path: a workbook or `.zip` file, or a folder holding a workbook or
/// CSV sheets and the files the form uses (directly, or in a `media/` folder inside it).
pub fn read_form_path(path: &Path) -> Result<FormUpload, ReadError> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "form".into());
    if !path.is_dir() {
        let bytes = fs::read(path)
            .map_err(|e| ReadError(format!("cannot read {}: {e}", path.display())))?;
        return read_upload(&bytes, &stem);
    }
    let mut entries = Vec::new();
    for dir in [path.to_path_buf(), path.join("media")] {
        let Ok(listing) = fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = listing
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for file in files {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.') {
                continue;
            }
            let bytes = fs::read(&file)
                .map_err(|e| ReadError(format!("cannot read {}: {e}", file.display())))?;
            entries.push((name, bytes));
        }
    }
    read_files(entries, &stem)
}

/// A CSV file's bytes (UTF-8, a byte-order mark dropped) as the sheet `sheet`.
fn csv_file(sheet: &str, file: &str, bytes: &[u8]) -> Result<Sheet, ReadError> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| ReadError(format!("{file} is not UTF-8 text")))?;
    csv_sheet(sheet, text.trim_start_matches('\u{feff}'))
}

/// One CSV text as a sheet.
pub fn csv_sheet(name: &str, text: &str) -> Result<Sheet, ReadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| ReadError(format!("{name}.csv row {}: {e}", i + 1)))?;
        rows.push(trimmed(
            record.iter().map(|c| c.trim().to_owned()).collect(),
        ));
    }
    Ok(Sheet {
        name: name.to_owned(),
        rows,
    })
}

/// Drops trailing empty cells, which workbooks often claim by the thousand.
fn trimmed(mut row: Vec<String>) -> Vec<String> {
    while row.last().is_some_and(String::is_empty) {
        row.pop();
    }
    row
}

/// What a workbook may unpack to: far beyond any form (the largest real XLSForms are a few
/// MB unpacked, with a few thousand rows and a hundred columns), far below what would hurt a
/// small server. A zip bomb or a sheet whose cells sit a million columns apart is refused
/// with a sentence before it costs memory.
const MAX_UNPACKED_BYTES: u64 = 64 << 20;
const MAX_ROWS: u32 = 100_000;
const MAX_COLUMNS: u32 = 1_000;
const MAX_CELLS: usize = 2_000_000;

/// Reads `.xlsx`, `.xlsm`, `.xls` or `.ods` bytes (the format is sniffed, not trusted from a
/// file name), within the limits above.
pub fn read_bytes(bytes: &[u8]) -> Result<Workbook, ReadError> {
    let zipped = bytes.starts_with(b"PK\x03\x04");
    if zipped {
        check_unpacked_size(bytes)?;
    }
    if zipped && let Ok(book) = calamine::Xlsx::new(Cursor::new(bytes)) {
        return read_xlsx(book);
    }
    if zipped && let Some(content) = ods_content(bytes)? {
        return read_ods(&content);
    }
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        ReadError(format!(
            "not a readable spreadsheet (xlsx, xls or ods): {e}"
        ))
    })?;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| ReadError(format!("sheet {name:?} cannot be read: {e}")))?;
        let (row0, col0) = range
            .start()
            .map_or((0, 0), |(r, c)| (r as usize, c as usize));
        let mut rows: Vec<Vec<String>> = vec![Vec::new(); row0];
        for r in range.rows() {
            let mut cells = vec![String::new(); col0];
            cells.extend(r.iter().map(cell_text));
            rows.push(trimmed(cells));
        }
        while rows.last().is_some_and(Vec::is_empty) {
            rows.pop();
        }
        sheets.push(Sheet { name, rows });
    }
    Ok(Workbook { sheets })
}

/// Unpacks every entry of a zip (xlsx, ods) without keeping it, and refuses the archive once
/// the total passes `MAX_UNPACKED_BYTES`: the sizes an archive declares are not trusted.
fn check_unpacked_size(bytes: &[u8]) -> Result<(), ReadError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ReadError(format!("not a readable spreadsheet: {e}")))?;
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| ReadError(format!("not a readable spreadsheet: {e}")))?;
        let left = MAX_UNPACKED_BYTES - total;
        let n = std::io::copy(
            &mut std::io::Read::take(entry, left + 1),
            &mut std::io::sink(),
        )
        .map_err(|e| ReadError(format!("not a readable spreadsheet: {e}")))?;
        total += n;
        if total > MAX_UNPACKED_BYTES {
            return Err(ReadError(format!(
                "the workbook unpacks to more than {} MB, far more than any form: refused",
                MAX_UNPACKED_BYTES >> 20
            )));
        }
    }
    Ok(())
}

/// An xlsx read cell by cell (calamine's whole-sheet range would allocate every cell between
/// the first and the last, however far apart), each checked against the limits.
fn read_xlsx(mut book: calamine::Xlsx<Cursor<&[u8]>>) -> Result<Workbook, ReadError> {
    let mut sheets = Vec::new();
    let mut cells_read = 0usize;
    for name in book.sheet_names() {
        let mut reader = match book.worksheet_cells_reader(&name) {
            Ok(reader) => reader,
            // A chart sheet or the like: no cells.
            Err(calamine::XlsxError::NotAWorksheet(_)) => continue,
            Err(e) => return Err(ReadError(format!("sheet {name:?} cannot be read: {e}"))),
        };
        let mut rows: Vec<Vec<String>> = Vec::new();
        while let Some(cell) = reader
            .next_cell()
            .map_err(|e| ReadError(format!("sheet {name:?} cannot be read: {e}")))?
        {
            let (r, c) = cell.get_position();
            let text = cell_text(&Data::from(cell.get_value().clone()));
            if text.is_empty() {
                continue;
            }
            if r >= MAX_ROWS || c >= MAX_COLUMNS {
                return Err(ReadError(format!(
                    "sheet {name:?}: a cell at row {}, column {} is beyond what a form can use \
                     ({MAX_ROWS} rows, {MAX_COLUMNS} columns)",
                    r + 1,
                    c + 1
                )));
            }
            cells_read += 1;
            if cells_read > MAX_CELLS {
                return Err(ReadError(format!(
                    "the workbook has more than {MAX_CELLS} cells, far more than any form: refused"
                )));
            }
            let (r, c) = (r as usize, c as usize);
            if rows.len() <= r {
                rows.resize(r + 1, Vec::new());
            }
            let row = &mut rows[r];
            if row.len() <= c {
                row.resize(c + 1, String::new());
            }
            row[c] = text;
        }
        sheets.push(Sheet { name, rows });
    }
    Ok(Workbook { sheets })
}

/// An OpenDocument spreadsheet's `content.xml`, when the zip is one (its `mimetype` says so).
fn ods_content(bytes: &[u8]) -> Result<Option<String>, ReadError> {
    let unreadable =
        |e: &dyn std::fmt::Display| ReadError(format!("not a readable spreadsheet: {e}"));
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let mut text = |name: &str| -> Result<Option<String>, ReadError> {
        let Ok(mut entry) = archive.by_name(name) else {
            return Ok(None);
        };
        let mut out = String::new();
        std::io::Read::read_to_string(&mut entry, &mut out).map_err(|e| unreadable(&e))?;
        Ok(Some(out))
    };
    match text("mimetype")? {
        Some(m) if m.trim() == "application/vnd.oasis.opendocument.spreadsheet" => {
            text("content.xml")
        }
        _ => Ok(None),
    }
}

/// XML nodes read from an `.ods` sheet's content at most: far more than a form's (a
/// 2,000-question survey is about 200,000), and a bound on the tree's memory.
const MAX_ODS_NODES: u32 = 1_000_000;

/// An `.ods` read cell by cell, as an xlsx is: rows and cells that repeat (`number-rows-
/// repeated`, `number-columns-repeated` — how OpenDocument writes the empty rest of a sheet)
/// only move the position, and a cell with text beyond the limits is refused. calamine would
/// make one range of every repeated cell up to Excel's 1,048,576 × 16,384.
fn read_ods(content: &str) -> Result<Workbook, ReadError> {
    const TABLE: &str = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
    const OFFICE: &str = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
    let doc = roxmltree::Document::parse_with_options(
        content,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: MAX_ODS_NODES,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .map_err(|e| ReadError(format!("the spreadsheet's content cannot be read: {e}")))?;
    let repeat = |n: roxmltree::Node, what: &str| -> u32 {
        n.attribute((TABLE, what))
            .and_then(|v| v.parse().ok())
            .unwrap_or(1)
            .max(1)
    };
    let mut sheets = Vec::new();
    let mut cells_read = 0usize;
    for table in doc
        .descendants()
        .filter(|n| n.has_tag_name((TABLE, "table")))
    {
        let name = table
            .attribute((TABLE, "name"))
            .unwrap_or_default()
            .to_owned();
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut r: u32 = 0;
        // Rows sit in the table or in its header-rows, row-group and rows elements.
        let row_elements = table.descendants().filter(|n| {
            n.has_tag_name((TABLE, "table-row"))
                && n.ancestors()
                    .skip(1)
                    .find(|a| a.has_tag_name((TABLE, "table")))
                    == Some(table)
        });
        for row in row_elements {
            let times = repeat(row, "number-rows-repeated");
            let mut texts: Vec<(u32, String)> = Vec::new();
            let mut c: u32 = 0;
            for cell in row.children().filter(|n| {
                n.has_tag_name((TABLE, "table-cell"))
                    || n.has_tag_name((TABLE, "covered-table-cell"))
            }) {
                let across = repeat(cell, "number-columns-repeated");
                let text = ods_cell_text(cell, OFFICE);
                if !text.is_empty() {
                    for k in 0..across {
                        texts.push((c.saturating_add(k), text.clone()));
                        if texts.len() > MAX_COLUMNS as usize {
                            break;
                        }
                    }
                }
                c = c.saturating_add(across);
            }
            if !texts.is_empty() {
                for k in 0..times {
                    let at = r.saturating_add(k);
                    for (col, text) in &texts {
                        if at >= MAX_ROWS || *col >= MAX_COLUMNS {
                            return Err(ReadError(format!(
                                "sheet {name:?}: a cell at row {}, column {} is beyond what a form can use \
                                 ({MAX_ROWS} rows, {MAX_COLUMNS} columns)",
                                u64::from(at) + 1,
                                u64::from(*col) + 1
                            )));
                        }
                        cells_read += 1;
                        if cells_read > MAX_CELLS {
                            return Err(ReadError(format!(
                                "the workbook has more than {MAX_CELLS} cells, far more than any form: refused"
                            )));
                        }
                        let (ri, ci) = (at as usize, *col as usize);
                        if rows.len() <= ri {
                            rows.resize(ri + 1, Vec::new());
                        }
                        if rows[ri].len() <= ci {
                            rows[ri].resize(ci + 1, String::new());
                        }
                        rows[ri][ci] = text.clone();
                    }
                }
            }
            r = r.saturating_add(times);
        }
        sheets.push(Sheet { name, rows });
    }
    Ok(Workbook { sheets })
}

/// One `.ods` cell as text, as the spreadsheet shows it (the same reading as an xlsx cell's:
/// whole numbers without a fraction, booleans as TRUE/FALSE, dates as ISO).
fn ods_cell_text(cell: roxmltree::Node, office: &str) -> String {
    let value = |k: &str| cell.attribute((office, k));
    match value("value-type") {
        Some("float" | "percentage" | "currency") => value("value")
            .and_then(|v| v.parse::<f64>().ok())
            .map(|f| cell_text(&Data::Float(f)))
            .unwrap_or_default(),
        Some("boolean") => cell_text(&Data::Bool(value("boolean-value") == Some("true"))),
        Some("date") => value("date-value").unwrap_or_default().to_owned(),
        Some("time") => value("time-value").unwrap_or_default().to_owned(),
        _ => {
            const TEXT: &str = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
            let mut out = String::new();
            for (i, p) in cell
                .children()
                .filter(|n| n.has_tag_name((TEXT, "p")))
                .enumerate()
            {
                if i > 0 {
                    out.push('\n');
                }
                for n in p.descendants() {
                    if n.is_text() {
                        out.push_str(n.text().unwrap_or_default());
                    } else if n.has_tag_name((TEXT, "s")) {
                        let count = n
                            .attribute((TEXT, "c"))
                            .and_then(|c| c.parse().ok())
                            .unwrap_or(1usize);
                        out.extend(std::iter::repeat_n(' ', count.min(1000)));
                    } else if n.has_tag_name((TEXT, "tab")) {
                        out.push('\t');
                    } else if n.has_tag_name((TEXT, "line-break")) {
                        out.push('\n');
                    }
                }
            }
            out.trim().to_owned()
        }
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        // As the spreadsheet shows them (a field may be named FALSE).
        Data::Bool(b) => {
            if *b {
                "TRUE".into()
            } else {
                "FALSE".into()
            }
        }
        // Whole numbers (a version like 2024032701) print without a fraction.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::DateTime(dt) => {
            // Excel serial days count from 1899-12-30.
            let serial = dt.as_f64();
            let day = Date::from_days(serial.floor() as i64 - 25_569);
            if serial.fract() == 0.0 {
                day.to_string()
            } else {
                format!("{day} {}", seconds_text(serial.fract()))
            }
        }
        other => other.to_string().trim().to_owned(),
    }
}

fn seconds_text(fraction: f64) -> String {
    let secs = (fraction * 86_400.0).round() as i64;
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">
<office:body><office:spreadsheet>"#;

    /// An `.ods` file as LibreOffice writes one: the mimetype first, then `content.xml`.
    fn ods(tables: &str) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let write = |zip: &mut zip::ZipWriter<_>, name: &str, text: &str| {
            zip.start_file(name, stored).expect("entry");
            zip.write_all(text.as_bytes()).expect("write");
        };
        write(
            &mut zip,
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet",
        );
        write(
            &mut zip,
            "META-INF/manifest.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#,
        );
        write(
            &mut zip,
            "content.xml",
            &format!("{HEAD}{tables}</office:spreadsheet></office:body></office:document-content>"),
        );
        zip.finish().expect("zip");
        out.into_inner()
    }

    /// A survey sheet, then the empty rest of the sheet as LibreOffice writes it: one row
    /// repeated to the last row, one cell repeated to the last column.
    const SURVEY: &str = r#"<table:table table:name="survey">
<table:table-column table:number-columns-repeated="3"/>
<table:table-header-rows><table:table-row>
  <table:table-cell office:value-type="string"><text:p>type</text:p></table:table-cell>
  <table:table-cell office:value-type="string"><text:p>name</text:p></table:table-cell>
  <table:table-cell office:value-type="string"><text:p>label</text:p></table:table-cell>
  <table:table-cell table:number-columns-repeated="16381"/>
</table:table-row></table:table-header-rows>
<table:table-row>
  <table:table-cell office:value-type="string"><text:p>integer</text:p></table:table-cell>
  <table:table-cell office:value-type="string"><text:p>age</text:p></table:table-cell>
  <table:table-cell office:value-type="string"><text:p>Age<text:s text:c="2"/>in <text:span>years</text:span></text:p><text:p>(completed)</text:p></table:table-cell>
</table:table-row>
<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>
<table:table-row>
  <table:table-cell table:number-columns-repeated="2"/>
  <table:table-cell office:value-type="float" office:value="2024032701"/>
  <table:table-cell office:value-type="boolean" office:boolean-value="false"/>
</table:table-row>
<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>
</table:table>"#;

    #[test]
    fn an_ods_sheet_is_read_cell_by_cell_past_its_repeated_empty_rest() {
        let book = read_bytes(&ods(SURVEY)).expect("reads");
        assert_eq!(book.sheets.len(), 1);
        let rows = &book.sheets[0].rows;
        assert_eq!(rows.len(), 5, "{rows:?}");
        assert_eq!(rows[0], ["type", "name", "label"]);
        assert_eq!(rows[1], ["integer", "age", "Age  in years\n(completed)"]);
        assert!(rows[2].is_empty() && rows[3].is_empty());
        assert_eq!(rows[4], ["", "", "2024032701", "FALSE"]);
    }

    #[test]
    fn an_ods_cell_beyond_what_a_form_can_use_is_refused_with_a_sentence() {
        let far = SURVEY.replace(
            r#"<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#,
            r#"<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>
               <table:table-row><table:table-cell office:value-type="string"><text:p>far</text:p></table:table-cell></table:table-row>"#,
        );
        let err = read_bytes(&ods(&far)).expect_err("refused");
        assert!(err.0.contains("beyond what a form can use"), "{err}");
        // A text repeated across every column is refused too, before it is copied 16,384 times.
        let wide = SURVEY.replace(
            r#"<table:table-cell table:number-columns-repeated="16381"/>"#,
            r#"<table:table-cell office:value-type="string" table:number-columns-repeated="16381"><text:p>x</text:p></table:table-cell>"#,
        );
        let err = read_bytes(&ods(&wide)).expect_err("refused");
        assert!(err.0.contains("beyond what a form can use"), "{err}");
        // An entity bomb in content.xml: no DTD is read.
        let dtd = format!(
            "<!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>{SURVEY}"
        );
        assert!(read_ods(&dtd).is_err());
    }

    #[test]
    fn an_ods_reads_the_same_as_calamine_reads_it_where_calamine_can() {
        // Without the repeated rest, calamine's one range is small: both readings agree.
        let small = SURVEY.replace(
            r#"<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#,
            "",
        ).replace(r#"<table:table-cell table:number-columns-repeated="16381"/>"#, "")
         .replace(r#"<table:table-cell table:number-columns-repeated="16384"/>"#, "<table:table-cell/>");
        // (calamine reads only what LibreOffice writes: no white space between elements.)
        let small: String = small.lines().map(str::trim).collect();
        let bytes = ods(&small);
        let ours = read_bytes(&bytes).expect("reads");
        let mut book: calamine::Ods<_> =
            calamine::Reader::new(Cursor::new(&bytes[..])).expect("calamine reads it");
        let range = book.worksheet_range("survey").expect("sheet");
        let theirs: Vec<Vec<String>> = range
            .rows()
            .map(|r| trimmed(r.iter().map(cell_text).collect()))
            .collect();
        assert_eq!(ours.sheets[0].rows, theirs);
    }
}
