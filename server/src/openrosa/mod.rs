//! ODK's side of the house: published forms as XForms, and OpenRosa submissions (XML
//! instances) read into Baraza's payload. Pure: no IO here; the endpoints are in
//! `http::openrosa` and the SQL in `storage::openrosa`.

pub mod instance;
pub mod xform;
