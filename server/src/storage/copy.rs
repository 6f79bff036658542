//! Moving a whole Baraza database between backends (`baraza migrate --from … --to …`):
//! SQLite to PostgreSQL as a deployment grows, PostgreSQL to SQLite for a small one. Every
//! table is copied row for row — users with their password hashes, devices with their
//! sequence state and watermarks, forms, every revision with its attachments, review,
//! quarantine, audit and the report aggregates — in one read snapshot of the source and one transaction on the target,
//! then both sides are read again and compared table by table: the same number of rows and
//! the same hash of their contents.

use super::sql::{Param, Sql, Value};
use super::{Db, Result, StoreError};

/// Every table, in an order that satisfies the foreign keys, with its key columns (what a
/// row is identified by) and the columns copied.
const TABLES: &[(&str, &[&str])] = &[
    ("meta", &["key", "value"]),
    (
        "users",
        &[
            "id",
            "username",
            "role",
            "password_hash",
            "created_at",
            "disabled",
            "must_change_password",
            "digest_ha1",
        ],
    ),
    (
        "settlements",
        &["code", "name", "type", "households", "target"],
    ),
    ("supervisor_settlements", &["user_id", "settlement"]),
    (
        "forms",
        &[
            "form_id",
            "version",
            "sha256",
            "title",
            "definition",
            "state",
            "published_at",
            "xform",
        ],
    ),
    (
        "devices",
        &[
            "id",
            "user_id",
            "token_hash",
            "created_at",
            "revoked_at",
            "acked_through_seq",
            "backed_up_through_seq",
            "openrosa",
        ],
    ),
    (
        "sessions",
        &[
            "token_hash",
            "user_id",
            "created_at",
            "expires_at",
            "revoked",
        ],
    ),
    (
        "login_failures",
        &[
            "username",
            "address",
            "failures",
            "first_at",
            "locked_until",
        ],
    ),
    (
        "enrollment_codes",
        &[
            "code_hash",
            "user_id",
            "created_by",
            "created_at",
            "expires_at",
            "used_at",
            "device_id",
        ],
    ),
    (
        "revisions",
        &[
            "seq",
            "response_id",
            "rev",
            "rev_n",
            "parent_rev",
            "form_id",
            "form_version",
            "content_hash",
            "payload",
            "settlement",
            "device_id",
            "device_seq",
            "author_id",
            "saved_at",
            "received_at",
            "superseded",
        ],
    ),
    (
        "responses",
        &[
            "response_id",
            "form_id",
            "form_version",
            "head_rev",
            "head_seq",
            "settlement",
            "review_state",
            "conflict",
            "missing_parent",
            "updated_at",
            "projected_seq",
            "projected_state",
        ],
    ),
    (
        "review_events",
        &["id", "response_id", "state", "comment", "user_id", "at"],
    ),
    (
        "quarantine",
        &[
            "id",
            "device_id",
            "device_seq",
            "response_id",
            "rev",
            "settlement",
            "code",
            "detail",
            "item",
            "received_at",
            "resolved",
            "dismissed",
            "released_rev",
        ],
    ),
    (
        "device_items",
        &[
            "device_id",
            "device_seq",
            "response_id",
            "rev",
            "status",
            "server_seq",
            "quarantine_id",
        ],
    ),
    (
        "audit",
        &[
            "id",
            "at",
            "user_id",
            "device_id",
            "action",
            "target",
            "detail",
        ],
    ),
    (
        "strata",
        &["id", "form_id", "settlement", "form_version", "period", "n"],
    ),
    (
        "aggregates",
        &["stratum", "report", "cell", "s0", "s1", "s2", "s3"],
    ),
    (
        "openrosa_instances",
        &[
            "instance_id",
            "rev",
            "response_id",
            "parent_rev",
            "device_id",
            "status",
            "xml",
            "received_at",
        ],
    ),
    ("revision_attachments", &["seq", "name", "sha256", "size"]),
    ("attachment_parts", &["sha256", "start", "bytes"]),
    (
        "attachments",
        &["sha256", "size", "content_type", "received_at", "backed_up"],
    ),
    (
        "openrosa_files",
        &[
            "instance_id",
            "name",
            "sha256",
            "size",
            "device_id",
            "received_at",
        ],
    ),
    (
        "form_files",
        &["form_id", "version", "name", "sha256", "md5"],
    ),
];

/// The tables whose key PostgreSQL numbers itself (an identity column): after rows arrive
/// with their numbers, the next number must come after them.
const NUMBERED: &[(&str, &str)] = &[
    ("users", "id"),
    ("revisions", "seq"),
    ("review_events", "id"),
    ("quarantine", "id"),
    ("audit", "id"),
    ("strata", "id"),
];

/// One table as copied: its rows and a hash of their contents, the same on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    pub table: &'static str,
    pub rows: u64,
    pub sha256: String,
}

/// Copies every row of `from` into `to`, which must hold no accounts, devices or interviews
/// yet (a database just created by `Db::open`/`Db::open_postgres`), then compares both
/// table by table. The target's meta (its epoch) becomes the source's: devices carry on as if
/// nothing moved. Nothing is written to `to` unless the whole copy commits.
pub fn copy_database(from: &Db, to: &Db) -> Result<Vec<TableCopy>> {
    let used: i64 = to.read(|c| {
        c.query_row(
            "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM devices) + (SELECT COUNT(*) FROM revisions)",
            &[],
            |r| r.get(0),
        )
    })?;
    if used > 0 {
        return Err(StoreError::Conflict(
            "the target database already holds accounts, devices or interviews; migrate into a new, empty one".into(),
        ));
    }
    to.write(|t| {
        // What opening the target made on its own (forms are published by `serve`, not by
        // opening; the epoch and aggregates' bookkeeping are in meta) gives way to the source.
        for table in ["meta", "aggregates", "strata", "form_files", "forms", "settlements"] {
            t.execute(&format!("DELETE FROM {table}"), &[])?;
        }
        from.read(|f| {
            for (table, columns) in TABLES {
                let list = columns.join(", ");
                let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
                let insert = format!("INSERT INTO {table} ({list}) VALUES ({})", marks.join(", "));
                f.stream(&format!("SELECT {list} FROM {table}"), &[], |row| {
                    let values = (0..columns.len())
                        .map(|i| row.value(i))
                        .collect::<Result<Vec<Value>>>()?;
                    let params: Vec<&dyn Param> = values.iter().map(|v| v as &dyn Param).collect();
                    t.execute(&insert, &params)?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
        if t.is_pg() {
            for (table, column) in NUMBERED {
                t.execute(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
                    ),
                    &[],
                )?;
            }
        }
        Ok(())
    })?;
    let copied = from.read(summarize)?;
    let arrived = to.read(summarize)?;
    for (a, b) in copied.iter().zip(&arrived) {
        if a != b {
            return Err(StoreError::Invalid(format!(
                "table {} differs after the copy: {} row(s) (sha256 {}) in the source, {} (sha256 {}) in the target",
                a.table, a.rows, a.sha256, b.rows, b.sha256
            )));
        }
    }
    Ok(copied)
}

/// Each table's row count and a hash of its rows that neither the backend nor the order rows
/// come in changes: every row's values written out the same way, hashed, and the sorted row
/// hashes hashed again.
fn summarize(c: Sql<'_>) -> Result<Vec<TableCopy>> {
    TABLES
        .iter()
        .map(|(table, columns)| {
            let mut rows: Vec<String> = Vec::new();
            c.stream(
                &format!("SELECT {} FROM {table}", columns.join(", ")),
                &[],
                |row| {
                    let mut text = String::new();
                    for i in 0..row.len() {
                        let v = row.value(i)?;
                        text.push_str(&match v {
                            Value::Null => "\u{0}N".to_owned(),
                            Value::Int(n) => format!("\u{0}i{n}"),
                            Value::Real(x) => format!("\u{0}r{x:?}"),
                            Value::Text(s) => format!("\u{0}t{s}"),
                            Value::Blob(b) => {
                                format!("\u{0}b{}", baraza_schema::wire::content_hash(&b))
                            }
                        });
                    }
                    rows.push(baraza_schema::wire::content_hash(text.as_bytes()));
                    Ok(())
                },
            )?;
            rows.sort_unstable();
            Ok(TableCopy {
                table,
                rows: rows.len() as u64,
                sha256: baraza_schema::wire::content_hash(rows.concat().as_bytes()),
            })
        })
        .collect()
}
