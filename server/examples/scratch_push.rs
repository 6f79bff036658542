use baraza_server::{admin, demo};
fn main() {
    let dir = std::path::PathBuf::from("/tmp/scratch-push");
    let _ = std::fs::remove_dir_all(&dir);
    let db = admin::open(&dir).unwrap();
    admin::bootstrap(&db, Some("password-123".into())).unwrap();
    db.import_settlements(
        &admin::parse_settlements(admin::DEMO_SETTLEMENTS).unwrap(),
        None,
    )
    .unwrap();
    let user = db
        .create_user(
            "e",
            baraza_server::storage::Role::Enumerator,
            "password-123",
            None,
        )
        .unwrap();
    let enrolled = db.enroll_device(user.id).unwrap();
    let device = db.device(&enrolled.device_id).unwrap();
    let forms = demo::forms().unwrap();
    let today = baraza_server::storage::today();
    let city = demo::city(1, &forms, today);
    let mut seq = 0;
    let items = demo::push_items(&forms[0], &city.households, &mut seq);
    let t = std::time::Instant::now();
    let v = std::time::Instant::now();
    let mut valid = 0;
    for i in &items {
        let a: serde_json::Value = serde_json::from_str(&i.payload).unwrap();
        valid += baraza_schema::validate(&forms[0], &a, today).len();
    }
    println!("validate only {:?} ({valid} issues)", v.elapsed());
    let t0 = std::time::Instant::now();
    for chunk in items.chunks(50) {
        db.push(
            &device,
            &baraza_schema::wire::PushRequest {
                device_id: device.id.clone(),
                items: chunk.to_vec(),
            },
            today,
        )
        .unwrap();
    }
    println!(
        "push {} in {:?} ({:.0}/s)",
        items.len(),
        t0.elapsed(),
        items.len() as f64 / t0.elapsed().as_secs_f64()
    );
    let _ = t;
}
