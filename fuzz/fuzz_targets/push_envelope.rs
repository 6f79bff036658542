//! The push envelope, which is also the format of a device's exported file (`/sync/import`):
//! any bytes either fail to parse or go through the server's pure checks (`wire::check_item`,
//! `wire::parse_payload`), validation against a built-in form, the derived variables and the
//! report contributions without panicking.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| baraza_fuzz::push_envelope(data));
