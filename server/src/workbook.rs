//! Reading XLSForm files into cells for `baraza_schema::import`: `.xlsx`/`.xls`/`.ods`
//! workbooks (calamine) and folders with one CSV per sheet (`survey.csv`, `choices.csv`,
//! `settings.csv`), the format the repository keeps its own forms in so that they diff well.

use std::fs;
use std::io::Cursor;
use std::path::Path;

use baraza_schema::date::Date;
use baraza_schema::{Sheet, Workbook};
use calamine::{Data, Reader};

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

/// Reads a workbook file or a folder of CSV sheets. Also returns the name pyxform would fall
/// back on for the form id (the file or folder name without extension).
pub fn read_path(path: &Path) -> Result<(Workbook, String), ReadError> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "form".into());
    if path.is_dir() {
        let mut sheets = Vec::new();
        let entries = fs::read_dir(path)
            .map_err(|e| ReadError(format!("cannot list {}: {e}", path.display())))?;
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
            .collect();
        files.sort();
        for file in files {
            let text = fs::read_to_string(&file)
                .map_err(|e| ReadError(format!("cannot read {}: {e}", file.display())))?;
            let name = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            sheets.push(csv_sheet(&name, &text)?);
        }
        if sheets.is_empty() {
            return Err(ReadError(format!(
                "{} holds no .csv sheets (expected survey.csv, choices.csv, settings.csv)",
                path.display()
            )));
        }
        return Ok((Workbook { sheets }, stem));
    }
    let bytes =
        fs::read(path).map_err(|e| ReadError(format!("cannot read {}: {e}", path.display())))?;
    Ok((read_bytes(&bytes)?, stem))
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

/// Reads `.xlsx`, `.xlsm`, `.xls` or `.ods` bytes (the format is sniffed, not trusted from a
/// file name).
pub fn read_bytes(bytes: &[u8]) -> Result<Workbook, ReadError> {
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
