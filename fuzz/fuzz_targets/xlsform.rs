//! XLSForm import: any workbook (survey, choices and settings sheets as CSV text) imports
//! without panicking, every diagnostic says something, and a form without errors serializes
//! canonically, round-trips, and validates, inspects and prunes a response.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| baraza_fuzz::xlsform(data));
