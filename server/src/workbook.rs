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
