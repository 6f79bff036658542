//! The `baraza` command: argument parsing only; the work lives in the library.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use baraza_schema::{Severity, import};
use baraza_server::admin;
use baraza_server::http::{self, AppState};
use baraza_server::storage::prelude::*;
use baraza_server::storage::{Db, Role};
use baraza_server::workbook::read_path;
use clap::{Parser, Subcommand};

/// mimalloc rather than the system allocator: glibc keeps freed memory in per-thread arenas
/// (a login's 19 MiB Argon2 buffer stayed resident once per blocking thread), and the push
/// path makes many small allocations, which mimalloc serves faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "baraza",
    version,
    about = "Participatory poverty and livelihood surveys, offline-first"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct DataArg {
    /// The data folder (holds baraza.sqlite3).
    #[arg(long, default_value = "baraza-data")]
    data: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (HTTP API; the web client comes with it).
    Serve {
        #[command(flatten)]
        data: DataArg,
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Load the demo city's settlement frame (20 settlements, 50,000 households) and
        /// nothing else; `baraza demo` loads the whole city.
        #[arg(long)]
        demo_frame: bool,
        /// The built web client to serve at `/` (default: `client/` beside the `target/<profile>`
        /// folder holding this binary, where `./dev` builds it).
        #[arg(long, env = "BARAZA_CLIENT_DIR")]
        client: Option<PathBuf>,
        /// Seconds a request may take to arrive and be answered; slower ones get 408.
        #[arg(long, env = "BARAZA_REQUEST_TIMEOUT", default_value_t = 60)]
        request_timeout: u64,
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
        /// The built web client to serve at `/` (as for `serve`).
        #[arg(long, env = "BARAZA_CLIENT_DIR")]
        client: Option<PathBuf>,
        /// The generator's seed: the same seed gives the same city.
        #[arg(long, default_value_t = 7)]
        seed: u64,
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
    /// sign-in, and their sessions end now.
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
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Form {
            command: FormCommand::Check { path, json },
        } => return form_check(&path, json),
        Command::Form {
            command: FormCommand::Publish { path, data },
        } => form_publish(&path, &data.data),
        Command::Serve {
            data,
            listen,
            demo_frame,
            client,
            request_timeout,
        } => {
            let client = client.or_else(default_client_dir);
            open_for_serving(&data.data, demo_frame)
                .and_then(|db| serve(db, &data.data, listen, client, Some(request_timeout)))
        }
        Command::Demo {
            data,
            listen,
            client,
            seed,
        } => {
            let client = client.or_else(default_client_dir);
            demo(&data, seed).and_then(|db| serve(db, &data, listen, client, None))
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    password_stdin: _,
                    data,
                },
        } => user_add(&data.data, &username, &role),
        Command::User { command } => user_command(command),
        Command::Settlement {
            command: SettlementCommand::Import { csv, data },
        } => settlement_import(&data.data, &csv),
        Command::Backup { data, to } => backup(&data.data, &to),
        Command::Restore { data, from } => restore(&data.data, &from),
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
    let (workbook, stem) = match read_path(path) {
        Ok(read) => read,
        Err(e) => {
            eprintln!("{}: error: {e}", path.display());
            return ExitCode::from(1);
        }
    };
    let result = import(&workbook, &stem);
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

fn form_publish(path: &Path, data: &Path) -> Result<(), String> {
    let (workbook, stem) = read_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let result = import(&workbook, &stem);
    for d in &result.diagnostics {
        eprintln!("{d}");
    }
    let form = result
        .publishable()
        .map_err(|_| format!("{} has errors; nothing was published", path.display()))?;
    let db = admin::open(data)?;
    let (entry, created) = db.publish_form(&form, None).map_err(|e| e.to_string())?;
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
    let open = |data: &DataArg| admin::open(&data.data);
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
    let db = admin::open(&data.data)?;
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

fn user_add(data: &Path, username: &str, role: &str) -> Result<(), String> {
    let role = Role::parse(role).ok_or("unknown role")?;
    let password = password_from_stdin()?;
    let db = admin::open(data)?;
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

fn settlement_import(data: &Path, csv: &Path) -> Result<(), String> {
    let text =
        std::fs::read_to_string(csv).map_err(|e| format!("cannot read {}: {e}", csv.display()))?;
    let list = admin::parse_settlements(&text).map_err(|e| format!("{}: {e}", csv.display()))?;
    let db = admin::open(data)?;
    let n = db
        .import_settlements(&list, None)
        .map_err(|e| e.to_string())?;
    println!("imported {n} settlement(s)");
    Ok(())
}

fn backup(data: &Path, to: &Path) -> Result<(), String> {
    if !admin::database_path(data).exists() {
        return Err(format!("there is no database in {}", data.display()));
    }
    if to.exists() {
        return Err(format!("{} exists; choose a new file", to.display()));
    }
    let moved = admin::open(data)?
        .backup_to(to)
        .map_err(|e| e.to_string())?;
    println!(
        "backed up to {}; {moved} device(s) may now release what the backup holds",
        to.display()
    );
    Ok(())
}

fn restore(data: &Path, from: &Path) -> Result<(), String> {
    if !from.is_file() {
        return Err(format!("{} is not a backup file", from.display()));
    }
    let epoch = admin::open(data)?
        .restore_from(from)
        .map_err(|e| e.to_string())?;
    println!("restored from {}; new server epoch {epoch}", from.display());
    Ok(())
}

/// `target/client` for a binary in `target/release` or `target/debug`.
fn default_client_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.join("client"))
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

/// Opens the data folder for `serve`: built-in forms published, the first admin created.
fn open_for_serving(data: &Path, demo_frame: bool) -> Result<Db, String> {
    init_tracing();
    let db = admin::open(data)?;
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
    let db = admin::open(data)?;
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

fn serve(
    db: Db,
    data: &Path,
    listen: SocketAddr,
    client_dir: Option<PathBuf>,
    request_timeout: Option<u64>,
) -> Result<(), String> {
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let shutdown = shutdown_signal()?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        // Tests and scripts read this line to find the port.
        println!("listening on http://{addr}");
        tracing::info!(%addr, data = %data.display(), "Baraza is serving");
        match client_dir.as_deref() {
            Some(dir) if dir.join("index.html").is_file() => {
                tracing::info!(client = %dir.display(), "serving the web client");
            }
            _ => tracing::warn!("the web client is not built; serving the API only"),
        }
        let mut state = AppState::new(Arc::new(db), client_dir);
        state.backup_dir = Some(data.join("backups"));
        if let Some(secs) = request_timeout {
            state.request_timeout = std::time::Duration::from_secs(secs);
        }
        let state = Arc::new(state);
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
