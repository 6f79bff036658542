fn main() {
    let db = baraza_server::admin::open(std::path::Path::new("/tmp/pd")).unwrap();
    let caller = baraza_server::storage::Caller {
        user_id: 1,
        username: "admin".into(),
        role: baraza_server::storage::Role::Admin,
    };
    let version = db
        .forms()
        .unwrap()
        .into_iter()
        .rfind(|f| f.form_id == "baraza_f1_household")
        .unwrap()
        .version;
    let (form, _) = db
        .form_for_validation("baraza_f1_household", &version)
        .unwrap()
        .unwrap();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let mut n = 0;
        db.export_heads(&caller, "baraza_f1_household", None, 3, |_| {
            n += 1;
            Ok(())
        })
        .unwrap();
        println!("heads only {:?} {n}", t.elapsed());
        let t = std::time::Instant::now();
        let w =
            baraza_server::export::write_zip(&db, &caller, &form, None, std::io::sink()).unwrap();
        println!("zip {:?} {:?}", t.elapsed(), w);
    }
}
