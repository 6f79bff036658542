//! The `baraza` command: argument parsing only; the work lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use baraza_schema::{Severity, import};
use baraza_server::workbook::read_path;
use clap::{Parser, Subcommand};

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

#[derive(Subcommand)]
enum Command {
    /// Work with XLSForm definitions.
    Form {
        #[command(subcommand)]
        command: FormCommand,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Form {
            command: FormCommand::Check { path, json },
        } => form_check(&path, json),
    }
}

fn form_check(path: &std::path::Path, json: bool) -> ExitCode {
    let (workbook, stem) = match read_path(path) {
        Ok(read) => read,
        Err(e) => {
            eprintln!("{}: error: {e}", path.display());
            return ExitCode::from(1);
        }
    };
    let result = import(&workbook, &stem);
    if json {
        let out = serde_json::json!({
            "form": result.form.outline(),
            "diagnostics": result.diagnostics,
        });
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
