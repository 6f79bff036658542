//! The `baraza` command: argument parsing only; the work lives in the library.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use baraza_schema::Severity;
use baraza_server::admin;
use baraza_server::backups::Schedule;
use baraza_server::http::{self, AppState};
use baraza_server::storage::prelude::*;
use baraza_server::storage::{Db, Role};
use baraza_server::workbook::read_form_path;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// mimalloc rather than the system allocator: glibc keeps freed memory in per-thread arenas
/// (a login's 19 MiB Argon2 buffer stayed resident once per blocking thread), and the push
/// path makes many small allocations, which mimalloc serves faster. Its v2 line: it gives
/// freed pages back after 10 ms where v3 waits a second, and over a second of eight phones
/// pushing at once that held the server at 117–141 MB instead of 86–102 (`baraza-bench
/// --ingest`, 2026-12-04).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The built web apps (`./dev` writes them to `target/client`), compiled into release builds;
/// a debug build reads the same folder at run time. `--client DIR` serves a folder instead.
#[derive(rust_embed::Embed)]
#[folder = "$CARGO_MANIFEST_DIR/../target/client"]
#[allow_missing = true]
struct WebApps;

/// `baraza --version`: the version, the commit `./dev release` built from, and the build hash
/// of the embedded web apps (the client's service worker and Home screen show the same).
fn version() -> String {
    let commit = option_env!("BARAZA_COMMIT").unwrap_or("unknown");
    let web = http::web::build_hash(WebApps::get).unwrap_or_else(|| "not embedded".into());
    format!(
        "{} (commit {commit}, web apps {web})",
        env!("CARGO_PKG_VERSION")
    )
}

#[derive(Parser)]
#[command(
    name = "baraza",
    about = "Participatory poverty and livelihood surveys, offline-first"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct DataArg {
    /// The data folder (holds baraza.sqlite3, and the backups).
    #[arg(long, env = "BARAZA_DATA", default_value = "baraza-data")]
    data: PathBuf,
    /// A PostgreSQL database instead of the SQLite file in the data folder
    /// (postgres://user:password@host/database); several servers may share one.
    #[arg(long, env = "BARAZA_DATABASE_URL")]
    database: Option<String>,
}

impl DataArg {
    fn open(&self) -> Result<Db, String> {
        admin::open(&self.data, self.database())
    }

    /// The PostgreSQL address, if one is given (an empty one is none).
    fn database(&self) -> Option<&str> {
        self.database.as_deref().filter(|url| !url.is_empty())
    }
}

/// HTTPS, served directly. Phones need it: browsers run the offline app's service worker only
/// on HTTPS (or on this machine's own address). Behind a reverse proxy that holds the
/// certificate, leave these out.
#[derive(clap::Args)]
struct TlsArgs {
    /// The certificate chain, PEM (for example Let's Encrypt's fullchain.pem).
    #[arg(long, env = "BARAZA_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Its private key, PEM.
    #[arg(long, env = "BARAZA_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

impl TlsArgs {
    fn acceptor(&self) -> Result<Option<tokio_rustls::TlsAcceptor>, String> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => http::tls::acceptor(cert, key).map(Some),
            _ => Ok(None),
        }
    }
}

/// Backups taken by the server itself. Phones delete their own copies of interviews only once
/// a checked backup holds them, so a server that never backs up fills its phones.
#[derive(clap::Args)]
struct BackupArgs {
    /// Time between backups into `<data>/backups` (30m, 6h, 1d…); 0 turns them off.
    #[arg(long, env = "BARAZA_BACKUP_EVERY", default_value = "6h", value_parser = baraza_server::backups::parse_period)]
    backup_every: std::time::Duration,
    /// Backup files kept in each folder (the oldest beyond go).
    #[arg(long, env = "BARAZA_BACKUP_KEEP", default_value_t = 14, value_parser = clap::value_parser!(u16).range(1..))]
    backup_keep: u16,
    /// A second folder (another disk, a mounted share) that receives a checked copy of each
    /// backup.
    #[arg(long, env = "BARAZA_BACKUP_COPY")]
    backup_copy: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (HTTP API; the web client comes with it).
    Serve {
        #[command(flatten)]
        data: DataArg,
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, env = "BARAZA_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Load the demo city's settlement frame (20 settlements, 50,000 households) and
        /// nothing else; `baraza demo` loads the whole city.
        #[arg(long)]
        demo_frame: bool,
        /// Serve the web apps from this folder (as `./dev` builds them into `target/client`)
        /// instead of the copy inside the binary.
        #[arg(long, env = "BARAZA_CLIENT_DIR")]
        client: Option<PathBuf>,
        /// Seconds a request may take to arrive and be answered; slower ones get 408.
        #[arg(long, env = "BARAZA_REQUEST_TIMEOUT", default_value_t = 60)]
        request_timeout: u64,
        #[command(flatten)]
        tls: TlsArgs,
        #[command(flatten)]
        backups: BackupArgs,
        /// Behind a reverse proxy on this machine (Caddy, nginx): take a sign-in's address
        /// from the last `X-Forwarded-For` entry, so that throttling tells clients apart.
        #[arg(long, env = "BARAZA_TRUST_FORWARDED_FOR")]
        trust_forwarded_for: bool,
        /// The largest photo, recording, video or file an answer may attach, in MiB.
        #[arg(long, env = "BARAZA_MAX_FILE_MIB", default_value_t = 64)]
        max_file_mib: u64,
        /// The most MiB of files one interview may attach, all together.
        #[arg(long, env = "BARAZA_MAX_INTERVIEW_FILES_MIB", default_value_t = 256)]
        max_interview_files_mib: u64,
        /// Let enumerators sign in from ODK Collect over plain HTTP with HTTP Digest: keeps an
        /// MD5 of each enumerator's password, set with the password from now on (off: every
        /// such MD5 is deleted at start-up). Device keys and HTTPS need none of it.
        #[arg(long, env = "BARAZA_ODK_DIGEST")]
        odk_digest: bool,
    },
    /// Fill a fresh data folder with the demo city (DOMAIN.md §5: 20 settlements, 2,400
    /// households, 91 focus groups, 359 actors, 30 stakeholders), pushed through the real
    /// sync path, with one account per role (admin, supervisor, planner, enumerator) whose
    /// password is printed (or taken from BARAZA_DEMO_PASSWORD); then serve. On a folder the
    /// demo already filled, it just serves.
    Demo {
        /// The data folder (kept apart from real data by default).
        #[arg(long, default_value = "baraza-demo")]
        data: PathBuf,
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Serve the web apps from this folder (as for `serve`).
        #[arg(long, env = "BARAZA_CLIENT_DIR")]
        client: Option<PathBuf>,
        /// The generator's seed: the same seed gives the same city.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// Work with XLSForm definitions.
    Form {
        #[command(subcommand)]
        command: FormCommand,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage the settlement frame.
    Settlement {
        #[command(subcommand)]
        command: SettlementCommand,
    },
    /// Write a consistent copy of the database (safe while the server runs).
    Backup {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        to: PathBuf,
    },
    /// Copy a whole database to another backend, servers stopped: a SQLite data folder to a
    /// new PostgreSQL database, or back. Every account, device (with its sequence state),
    /// form, interview, review, audit entry and report aggregate moves; then both sides are
    /// compared table by table (rows and a hash of their contents).
    Migrate {
        /// Where the data is: a data folder (its SQLite file) or a postgres:// URL.
        #[arg(long)]
        from: String,
        /// Where it goes: a new data folder or an empty PostgreSQL database (postgres://…).
        #[arg(long)]
        to: String,
    },
    /// Replace the database with a backup (stop the server first). The server gets a new
    /// epoch, so devices push again whatever the backup lacks.
    Restore {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        from: PathBuf,
    },
}

#[derive(Subcommand)]
enum FormCommand {
    /// Check an XLSForm (.xlsx, .xls, or a folder of survey.csv/choices.csv/settings.csv) and
    /// print every problem as `sheet:row:column: severity: message`. Exits 1 on errors.
    Check {
        /// The workbook file or CSV folder.
        path: PathBuf,
        /// Print the parsed structure and the diagnostics as JSON instead.
        #[arg(long)]
        json: bool,
    },
    /// Publish an XLSForm (refused, with every error, if it has any).
    Publish {
        path: PathBuf,
        #[command(flatten)]
        data: DataArg,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = ["admin", "supervisor", "planner", "enumerator"])]
        role: String,
        /// Read the password from standard input (the only way, so it never shows in `ps`).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        data: DataArg,
    },
    /// List the accounts: id, username, role, state, settlements.
    List {
        #[command(flatten)]
        data: DataArg,
    },
    /// Set a user's password, read from standard input; they must change it at their next
    /// sign-in, their sessions end now, and any sign-in lock on the name is lifted.
    Passwd {
        username: String,
        #[command(flatten)]
        data: DataArg,
    },
    /// Disable an account: it cannot sign in and its sessions end now (its devices keep
    /// syncing until revoked).
    Disable {
        username: String,
        #[command(flatten)]
        data: DataArg,
    },
    /// Enable a disabled account.
    Enable {
        username: String,
        #[command(flatten)]
        data: DataArg,
    },
    /// Change an account's role.
    Role {
        username: String,
        #[arg(value_parser = ["admin", "supervisor", "planner", "enumerator"])]
        role: String,
        #[command(flatten)]
        data: DataArg,
    },
    /// End every session of a user.
    SessionsEnd {
        username: String,
        #[command(flatten)]
        data: DataArg,
    },
}

#[derive(Subcommand)]
enum SettlementCommand {
    /// Import a settlement frame: CSV with header `code,name,type,households`, optionally
    /// followed by `target` (the interviews planned there).
    Import {
        csv: PathBuf,
        #[command(flatten)]
        data: DataArg,
    },
}

fn main() -> ExitCode {
    baraza_server::small_pages();
    let matches = Cli::command().version(version()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match cli.command {
        Command::Form {
            command: FormCommand::Check { path, json },
        } => return form_check(&path, json),
        Command::Form {
            command: FormCommand::Publish { path, data },
        } => form_publish(&path, &data),
        Command::Serve {
            data,
            listen,
            demo_frame,
            client,
            request_timeout,
            tls,
            backups,
            trust_forwarded_for,
            max_file_mib,
            max_interview_files_mib,
            odk_digest,
        } => {
            // A bad certificate stops the start with a sentence, before the data is touched.
            tls.acceptor().and_then(|tls| {
                if backups.backup_every.is_zero() {
                    eprintln!(
                        "warning: scheduled backups are off; phones keep every interview until a backup holds it"
                    );
                }
                let schedule = (!backups.backup_every.is_zero()).then(|| Schedule {
                    dir: data.data.join("backups"),
                    every: backups.backup_every,
                    keep: usize::from(backups.backup_keep),
                    copy_to: backups.backup_copy,
                });
                let options = ServeOptions {
                    client,
                    request_timeout: Some(request_timeout),
                    tls,
                    schedule,
                    trust_forwarded_for,
                    attachment_limits: baraza_server::http::AttachmentLimits {
                        file_bytes: max_file_mib.saturating_mul(1 << 20),
                        interview_bytes: max_interview_files_mib.saturating_mul(1 << 20),
                    },
                    odk_digest,
                };
                open_for_serving(&data, demo_frame)
                    .and_then(|db| serve(db, &data.data, listen, options))
            })
        }
        Command::Demo {
            data,
            listen,
            client,
            seed,
            tls,
        } => tls.acceptor().and_then(|tls| {
            let options = ServeOptions {
                client,
                request_timeout: None,
                tls,
                schedule: None,
                trust_forwarded_for: false,
                attachment_limits: Default::default(),
                odk_digest: false,
            };
            demo(&data, seed).and_then(|db| serve(db, &data, listen, options))
        }),
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    password_stdin: _,
                    data,
                },
        } => user_add(&data, &username, &role),
        Command::User { command } => user_command(command),
        Command::Settlement {
            command: SettlementCommand::Import { csv, data },
        } => settlement_import(&data, &csv),
        Command::Backup { data, to } => backup(&data, &to),
        Command::Restore { data, from } => restore(&data, &from),
        Command::Migrate { from, to } => migrate(&from, &to),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn form_check(path: &Path, json: bool) -> ExitCode {
    let result = match read_form_path(path).and_then(|upload| upload.import()) {
        Ok(read) => read,
        Err(e) => {
            eprintln!("{}: error: {e}", path.display());
            return ExitCode::from(1);
        }
    };
    if json {
        let out =
            serde_json::json!({"form": result.form.outline(), "diagnostics": result.diagnostics});
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        for d in &result.diagnostics {
            println!("{d}");
        }
    }
    let errors = result
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = result.diagnostics.len() - errors;
    eprintln!(
        "{}: {errors} error(s), {warnings} warning(s)",
        path.display()
    );
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn form_publish(path: &Path, data: &DataArg) -> Result<(), String> {
    let upload = read_form_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let result = upload
        .import()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let form = match result.publishable() {
        Ok(form) => form,
        Err(refused) => {
            for d in &refused.diagnostics {
                eprintln!("{d}");
            }
            return Err(format!(
                "{} has errors; nothing was published",
                path.display()
            ));
        }
    };
    let db = data.open()?;
    let (entry, created) = db
        .publish_form(&form, &upload.files, None)
        .map_err(|e| e.to_string())?;
    let what = if created {
        "published"
    } else {
        "already published"
    };
    println!(
        "{what}: {} version {} ({})",
        entry.form_id, entry.version, entry.sha256
    );
    Ok(())
}

/// A password from standard input, without its line ending.
fn password_from_stdin() -> Result<String, String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| format!("reading the password: {e}"))?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

/// The account commands other than `add`; each is audited with no user as actor (the
/// command line).
fn user_command(command: UserCommand) -> Result<(), String> {
    let err = |e: baraza_server::storage::StoreError| e.to_string();
    let open = DataArg::open;
    match command {
        UserCommand::Add { .. } => unreachable!("handled by user_add"),
        UserCommand::List { data } => {
            for u in open(&data)?.users().map_err(err)? {
                let state = match (u.disabled, u.must_change_password) {
                    (true, _) => "disabled",
                    (false, true) => "must change password",
                    (false, false) => "active",
                };
                println!(
                    "{}\t{}\t{}\t{state}\t{}",
                    u.id,
                    u.username,
                    u.role,
                    u.settlements.join(",")
                );
            }
        }
        UserCommand::Passwd { username, data } => {
            let password = password_from_stdin()?;
            let db = open(&data)?;
            let user = db.user_by_name(&username).map_err(err)?;
            db.reset_password(user.id, &password, None).map_err(err)?;
            println!("{username}: password set; it must be changed at the next sign-in");
        }
        UserCommand::Disable { username, data } => set_disabled(&data, &username, true)?,
        UserCommand::Enable { username, data } => set_disabled(&data, &username, false)?,
        UserCommand::Role {
            username,
            role,
            data,
        } => {
            let role = Role::parse(&role).ok_or("unknown role")?;
            let db = open(&data)?;
            let user = db.user_by_name(&username).map_err(err)?;
            let user = db.set_role(user.id, role, None).map_err(err)?;
            println!("{}: now {}", user.username, user.role);
        }
        UserCommand::SessionsEnd { username, data } => {
            let db = open(&data)?;
            let user = db.user_by_name(&username).map_err(err)?;
            let ended = db.end_sessions(user.id, None).map_err(err)?;
            println!("{username}: {ended} session(s) ended");
        }
    }
    Ok(())
}

fn set_disabled(data: &DataArg, username: &str, disabled: bool) -> Result<(), String> {
    let err = |e: baraza_server::storage::StoreError| e.to_string();
    let db = data.open()?;
    let user = db.user_by_name(username).map_err(err)?;
    let user = db.set_disabled(user.id, disabled, None).map_err(err)?;
    let done = if user.disabled {
        "disabled; its sessions ended (its devices sync until revoked)"
    } else {
        "enabled"
    };
    println!("{}: {done}", user.username);
    Ok(())
}

fn user_add(data: &DataArg, username: &str, role: &str) -> Result<(), String> {
    let role = Role::parse(role).ok_or("unknown role")?;
    let password = password_from_stdin()?;
    let db = data.open()?;
    let user = db
        .create_user(username, role, &password, None)
        .map_err(|e| e.to_string())?;
    println!(
        "added {} ({}) as user {}",
        user.username,
        user.role.as_str(),
        user.id
    );
    Ok(())
}

fn settlement_import(data: &DataArg, csv: &Path) -> Result<(), String> {
    let text =
        std::fs::read_to_string(csv).map_err(|e| format!("cannot read {}: {e}", csv.display()))?;
    let list = admin::parse_settlements(&text).map_err(|e| format!("{}: {e}", csv.display()))?;
    let db = data.open()?;
    let n = db
        .import_settlements(&list, None)
        .map_err(|e| e.to_string())?;
    println!("imported {n} settlement(s)");
    Ok(())
}

fn backup(data: &DataArg, to: &Path) -> Result<(), String> {
    if to.exists() {
        return Err(format!("{} exists; choose a new file", to.display()));
    }
    // The server may be running: nothing is migrated or rebuilt from here.
    let db = match data.database() {
        Some(url) => Db::open_postgres_live(url),
        None => {
            if !admin::database_path(&data.data).exists() {
                return Err(format!("there is no database in {}", data.data.display()));
            }
            Db::open_live(&admin::database_path(&data.data))
        }
    };
    let moved = db
        .and_then(|db| db.backup_to(to))
        .map_err(|e| e.to_string())?;
    println!(
        "backed up to {}; {moved} device(s) may now release what the backup holds",
        to.display()
    );
    Ok(())
}

/// A data folder's SQLite database or a PostgreSQL database, by what `place` looks like.
fn open_place(place: &str) -> Result<Db, String> {
    if baraza_server::storage::is_postgres_url(place) {
        admin::open(Path::new("."), Some(place))
    } else {
        admin::open(Path::new(place), None)
    }
}

fn migrate(from: &str, to: &str) -> Result<(), String> {
    if !baraza_server::storage::is_postgres_url(from)
        && !admin::database_path(Path::new(from)).is_file()
    {
        return Err(format!("there is no Baraza database in {from}"));
    }
    if from == to {
        return Err("--from and --to name the same database".into());
    }
    let (source, target) = (open_place(from)?, open_place(to)?);
    let tables =
        baraza_server::storage::copy_database(&source, &target).map_err(|e| e.to_string())?;
    for t in &tables {
        println!(
            "{:<24} {:>9} row(s)  sha256 {}",
            t.table,
            t.rows,
            &t.sha256[7..23]
        );
    }
    println!(
        "copied and compared {} tables: the target holds exactly what the source holds",
        tables.len()
    );
    Ok(())
}

fn restore(data: &DataArg, from: &Path) -> Result<(), String> {
    if !from.is_file() {
        return Err(format!("{} is not a backup file", from.display()));
    }
    let epoch = data.open()?.restore_from(from).map_err(|e| e.to_string())?;
    println!("restored from {}; new server epoch {epoch}", from.display());
    Ok(())
}

fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Opens the database for `serve`: built-in forms published, the first admin created.
fn open_for_serving(data: &DataArg, demo_frame: bool) -> Result<Db, String> {
    init_tracing();
    let db = data.open()?;
    if let Some(password) = admin::bootstrap(&db, std::env::var("BARAZA_ADMIN_PASSWORD").ok())? {
        println!(
            "created the admin account: username admin, password {password} (shown once; change it)"
        );
    }
    if demo_frame {
        db.import_settlements(&baraza_demo::frame(), None)
            .map_err(|e| e.to_string())?;
    }
    Ok(db)
}

/// Opens the data folder for `demo`, filling it with the demo city unless it already holds it.
fn demo(data: &Path, seed: u64) -> Result<Db, String> {
    init_tracing();
    let db = admin::open(data, None)?;
    if baraza_server::demo::is_loaded(&db)? {
        println!("the demo city is already loaded; the demo accounts keep their passwords");
        return Ok(db);
    }
    let password = std::env::var("BARAZA_DEMO_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| baraza_server::storage::random_token()[..12].to_owned());
    println!("demo accounts admin, supervisor, planner and enumerator, password: {password}");
    let started = std::time::Instant::now();
    let loaded = baraza_server::demo::load(&db, seed, &password, baraza_server::storage::today())?;
    println!(
        "loaded the demo city in {:.1} s: {} responses stored, {} quarantined",
        started.elapsed().as_secs_f64(),
        loaded.stored,
        loaded.quarantined
    );
    Ok(db)
}

/// How `serve` and `demo` serve, beyond the data folder and the address.
struct ServeOptions {
    client: Option<PathBuf>,
    request_timeout: Option<u64>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    /// Backups by the server itself (not for the demo city, which is rebuilt at will).
    schedule: Option<Schedule>,
    trust_forwarded_for: bool,
    attachment_limits: baraza_server::http::AttachmentLimits,
    /// ODK Collect's Digest sign-in (`serve --odk-digest`).
    odk_digest: bool,
}

fn serve(db: Db, data: &Path, listen: SocketAddr, options: ServeOptions) -> Result<(), String> {
    let ServeOptions {
        client: client_dir,
        request_timeout,
        tls,
        schedule,
        trust_forwarded_for,
        attachment_limits,
        odk_digest,
    } = options;
    db.set_odk_digest(odk_digest)
        .map_err(|e| format!("cannot set Digest sign-in: {e}"))?;
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let shutdown = shutdown_signal()?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        // Tests and scripts read this line to find the port.
        let scheme = if tls.is_some() { "https" } else { "http" };
        println!("listening on {scheme}://{addr}");
        tracing::info!(%addr, data = %data.display(), "Baraza is serving");
        match client_dir.as_deref() {
            Some(dir) if dir.join("index.html").is_file() => {
                tracing::info!(client = %dir.display(), "serving the web apps from a folder");
            }
            Some(dir) => tracing::warn!(client = %dir.display(), "no web apps in that folder; serving the API only"),
            None if WebApps::get("index.html").is_some() => {
                tracing::info!(build = %version(), "serving the web apps inside the binary");
            }
            None => tracing::warn!("this binary was built without the web apps; serving the API only"),
        }
        let mut state = AppState::new(Arc::new(db), client_dir);
        state.embedded = Some(WebApps::get);
        state.tls = tls;
        state.trust_forwarded_for = trust_forwarded_for;
        state.attachment_limits = attachment_limits;
        state.odk_digest = odk_digest.then(Default::default);
        state.backup_dir = Some(data.join("backups"));
        if let Some(secs) = request_timeout {
            state.request_timeout = std::time::Duration::from_secs(secs);
        }
        let state = Arc::new(state);
        if let Some(schedule) = schedule {
            tracing::info!(every = ?schedule.every, keep = schedule.keep, dir = %schedule.dir.display(), "backing up on a schedule");
            tokio::spawn(baraza_server::backups::run(state.db.clone(), schedule));
        }
        tokio::spawn(baraza_server::projector::run(state.db.clone()));
        http::serve(listener, state, shutdown)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!("stopped");
        Ok(())
    })
}

/// Completes on SIGINT or SIGTERM. The handlers are registered when this is called (not when
/// the future is first polled), so a signal that arrives right after "listening on" is
/// printed still shuts down gracefully.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()> + Send + 'static, String> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term =
            signal(SignalKind::terminate()).map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
        let mut int =
            signal(SignalKind::interrupt()).map_err(|e| format!("cannot handle SIGINT: {e}"))?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
