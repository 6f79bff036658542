//! Loading the demo city (`baraza-demo`) into a fresh database through the real sync path
//! (`Db::push`), as an enrolled demo device would send it.

use baraza_schema::wire::{self, PushRequest};
use baraza_schema::{Date, Form};

pub use baraza_demo::*;

use crate::storage::prelude::*;
use crate::storage::{Db, Role};

/// The built-in forms the city answers, in F1–F4 order.
pub fn forms() -> Result<[Form; 4], String> {
    let load = |name: &str| -> Result<Form, String> {
        let import = crate::builtin::load(name)
            .ok_or_else(|| format!("missing built-in form {name}"))?
            .map_err(|e| e.to_string())?;
        Ok(import.form)
    };
    Ok([
        load("f1_household")?,
        load("f2_focus_group")?,
        load("f3_service_actors")?,
        load("f4_municipal_stakeholders")?,
    ])
}

/// What `load` put in the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    pub stored: usize,
    pub quarantined: usize,
}

/// Fills a fresh database with the demo city: the settlement frame, one account per role
/// with `password` (the supervisor covers every settlement), a device enrolled for the
/// enumerator, and every generated response pushed through `Db::push` in batches.
pub fn load(db: &Db, seed: u64, password: &str, today: Date) -> Result<Loaded, String> {
    let err = |e: crate::storage::StoreError| e.to_string();
    if db.user_count().map_err(err)? > 0 {
        return Err("the demo needs a fresh data folder: this one already has accounts".into());
    }
    crate::admin::bootstrap(db, Some(password.to_owned()))?;
    db.import_settlements(&frame(), None).map_err(err)?;
    let mut enumerator = None;
    for (name, role) in [
        ("supervisor", Role::Supervisor),
        ("planner", Role::Planner),
        ("enumerator", Role::Enumerator),
    ] {
        let user = db.create_user(name, role, password, None).map_err(err)?;
        match role {
            Role::Supervisor => {
                let all: Vec<String> = SITES.iter().map(|s| s.code.to_owned()).collect();
                db.assign_settlements(user.id, &all, None).map_err(err)?;
            }
            Role::Enumerator => enumerator = Some(user.id),
            _ => {}
        }
    }
    let enrolled = db
        .enroll_device(enumerator.ok_or("no enumerator account")?, None)
        .map_err(err)?;
    let device = db.device(&enrolled.device_id).map_err(err)?;
    let forms = forms()?;
    let city = city(seed, &forms, today);
    let mut seq = 0;
    let mut items = Vec::new();
    for (form, responses) in forms.iter().zip([
        &city.households,
        &city.focus_groups,
        &city.actors,
        &city.stakeholders,
    ]) {
        items.extend(push_items(form, responses, &mut seq));
    }
    let mut loaded = Loaded::default();
    for batch in items.chunks(crate::storage::MAX_BATCH_ITEMS) {
        let reply = db
            .push(
                &device,
                &PushRequest {
                    device_id: device.id.clone(),
                    items: batch.to_vec(),
                    username: None,
                    held_from: None,
                },
                today,
            )
            .map_err(err)?;
        for r in &reply.results {
            match r.status {
                wire::ItemStatus::Quarantined => loaded.quarantined += 1,
                wire::ItemStatus::Retry => {
                    return Err(format!("the server asked to retry item {}", r.device_seq));
                }
                _ => loaded.stored += 1,
            }
        }
    }
    // The fieldwork is in: the city-wide reference values can be set (`by=q`, price ratios).
    db.refresh_reference_values(None).map_err(err)?;
    Ok(loaded)
}

/// Whether `load` already filled this database (its planner account exists).
pub fn is_loaded(db: &Db) -> Result<bool, String> {
    let users = db.users().map_err(|e| e.to_string())?;
    if users.is_empty() {
        return Ok(false);
    }
    if users
        .iter()
        .any(|u| u.username == "planner" && u.role == Role::Planner)
    {
        return Ok(true);
    }
    Err("the demo needs a fresh data folder: this one already has other accounts".into())
}
