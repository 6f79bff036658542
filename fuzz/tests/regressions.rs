//! Every input a fuzzer ever found a fault with is kept in `regressions/<target>/` and runs
//! here through the target's own check, so a fixed fault stays fixed.

use std::path::Path;

fn each_input(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("the regressions folder") {
        let path = entry.expect("entry").path();
        let data = std::fs::read(&path).expect("a regression input");
        eprintln!("{target}: {}", path.display());
        check(&data);
        n += 1;
    }
    // An emptied or misnamed folder would make this test pass while checking nothing.
    assert!(n > 0, "{} holds no regression input", dir.display());
    n
}

#[test]
fn inputs_that_once_broke_the_expression_engine_are_handled() {
    each_input("expression", baraza_fuzz::expression);
}

#[test]
fn inputs_that_once_broke_xlsform_import_are_handled() {
    each_input("xlsform", baraza_fuzz::xlsform);
}

#[test]
fn inputs_that_once_broke_the_push_envelope_checks_are_handled() {
    each_input("push_envelope", baraza_fuzz::push_envelope);
}

#[test]
fn the_built_in_forms_in_the_fuzz_input_format_import_without_errors() {
    for text in baraza_fuzz::BUILTIN {
        let wb = baraza_fuzz::workbook(text.as_bytes()).expect("the csv reads");
        let result = baraza_schema::import(&wb, "builtin");
        assert!(!result.has_errors(), "{:?}", result.diagnostics);
        baraza_fuzz::xlsform(text.as_bytes());
    }
}
