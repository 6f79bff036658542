//! Helpers shared by the end-to-end tests.

pub use baraza_server::pg_cluster::PgCluster;
use std::path::PathBuf;

/// A test's deadline: `d` times `BARAZA_TEST_DEADLINES` (1 when unset). Every deadline in the
/// end-to-end tests (HTTP timeouts, waits for something to happen, the browser scripts'
/// timeouts through `common.mjs`) goes through it, so `BARAZA_TEST_DEADLINES=0.33 ./dev test`
/// checks that each holds with a margin of three on a loaded machine. Deadlines bound hangs;
/// they are never timing assertions.
pub fn deadline(d: std::time::Duration) -> std::time::Duration {
    let scale = std::env::var("BARAZA_TEST_DEADLINES")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|x| *x > 0.0)
        .unwrap_or(1.0);
    d.mul_f64(scale)
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `../shared/` beside the repository: the real XLSForm corpus lives there.
pub fn shared() -> PathBuf {
    repo().join("../shared")
}

/// The `baraza` binary built from this workspace (`.ci/run` builds it before the tests).
pub fn baraza_bin() -> PathBuf {
    // current_exe = target/<profile>/deps/e2e-<hash>
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("test binary lives in target/<profile>/deps");
    let bin = dir.join("baraza");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --workspace --bins --features baraza-server/fault-injection` first (the README's test command does)",
        bin.display()
    );
    bin
}

/// A fresh directory under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("baraza-test-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// Writes `files` (name, contents) into the directory.
    pub fn with_files(tag: &str, files: &[(&str, &[u8])]) -> TempDir {
        let t = TempDir::new(tag);
        for (name, contents) in files {
            std::fs::write(t.0.join(name), contents).expect("write test file");
        }
        t
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            // The data folder's PostgreSQL cluster, if its servers ran on one, stops with it.
            clusters().remove(&self.0);
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A real `baraza serve` process on a free port with its own data folder; killed on drop.
pub struct Server {
    child: std::process::Child,
    pub base: String,
    pub data: TempDir,
    pub http: reqwest::blocking::Client,
}

pub const ADMIN_PASSWORD: &str = "test-admin-password";

impl Server {
    /// A fresh server with the demo settlement frame.
    pub fn start() -> Server {
        Server::start_in(TempDir::new("server"), &["--demo-frame"])
    }

    /// A server on an existing data folder (to restart after a stop or a kill).
    pub fn start_in(data: TempDir, extra: &[&str]) -> Server {
        Server::spawn("serve", data, extra, &[])
    }

    /// As `start_in`, with more environment variables.
    pub fn start_with_env(data: TempDir, extra: &[&str], env: &[(&str, &str)]) -> Server {
        Server::spawn("serve", data, extra, env)
    }

    /// `baraza demo` on a fresh folder: the demo city (seed 7) loaded through the sync path;
    /// every demo account's password is `ADMIN_PASSWORD`.
    pub fn demo() -> Server {
        Server::spawn("demo", TempDir::new("demo"), &[], &[])
    }

    fn spawn(command: &str, data: TempDir, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let http = reqwest::blocking::Client::builder()
            .timeout(deadline(std::time::Duration::from_secs(60)))
            .build()
            .expect("http client");
        Server::spawn_from(&baraza_bin(), None, command, data, extra, env, http)
    }

    /// A server from another binary (a release build copied alone), run in `cwd`, spoken to
    /// with `http` (one that trusts a test certificate, for HTTPS).
    pub fn spawn_from(
        bin: &std::path::Path,
        cwd: Option<&std::path::Path>,
        command: &str,
        data: TempDir,
        extra: &[&str],
        env: &[(&str, &str)],
        http: reqwest::blocking::Client,
    ) -> Server {
        use std::io::BufRead;
        let mut command_line = std::process::Command::new(bin);
        if let Some(dir) = cwd {
            command_line.current_dir(dir);
        }
        if let Some(url) = database_for(&data.0) {
            command_line.env("BARAZA_DATABASE_URL", url);
        }
        let mut child = command_line
            .args([command, "--listen", "127.0.0.1:0", "--data"])
            .arg(&data.0)
            .args(extra)
            .env("BARAZA_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("BARAZA_DEMO_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("baraza serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let base = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.to_owned();
                    }
                }
                _ => panic!(
                    "baraza serve exited before listening (status {:?})",
                    child.wait()
                ),
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            base,
            data,
            http,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (at most 30 s) for the process to exit by itself; its exit code.
    pub fn wait_exit(mut self) -> Option<i32> {
        let deadline = std::time::Instant::now() + deadline(std::time::Duration::from_secs(30));
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        None
    }

    /// `GET /healthz`: is the server still serving?
    pub fn health(&self) -> reqwest::blocking::Response {
        self.http
            .get(format!("{}/healthz", self.base))
            .send()
            .expect("healthz")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// Stops the process with SIGTERM (it finishes the work in flight), checks that it exits
    /// cleanly, and hands back its data folder.
    pub fn stop(mut self) -> TempDir {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "SIGTERM sent");
        let exit = self.child.wait().expect("wait");
        assert!(exit.success(), "a graceful stop: {exit:?}");
        std::mem::replace(&mut self.data, TempDir(PathBuf::new()))
    }

    /// SIGKILLs the process while others may still be using it (their requests then fail).
    pub fn sigkill(&self) {
        let status = std::process::Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "SIGKILL sent");
    }

    /// Stops the process the hard way (no graceful shutdown) and hands back its data folder.
    pub fn kill(mut self) -> TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The emptied TempDir left behind deletes nothing when `self` drops.
        std::mem::replace(&mut self.data, TempDir(PathBuf::new()))
    }

    pub fn login(&self, username: &str, password: &str) -> String {
        let res = self
            .http
            .post(self.url("/auth/login"))
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .expect("login request");
        assert_eq!(res.status(), 200, "login as {username}");
        res.json::<serde_json::Value>().expect("login JSON")["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    pub fn admin(&self) -> String {
        self.login("admin", ADMIN_PASSWORD)
    }

    /// Creates a user and returns (id, session token).
    pub fn user(&self, admin: &str, username: &str, role: &str) -> (i64, String) {
        let password = format!("{username}-password");
        let res = self
            .http
            .post(self.url("/users"))
            .bearer_auth(admin)
            .json(&serde_json::json!({"username": username, "role": role, "password": password}))
            .send()
            .expect("create user");
        assert_eq!(res.status(), 201, "create {username}");
        let id = res.json::<serde_json::Value>().expect("user JSON")["id"]
            .as_i64()
            .expect("id");
        (id, self.login(username, &password))
    }

    /// Enrolls a device for a new enumerator: (device_id, device_token).
    pub fn device(&self, admin: &str, enumerator: &str) -> (String, String) {
        let (_, token) = self.user(admin, enumerator, "enumerator");
        let res = self
            .http
            .post(self.url("/devices"))
            .bearer_auth(&token)
            .send()
            .expect("enroll");
        assert_eq!(res.status(), 201);
        let v: serde_json::Value = res.json().expect("enrollment JSON");
        (
            v["device_id"].as_str().expect("id").to_owned(),
            v["device_token"].as_str().expect("token").to_owned(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server's router in this process, on its own data folder: requests go straight to the
/// handlers (`tower::ServiceExt::oneshot`), with no socket and no process. For what does not
/// need a real process (roles, error shapes); `Server` is for the rest.
pub struct InProcess {
    router: axum::Router,
    runtime: tokio::runtime::Runtime,
    _data: TempDir,
}

impl InProcess {
    /// Bootstrapped as `baraza serve --demo-frame` would be: built-in forms, the admin with
    /// `ADMIN_PASSWORD`, the demo settlement frame.
    pub fn start() -> InProcess {
        use baraza_server::storage::prelude::*;
        let data = TempDir::new("in-process");
        let db = baraza_server::admin::open(&data.0, database_for(&data.0).as_deref())
            .expect("a data folder");
        baraza_server::admin::bootstrap(&db, Some(ADMIN_PASSWORD.into())).expect("bootstrap");
        db.import_settlements(&baraza_server::demo::frame(), None)
            .expect("the demo frame");
        let state = baraza_server::http::AppState::new(std::sync::Arc::new(db), None);
        InProcess {
            router: baraza_server::http::router(std::sync::Arc::new(state)),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
            _data: data,
        }
    }

    /// One request to `/api/v1{path}`: the status and the body as JSON (`Null` when empty).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        match body {
            Some(b) => self.send(
                method,
                path,
                token,
                "application/json",
                b.to_string().as_bytes(),
            ),
            None => self.send(method, path, token, "", b""),
        }
    }

    /// [`InProcess::call`] with a body of any content type (none when `content_type` is empty).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &[u8],
    ) -> (u16, serde_json::Value) {
        use tower::ServiceExt;
        // As every HTTP/1.1 client sends it (links the server writes are built from it).
        let mut req = axum::http::Request::builder()
            .method(method)
            .uri(format!("/api/v1{path}"))
            .header("host", "baraza.test");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if !content_type.is_empty() {
            req = req.header("content-type", content_type);
        }
        let req = req
            .body(axum::body::Body::from(body.to_vec()))
            .expect("a request");
        self.runtime.block_on(async {
            let res = self.router.clone().oneshot(req).await.expect("infallible");
            let status = res.status().as_u16();
            let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .expect("a body");
            (status, serde_json::from_slice(&bytes).unwrap_or_default())
        })
    }

    pub fn login(&self, username: &str, password: &str) -> String {
        let body = serde_json::json!({"username": username, "password": password});
        let (status, reply) = self.call("POST", "/auth/login", None, Some(&body));
        assert_eq!(status, 200, "login as {username}: {reply}");
        reply["token"].as_str().expect("token").to_owned()
    }

    pub fn admin(&self) -> String {
        self.login("admin", ADMIN_PASSWORD)
    }

    /// Creates a user and returns (id, session token).
    pub fn user(&self, admin: &str, username: &str, role: &str) -> (i64, String) {
        let password = format!("{username}-password");
        let body = serde_json::json!({"username": username, "role": role, "password": password});
        let (status, user) = self.call("POST", "/users", Some(admin), Some(&body));
        assert_eq!(status, 201, "create {username}: {user}");
        (
            user["id"].as_i64().expect("id"),
            self.login(username, &password),
        )
    }
}

/// The `baraza` command for a data folder: on the folder's PostgreSQL database under
/// `on_postgres()` (the `--data` argument names the folder), as its servers are.
pub fn baraza_command(args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(baraza_bin());
    c.args(args);
    let data = args
        .iter()
        .position(|a| *a == "--data")
        .and_then(|i| args.get(i + 1));
    if let Some(url) = data.and_then(|d| database_for(std::path::Path::new(d))) {
        c.env("BARAZA_DATABASE_URL", url);
    }
    c
}

/// Every row of `table` in a backup file, as column → text (NULL as ""), read without a
/// server: a SQLite copy through SQL, a PostgreSQL dump through `pg_restore`'s COPY text.
pub fn backup_table(
    path: &std::path::Path,
    table: &str,
) -> Vec<std::collections::BTreeMap<String, String>> {
    if on_postgres() {
        let out = baraza_server::pg_cluster::pg_command("pg_restore")
            .expect("pg_restore is installed")
            .args(["--data-only", "--file=-"])
            .arg(format!("--table={table}"))
            .arg(path)
            .output()
            .expect("pg_restore runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        // COPY public.<table> (a, b, ...) FROM stdin; then tab-separated rows until `\.`.
        let mut lines = text
            .lines()
            .skip_while(|l| !l.starts_with(&format!("COPY public.{table} ")));
        let header = lines.next().expect("the table's COPY");
        let columns: Vec<&str> = header
            .split_once('(')
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(cols, _)| cols.split(", ").collect())
            .expect("column names");
        lines
            .take_while(|l| *l != "\\.")
            .map(|l| {
                columns
                    .iter()
                    .zip(l.split('\t'))
                    .map(|(c, v)| {
                        (
                            c.to_string(),
                            if v == "\\N" {
                                String::new()
                            } else {
                                v.to_owned()
                            },
                        )
                    })
                    .collect()
            })
            .collect()
    } else {
        let copy = rusqlite::Connection::open(path).expect("the backup opens");
        let mut st = copy
            .prepare(&format!("SELECT * FROM {table}"))
            .expect("the table");
        let names: Vec<String> = st.column_names().iter().map(|c| c.to_string()).collect();
        st.query_map([], |r| {
            names
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let v: rusqlite::types::Value = r.get(i)?;
                    let text = match v {
                        rusqlite::types::Value::Null => String::new(),
                        rusqlite::types::Value::Integer(n) => n.to_string(),
                        rusqlite::types::Value::Real(x) => x.to_string(),
                        rusqlite::types::Value::Text(t) => t,
                        rusqlite::types::Value::Blob(b) => format!("{} bytes", b.len()),
                    };
                    Ok((c.clone(), text))
                })
                .collect()
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows")
    }
}

/// The response ids of the revisions a backup file holds, sorted.
pub fn backup_response_ids(path: &std::path::Path) -> Vec<String> {
    let mut ids: Vec<String> = backup_table(path, "revisions")
        .into_iter()
        .map(|r| r["response_id"].clone())
        .collect();
    ids.sort();
    ids
}

/// Rows of `sql` (text columns) read straight from a data folder's database, SQLite or
/// PostgreSQL, behind its servers' backs: what a test checks beyond the API.
pub fn sql_rows(data: &TempDir, sql: &str) -> Vec<Vec<String>> {
    match database_for(&data.0) {
        Some(url) => {
            let mut client =
                postgres::Client::connect(&url, postgres::NoTls).expect("connect to PostgreSQL");
            let rows = client.query(sql, &[]).expect("query");
            let out = rows
                .iter()
                .map(|r| (0..r.len()).map(|i| r.get::<_, String>(i)).collect())
                .collect();
            // Closed here, not on a thread driving async tasks.
            drop(client);
            out
        }
        None => {
            let db = rusqlite::Connection::open_with_flags(
                data.0.join("baraza.sqlite3"),
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .expect("open the live database read-only");
            let mut st = db.prepare(sql).expect("prepare");
            let n = st.column_count();
            st.query_map([], |r| (0..n).map(|i| r.get::<_, String>(i)).collect())
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows")
        }
    }
}

/// A count read straight from a data folder's database (`SELECT CAST(count(*) AS TEXT) …`).
pub fn sql_count(data: &TempDir, sql: &str) -> i64 {
    sql_rows(data, sql)[0][0].parse().expect("a count")
}

/// How many bytes a data folder's database takes: the SQLite file and its write-ahead log,
/// or PostgreSQL's `pg_database_size`.
pub fn database_bytes(data: &TempDir) -> u64 {
    if database_for(&data.0).is_some() {
        return sql_count(
            data,
            "SELECT CAST(pg_database_size(current_database()) AS TEXT)",
        ) as u64;
    }
    ["baraza.sqlite3", "baraza.sqlite3-wal"]
        .iter()
        .map(|f| std::fs::metadata(data.0.join(f)).map_or(0, |m| m.len()))
        .sum()
}

/// The database a data folder's servers use (SQLite or PostgreSQL, as they were started),
/// opened beside them: for the test hooks (`expire_session`, bulk loads).
pub fn open_database(data: &TempDir) -> baraza_server::storage::Db {
    baraza_server::admin::open(&data.0, database_for(&data.0).as_deref())
        .expect("the live database")
}

/// `BARAZA_TEST_DATABASE=postgres`: every server these tests start (`Server`, `InProcess`)
/// runs on a PostgreSQL database of its own instead of the SQLite file in its data folder.
/// `./dev test` sets it for the modules it runs twice (README, Tests).
pub fn on_postgres() -> bool {
    std::env::var("BARAZA_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// The PostgreSQL database of a data folder's servers under `on_postgres()`: started for the
/// folder's first server, kept across its restarts, stopped when the folder is dropped.
pub fn database_for(data: &std::path::Path) -> Option<String> {
    if !on_postgres() {
        return None;
    }
    let mut all = clusters();
    let cluster = all
        .entry(data.to_owned())
        .or_insert_with(|| PgCluster::start().expect("a PostgreSQL cluster"));
    Some(cluster.url.clone())
}

fn clusters() -> std::sync::MutexGuard<'static, std::collections::HashMap<PathBuf, PgCluster>> {
    static ALL: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<PathBuf, PgCluster>>,
    > = std::sync::OnceLock::new();
    ALL.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// A `.xlsx` workbook of plain text cells, as a form designer's spreadsheet program would save
/// one (each sheet's rows, first the header): what `POST /forms` takes.
pub fn xlsx(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    use std::io::Write;
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut files: Vec<(String, String)> = Vec::new();
    let (mut overrides, mut listed, mut rels) = (String::new(), String::new(), String::new());
    for (i, (name, rows)) in sheets.iter().enumerate() {
        let n = i + 1;
        overrides.push_str(&format!(r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#));
        listed.push_str(&format!(
            r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#,
            escape(name)
        ));
        rels.push_str(&format!(r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#));
        let mut data = String::new();
        for (r, row) in rows.iter().enumerate() {
            data.push_str(&format!(r#"<row r="{}">"#, r + 1));
            for (c, cell) in row.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
                let column = char::from(b'A' + u8::try_from(c).expect("at most 26 columns"));
                data.push_str(&format!(
                    r#"<c r="{column}{}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
                    r + 1,
                    escape(cell)
                ));
            }
            data.push_str("</row>");
        }
        files.push((
            format!("xl/worksheets/sheet{n}.xml"),
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>"#),
        ));
    }
    files.push(("[Content_Types].xml".into(), format!(r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>"#)));
    files.push(("_rels/.rels".into(), r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.into()));
    files.push(("xl/workbook.xml".into(), format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{listed}</sheets></workbook>"#)));
    files.push(("xl/_rels/workbook.xml.rels".into(), format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#)));
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in files {
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("a zip entry");
        out.write_all(text.as_bytes()).expect("write");
    }
    out.finish().expect("finish the zip").into_inner()
}

/// A zip of these files, by name.
pub fn zipped(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("zip entry");
        zip.write_all(bytes).expect("zip write");
    }
    zip.finish().expect("zip").into_inner()
}

/// A real PNG of `width` × `height` pixels, each coloured by `rgb(x, y)` (a picture a browser
/// draws, for the form's pictures beside labels).
pub fn png(width: u32, height: u32, rgb: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    use std::io::Write;
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend(kind);
        out.extend(data);
        out.extend(crc.sum().to_be_bytes());
    }
    let mut header = Vec::new();
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    // 8 bits a channel, RGB, deflate, no filtering method but 0, not interlaced.
    header.extend([8, 2, 0, 0, 0]);
    let mut rows = Vec::new();
    for y in 0..height {
        rows.push(0);
        for x in 0..width {
            rows.extend(rgb(x, y));
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&rows).expect("deflate");
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &z.finish().expect("deflate"));
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A real WAV file: `seconds` of a 440 Hz tone, 8 kHz, 8-bit mono.
pub fn wav(seconds: u32) -> Vec<u8> {
    let rate = 8000u32;
    let samples: Vec<u8> = (0..rate * seconds)
        .map(|i| {
            let t = f64::from(i) / f64::from(rate);
            (128.0 + 60.0 * (t * 440.0 * std::f64::consts::TAU).sin()) as u8
        })
        .collect();
    let mut out = b"RIFF".to_vec();
    out.extend((36 + samples.len() as u32).to_le_bytes());
    out.extend(b"WAVEfmt ");
    out.extend(16u32.to_le_bytes());
    out.extend(1u16.to_le_bytes()); // PCM
    out.extend(1u16.to_le_bytes()); // mono
    out.extend(rate.to_le_bytes());
    out.extend(rate.to_le_bytes()); // bytes a second
    out.extend(1u16.to_le_bytes()); // bytes a frame
    out.extend(8u16.to_le_bytes()); // bits a sample
    out.extend(b"data");
    out.extend((samples.len() as u32).to_le_bytes());
    out.extend(samples);
    out
}
