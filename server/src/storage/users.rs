use argon2::password_hash::{SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use baraza_schema::api::{Role, User};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Db, Result, StoreError, audit, now, random_token, token_hash};

/// Who is calling: a signed-in user (bearer session token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many failed logins; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the session token is not valid")]
    Invalid,
    #[error("the session has expired; log in again")]
    Expired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Failed logins allowed per username within the window before it is locked.
const MAX_FAILURES: i64 = 5;
const FAILURE_WINDOW_MINUTES: i64 = 15;
const LOCK_MINUTES: i64 = 15;
const SESSION_HOURS: i64 = 12;

/// Argon2id with 7 MiB and 5 passes: one of the settings OWASP's password storage cheat
/// sheet lists as equal in strength to the crate's default (19 MiB, 2 passes), chosen for the
/// smaller memory a login holds on a small server. Stored hashes carry their parameters, so
/// hashes made with other settings still verify.
fn hasher() -> Argon2<'static> {
    let params = argon2::Params::new(7 * 1024, 5, 1, None).unwrap_or_default();
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("cannot hash password: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| hasher().verify_password(password.as_bytes(), &h).is_ok())
}

/// Checked usernames: 1–64 characters of letters, digits, `_ . -`.
pub fn valid_username(u: &str) -> bool {
    (1..=64).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl Db {
    /// Test hook: makes a session expire now. Not audited: no deployment can call it.
    #[cfg(feature = "test-hooks")]
    pub fn expire_session(&self, token: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE sessions SET expires_at = ?2 WHERE token_hash = ?1",
                params![token_hash(token), "1970-01-01T00:00:00Z"],
            )?;
            Ok(())
        })
    }
}

/// Accounts, sessions and login throttling.
pub trait UserStore {
    fn create_user(
        &self,
        username: &str,
        role: Role,
        password: &str,
        by: Option<i64>,
    ) -> Result<User>;

    fn user_count(&self) -> Result<i64>;

    fn users(&self) -> Result<Vec<User>>;

    /// Replaces the settlements a supervisor reviews.
    fn assign_settlements(
        &self,
        user_id: i64,
        settlements: &[String],
        by: Option<i64>,
    ) -> Result<()>;

    /// Checks a password and opens a session. Throttled per username: after
    /// `MAX_FAILURES` failures within the window the name is locked for a while, whatever
    /// password comes next.
    fn login(
        &self,
        username: &str,
        password: &str,
    ) -> std::result::Result<(String, Caller, String), LoginError>;

    /// The caller behind a session token.
    fn session(&self, token: &str) -> std::result::Result<Caller, SessionError>;

    fn logout(&self, token: &str, user_id: i64) -> Result<()>;
}

impl UserStore for Db {
    fn create_user(
        &self,
        username: &str,
        role: Role,
        password: &str,
        by: Option<i64>,
    ) -> Result<User> {
        if !valid_username(username) {
            return Err(StoreError::Invalid(
                "usernames are 1–64 letters, digits, '_', '.' or '-'".into(),
            ));
        }
        if password.chars().count() < 8 {
            return Err(StoreError::Invalid(
                "passwords need at least 8 characters".into(),
            ));
        }
        let hash = hash_password(password)?;
        self.write(|tx| {
            let exists: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)", [username], |r| r.get(0))?;
            if exists {
                return Err(StoreError::Conflict(format!("user {username:?} already exists")));
            }
            tx.execute(
                "INSERT INTO users (username, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![username, role.as_str(), hash, now()],
            )?;
            let id = tx.last_insert_rowid();
            audit::record(tx, by, None, "user.create", &format!("user:{id}"), &format!("{username} as {}", role.as_str()))?;
            Ok(User { id, username: username.into(), role, disabled: false, settlements: vec![] })
        })
    }

    fn user_count(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?))
    }

    fn users(&self) -> Result<Vec<User>> {
        self.read(|c| {
            let mut st = c.prepare("SELECT id, username, role, disabled FROM users ORDER BY id")?;
            let users: Vec<User> = st
                .query_map([], |r| {
                    Ok(User {
                        id: r.get(0)?,
                        username: r.get(1)?,
                        role: Role::parse(&r.get::<_, String>(2)?).unwrap_or(Role::Enumerator),
                        disabled: r.get::<_, i64>(3)? != 0,
                        settlements: vec![],
                    })
                })?
                .collect::<std::result::Result<_, _>>()?;
            let mut st = c.prepare("SELECT settlement FROM supervisor_settlements WHERE user_id = ?1 ORDER BY settlement")?;
            users
                .into_iter()
                .map(|mut u| {
                    u.settlements = st.query_map([u.id], |r| r.get(0))?.collect::<std::result::Result<_, _>>()?;
                    Ok(u)
                })
                .collect()
        })
    }

    fn assign_settlements(
        &self,
        user_id: i64,
        settlements: &[String],
        by: Option<i64>,
    ) -> Result<()> {
        self.write(|tx| {
            let role: Option<String> = tx
                .query_row("SELECT role FROM users WHERE id = ?1", [user_id], |r| {
                    r.get(0)
                })
                .optional()?;
            match role.as_deref() {
                None => return Err(StoreError::NotFound(format!("user {user_id}"))),
                Some("supervisor") => {}
                Some(other) => {
                    return Err(StoreError::Invalid(format!(
                        "only supervisors are assigned settlements; this user is {other}"
                    )));
                }
            }
            tx.execute(
                "DELETE FROM supervisor_settlements WHERE user_id = ?1",
                [user_id],
            )?;
            for s in settlements {
                let known: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM settlements WHERE code = ?1)",
                    [s],
                    |r| r.get(0),
                )?;
                if !known {
                    return Err(StoreError::Invalid(format!("unknown settlement {s:?}")));
                }
                tx.execute(
                    "INSERT INTO supervisor_settlements (user_id, settlement) VALUES (?1, ?2)",
                    params![user_id, s],
                )?;
            }
            audit::record(
                tx,
                by,
                None,
                "user.settlements",
                &format!("user:{user_id}"),
                &settlements.join(","),
            )
        })
    }

    fn login(
        &self,
        username: &str,
        password: &str,
    ) -> std::result::Result<(String, Caller, String), LoginError> {
        let now_t = Utc::now();
        let row: Option<(i64, String, String, i64)> = self.read(|c| {
            Ok(c.query_row(
                "SELECT id, role, password_hash, disabled FROM users WHERE username = ?1",
                [username],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?)
        })?;
        let locked_until: Option<String> = self.read(|c| {
            Ok(c.query_row(
                "SELECT locked_until FROM login_failures WHERE username = ?1",
                [username],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
        })?;
        if let Some(until) = locked_until
            .as_deref()
            .and_then(parse_time)
            .filter(|t| *t > now_t)
        {
            let secs = (until - now_t).num_seconds().max(1) as u64;
            return Err(LoginError::Throttled {
                retry_after_secs: secs,
            });
        }
        // Verify even for unknown users so timing does not reveal which names exist.
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let ok = match &row {
            Some((_, _, hash, disabled)) => verify_password(password, hash) && *disabled == 0,
            None => {
                let dummy =
                    DUMMY.get_or_init(|| hash_password("not a real password").unwrap_or_default());
                verify_password(password, dummy);
                false
            }
        };
        let known = row.as_ref().map(|r| r.0);
        let Some((user_id, role, _, _)) = row.filter(|_| ok) else {
            self.write(|tx| {
                let first: Option<(i64, String)> = tx
                    .query_row("SELECT failures, first_at FROM login_failures WHERE username = ?1", [username], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                let in_window = first.as_ref().and_then(|(_, at)| parse_time(at)).is_some_and(|t| now_t - t < Duration::minutes(FAILURE_WINDOW_MINUTES));
                let (failures, first_at) = match first {
                    Some((n, at)) if in_window => (n + 1, at),
                    _ => (1, now()),
                };
                let locked = (failures >= MAX_FAILURES).then(|| (now_t + Duration::minutes(LOCK_MINUTES)).to_rfc3339());
                tx.execute(
                    "INSERT INTO login_failures (username, failures, first_at, locked_until) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, first_at = excluded.first_at, locked_until = excluded.locked_until",
                    params![username, failures, first_at, locked],
                )?;
                // The name as typed, cut short: a failed login may name no account at all.
                let name: String = username.chars().take(64).collect();
                let detail = match &locked {
                    Some(until) => format!("failure {failures}; the name is locked until {until}"),
                    None => format!("failure {failures}"),
                };
                audit::record(tx, known, None, "auth.login_failed", &format!("username:{name}"), &detail)
            })?;
            return Err(LoginError::BadCredentials);
        };
        let token = random_token();
        let expires = (now_t + Duration::hours(SESSION_HOURS))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.write(|tx| {
            tx.execute("DELETE FROM login_failures WHERE username = ?1", [username])?;
            tx.execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![token_hash(&token), user_id, now(), expires],
            )?;
            audit::record(tx, Some(user_id), None, "auth.login", &format!("user:{user_id}"), "")
        })?;
        let caller = Caller {
            user_id,
            username: username.into(),
            role: Role::parse(&role).unwrap_or(Role::Enumerator),
        };
        Ok((token, caller, expires))
    }

    fn session(&self, token: &str) -> std::result::Result<Caller, SessionError> {
        let row: Option<(i64, String, String, String, i64, i64)> = self.read(|c| {
            Ok(c.query_row(
                "SELECT u.id, u.username, u.role, s.expires_at, s.revoked, u.disabled
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1",
                [token_hash(token)],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()?)
        })?;
        let Some((user_id, username, role, expires, revoked, disabled)) = row else {
            return Err(SessionError::Invalid);
        };
        if revoked != 0 || disabled != 0 {
            return Err(SessionError::Invalid);
        }
        if parse_time(&expires).is_none_or(|t| t <= Utc::now()) {
            return Err(SessionError::Expired);
        }
        Ok(Caller {
            user_id,
            username,
            role: Role::parse(&role).unwrap_or(Role::Enumerator),
        })
    }

    fn logout(&self, token: &str, user_id: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE sessions SET revoked = 1 WHERE token_hash = ?1",
                [token_hash(token)],
            )?;
            audit::record(
                tx,
                Some(user_id),
                None,
                "auth.logout",
                &format!("user:{user_id}"),
                "",
            )
        })
    }
}
