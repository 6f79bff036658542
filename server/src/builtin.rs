//! The four built-in forms (F1 household, F2 focus group, F3 service actors, F4 municipal
//! stakeholders), kept as XLSForm CSV text in `forms/` and compiled into the binary so that a
//! fresh server can publish them with no files beside it.

use baraza_schema::{Import, Workbook, import};

use crate::workbook::{ReadError, csv_sheet};

/// `(folder name, [(sheet, csv text)])` for each built-in form.
pub const FORMS: &[(&str, [(&str, &str); 3])] = &[
    ("f1_household", sheets!("f1_household")),
    ("f2_focus_group", sheets!("f2_focus_group")),
    ("f3_service_actors", sheets!("f3_service_actors")),
    (
        "f4_municipal_stakeholders",
        sheets!("f4_municipal_stakeholders"),
    ),
];

macro_rules! sheets {
    ($dir:literal) => {
        [
            (
                "survey",
                include_str!(concat!("../../forms/", $dir, "/survey.csv")),
            ),
            (
                "choices",
                include_str!(concat!("../../forms/", $dir, "/choices.csv")),
            ),
            (
                "settings",
                include_str!(concat!("../../forms/", $dir, "/settings.csv")),
            ),
        ]
    };
}
use sheets;

/// Imports one built-in form by folder name.
pub fn load(name: &str) -> Option<Result<Import, ReadError>> {
    let (_, sheets) = FORMS.iter().find(|(n, _)| *n == name)?;
    Some(
        sheets
            .iter()
            .map(|(sheet, text)| csv_sheet(sheet, text))
            .collect::<Result<Vec<_>, _>>()
            .map(|sheets| import(&Workbook { sheets }, name)),
    )
}
