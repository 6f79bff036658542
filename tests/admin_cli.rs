//! The administration commands, run as real processes on a real data folder.

use std::io::Write;
use std::process::{Command, Stdio};

use baraza_server::storage::prelude::*;

use crate::support::{Server, TempDir, baraza_command, repo};

fn baraza(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = baraza_command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("baraza runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("baraza finishes");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `baraza user add` on the data folder `d`, the password on stdin.
fn user_add(d: &str, username: &str, role: &str, password: &str) -> (i32, String, String) {
    baraza(
        &[
            "user",
            "add",
            "--username",
            username,
            "--role",
            role,
            "--password-stdin",
            "--data",
            d,
        ],
        password,
    )
}

#[test]
fn users_settlements_and_forms_are_administered_from_the_command_line() {
    let data = TempDir::new("cli");
    let d = data.0.to_str().expect("utf-8 path");
    let (code, out, err) = user_add(d, "amina", "supervisor", "a-long-password\n");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("added amina (supervisor)"), "{out}");
    let (code, _, err) = user_add(d, "amina", "supervisor", "another-password\n");
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    let (code, _, err) = user_add(d, "bo", "planner", "short\n");
    assert_eq!(code, 1);
    assert!(err.contains("at least 8 characters"), "{err}");

    let frame = data.0.join("frame.csv");
    std::fs::write(
        &frame,
        "code,name,type,households,target\ns01,Kibera East,B,4500,120\ns02,Mathare,B,3600,\n",
    )
    .expect("write");
    let (code, out, err) = baraza(
        &[
            "settlement",
            "import",
            frame.to_str().unwrap_or(""),
            "--data",
            d,
        ],
        "",
    );
    assert_eq!((code, out.trim()), (0, "imported 2 settlement(s)"), "{err}");
    std::fs::write(
        &frame,
        "code,name,type,households\ns03,Ok,A,10\ns04,Bad,A,many\n",
    )
    .expect("write");
    let (code, _, err) = baraza(
        &[
            "settlement",
            "import",
            frame.to_str().unwrap_or(""),
            "--data",
            d,
        ],
        "",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("row 3: households \"many\" is not a whole number"),
        "{err}"
    );
    std::fs::write(
        &frame,
        "code,name,type,households,target\ns05,Neg,A,10,-3\n",
    )
    .expect("write");
    let (code, _, err) = baraza(
        &[
            "settlement",
            "import",
            frame.to_str().unwrap_or(""),
            "--data",
            d,
        ],
        "",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("row 2: settlement s05 has a negative target"),
        "{err}"
    );
    let db = crate::support::open_database(&data);
    let targets: Vec<(String, Option<i64>)> = db
        .settlements()
        .expect("settlements")
        .into_iter()
        .map(|s| (s.code, s.target))
        .collect();
    assert_eq!(
        targets,
        [("s01".to_owned(), Some(120)), ("s02".to_owned(), None)],
        "the optional target column, and nothing of a refused file"
    );

    let f1 = repo().join("forms/f1_household");
    let (code, out, _) = baraza(
        &["form", "publish", f1.to_str().unwrap_or(""), "--data", d],
        "",
    );
    assert_eq!(code, 0);
    assert!(
        out.starts_with("published: baraza_f1_household version 2026120301"),
        "{out}"
    );
    let (_, out, _) = baraza(
        &["form", "publish", f1.to_str().unwrap_or(""), "--data", d],
        "",
    );
    assert!(out.starts_with("already published"), "{out}");

    // The server starts on this folder: the CLI user can log in, and the bad row was not
    // imported (all or nothing).
    let s = Server::start_in(data, &[]);
    let token = s.login("amina", "a-long-password");
    let listed: serde_json::Value = s
        .http
        .get(s.url("/settlements"))
        .bearer_auth(&token)
        .send()
        .expect("get")
        .json()
        .expect("json");
    let codes: Vec<&str> = listed["settlements"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["code"].as_str())
        .collect();
    assert_eq!(codes, ["s01", "s02"]);
}

#[test]
fn the_server_refuses_a_database_newer_than_itself() {
    let data = TempDir::new("newer");
    std::fs::create_dir_all(&data.0).expect("mkdir");
    let db =
        rusqlite::Connection::open(baraza_server::admin::database_path(&data.0)).expect("create");
    db.pragma_update(None, "user_version", 99)
        .expect("set version");
    drop(db);
    let (code, _, err) = baraza(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            data.0.to_str().unwrap_or(""),
        ],
        "",
    );
    assert_eq!(code, 1);
    assert!(err.contains("newer than this server"), "{err}");
}

#[test]
fn the_first_start_prints_a_generated_admin_password_once() {
    let data = TempDir::new("firststart");
    let mut child = baraza_command(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data",
        data.0.to_str().unwrap_or(""),
    ])
    .env_remove("BARAZA_ADMIN_PASSWORD")
    .env("RUST_LOG", "warn")
    .stdout(Stdio::piped())
    .spawn()
    .expect("serve");
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        first.starts_with("created the admin account: username admin, password "),
        "{first}"
    );
    let password = first
        .split("password ")
        .nth(1)
        .and_then(|p| p.split(' ').next())
        .unwrap_or("");
    assert_eq!(password.len(), 20);
    let s = Server::start_in(data, &[]);
    s.login("admin", password);
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let s = Server::start();
    let pid = s.pid();
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    assert_eq!(s.wait_exit(), Some(0), "a clean exit after SIGTERM");
}

#[test]
fn the_demo_refuses_a_data_folder_that_holds_real_accounts_and_changes_nothing() {
    let data = TempDir::new("demo-refused");
    let d = data.0.to_str().expect("utf-8 path");
    let (code, _, err) = user_add(d, "amina", "supervisor", "a-long-password\n");
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = baraza(&["demo", "--data", d, "--listen", "127.0.0.1:0"], "");
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("the demo needs a fresh data folder"),
        "a clear error: {err}"
    );
    let db = crate::support::open_database(&data);
    let admin = baraza_server::storage::Caller {
        user_id: 1,
        username: "admin".into(),
        role: baraza_server::storage::Role::Admin,
        must_change_password: false,
    };
    let responses = db
        .list_responses(&admin, &Default::default())
        .expect("responses");
    let users: Vec<String> = db
        .users()
        .expect("users")
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(responses, [], "nothing was pushed");
    assert!(
        !users.contains(&"planner".to_owned()),
        "no demo accounts: {users:?}"
    );
}

#[test]
fn accounts_are_listed_reset_disabled_re_roled_and_signed_out_from_the_command_line() {
    let data = TempDir::new("cli-accounts");
    let d = data.0.to_str().expect("utf-8 path");
    let (code, _, err) = user_add(d, "admin2", "admin", "admin-password\n");
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = user_add(d, "amina", "enumerator", "amina-password\n");
    assert_eq!(code, 0, "{err}");
    let user = |args: &[&str], stdin: &str| {
        let mut all = vec!["user"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--data", d]);
        baraza(&all, stdin)
    };
    let (code, out, err) = user(&["passwd", "amina"], "a-new-password\n");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("must be changed at the next sign-in"), "{out}");
    let (code, _, err) = user(&["passwd", "amina"], "short\n");
    assert_eq!(code, 1, "a short password is refused");
    assert!(err.contains("at least 8 characters"), "{err}");
    let (code, out, _) = user(&["role", "amina", "supervisor"], "");
    assert_eq!((code, out.trim()), (0, "amina: now supervisor"));
    let (code, out, _) = user(&["disable", "amina"], "");
    assert_eq!(code, 0);
    assert!(out.contains("disabled"), "{out}");
    let (code, out, _) = user(&["list"], "");
    assert_eq!(code, 0);
    let amina = out
        .lines()
        .find(|l| l.contains("\tamina\t"))
        .unwrap_or_default();
    assert!(amina.contains("\tsupervisor\tdisabled"), "{out}");
    let (code, out, _) = user(&["enable", "amina"], "");
    assert_eq!((code, out.trim()), (0, "amina: enabled"));
    let (code, out, _) = user(&["list"], "");
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .any(|l| l.contains("\tamina\tsupervisor\tmust change password")),
        "{out}"
    );
    let (code, out, _) = user(&["sessions-end", "amina"], "");
    assert_eq!((code, out.trim()), (0, "amina: 0 session(s) ended"));
    let (code, _, err) = user(&["disable", "nobody"], "");
    assert_eq!(code, 1);
    assert!(err.contains("not found"), "{err}");
    // The command line keeps one enabled admin too.
    let (code, _, err) = user(&["disable", "admin2"], "");
    assert_eq!(code, 1, "the only admin stays enabled");
    assert!(err.contains("last enabled admin"), "{err}");

    // Each change is in the audit log, by the command line (no user).
    let db = crate::support::open_database(&data);
    let log = db.audit_log(&Default::default(), 100).expect("audit");
    for action in [
        "user.password_reset",
        "user.role",
        "user.disable",
        "user.enable",
        "user.sessions_end",
    ] {
        let entry = log.iter().find(|e| e.action == action);
        assert!(
            entry.is_some_and(|e| e.user_id.is_none() && e.target.starts_with("user:")),
            "{action}: {log:?}"
        );
    }
}
