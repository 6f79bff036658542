//! What Baraza's browser apps share, so that each rule exists once: the device's IndexedDB
//! layout ([`device`]), which the enumerator client writes and this phone's figures read, and
//! the one `fetch` wrapper (`fetch`, browser only) the client and the dashboard call the
//! API with.

pub mod device;
#[cfg(target_arch = "wasm32")]
pub mod fetch;
pub mod i18n;
