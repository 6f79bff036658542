use argon2::password_hash::{SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use baraza_schema::api::{Role, User};
use chrono::{DateTime, Duration, Utc};

use super::sql::{Row, Sql};
use super::{Db, Result, StoreError, audit, now, random_token, token_hash};

/// Who is calling: a signed-in user (bearer session token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    /// An admin reset the password: until the user chooses one, nothing else is allowed.
    pub must_change_password: bool,
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
pub enum PasswordError {
    #[error("the current password is wrong")]
    WrongCurrent,
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
/// Failure counts kept at most (the oldest go first): a flood of names cannot grow the table.
const MAX_FAILURE_ROWS: i64 = 10_000;
/// Longer passwords are refused unhashed (Argon2 reads the whole password).
const MAX_PASSWORD_BYTES: usize = 1024;
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

const USER_COLUMNS: &str = "id, username, role, disabled, must_change_password";

/// A user row of `USER_COLUMNS`, without its settlements.
fn user_row(r: &Row<'_>) -> Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        role: Role::parse(&r.get::<String>(2)?).unwrap_or(Role::Enumerator),
        disabled: r.get::<i64>(3)? != 0,
        must_change_password: r.get::<i64>(4)? != 0,
        settlements: vec![],
    })
}

/// Refuses a change that would leave no enabled admin: nobody could manage accounts again
/// but through the command line.
fn keep_an_admin(tx: Sql<'_>, user_id: i64, what: &str) -> Result<()> {
    let others: i64 = tx.query_row(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id != ?1",
        &[&user_id],
        |r| r.get(0),
    )?;
    let is_admin: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1 AND role = 'admin' AND disabled = 0)",
        &[&user_id],
        |r| r.get(0),
    )?;
    if is_admin && others == 0 {
        return Err(StoreError::Conflict(format!(
            "this is the last enabled admin: {what} would leave nobody to manage accounts"
        )));
    }
    Ok(())
}

fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < 8 {
        return Err(StoreError::Invalid(
            "passwords need at least 8 characters".into(),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(StoreError::Invalid(format!(
            "passwords are at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Ends every open session of a user, inside the caller's transaction.
fn end_sessions_in(tx: Sql<'_>, user_id: i64) -> Result<usize> {
    tx.execute(
        "UPDATE sessions SET revoked = 1 WHERE user_id = ?1 AND revoked = 0",
        &[&user_id],
    )
}

impl Db {
    /// One account with its settlements.
    fn user(&self, user_id: i64) -> Result<User> {
        self.users()?
            .into_iter()
            .find(|u| u.id == user_id)
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))
    }

    /// Test hook: makes a session expire now. Not audited: no deployment can call it.
    #[cfg(feature = "test-hooks")]
    pub fn expire_session(&self, token: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE sessions SET expires_at = ?2 WHERE token_hash = ?1",
                &[&token_hash(token), &"1970-01-01T00:00:00Z"],
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

    /// Checks a password and opens a session. Throttled per username and address: after
    /// `MAX_FAILURES` failures from one address within the window, the name is locked for a
    /// while *at that address*, whatever password comes next; its owner elsewhere still signs
    /// in. A name no account could have (`valid_username`) or an oversized password is
    /// refused before any hashing or writing.
    fn login(
        &self,
        username: &str,
        address: &str,
        password: &str,
    ) -> std::result::Result<(String, Caller, String), LoginError>;

    /// Checks a password as `login` does (the same throttling, failure counting and audit of
    /// failures) without opening a session: for clients that send credentials with every
    /// request (OpenRosa's Basic).
    fn verify_login(
        &self,
        username: &str,
        address: &str,
        password: &str,
    ) -> std::result::Result<Caller, LoginError>;

    /// The caller behind a session token.
    fn session(&self, token: &str) -> std::result::Result<Caller, SessionError>;

    fn logout(&self, token: &str, user_id: i64) -> Result<()>;

    /// One account, by name.
    fn user_by_name(&self, username: &str) -> Result<User>;

    /// An admin (or the command line, `by: None`) sets a user's password: the user must
    /// choose their own at the next sign-in, and every session they hold ends now.
    fn reset_password(&self, user_id: i64, password: &str, by: Option<i64>) -> Result<()>;

    /// A user changes their own password, proving the current one; the must-change mark
    /// goes, and every other session of theirs ends (`keep` is the one they are using).
    fn change_password(
        &self,
        user_id: i64,
        keep: &str,
        current: &str,
        new: &str,
    ) -> std::result::Result<(), PasswordError>;

    /// Disables or enables an account. Disabling ends its sessions at once (its devices keep
    /// syncing until revoked); the last enabled admin cannot be disabled.
    fn set_disabled(&self, user_id: i64, disabled: bool, by: Option<i64>) -> Result<User>;

    /// Changes an account's role, effective for its sessions at once; the last enabled admin
    /// keeps theirs.
    fn set_role(&self, user_id: i64, role: Role, by: Option<i64>) -> Result<User>;

    /// Ends every session of a user; returns how many were open.
    fn end_sessions(&self, user_id: i64, by: Option<i64>) -> Result<usize>;

    /// Turns ODK Collect's Digest sign-in on or off for the database (every server of it
    /// should start with the same choice): while on, setting an enumerator's password also
    /// keeps MD5(username:realm:password) (`DIGEST_REALM`); off, every such hash is deleted.
    fn set_odk_digest(&self, on: bool) -> Result<()>;

    /// The enabled enumerator of this name and their Digest hash, if one is kept.
    fn digest_credential(&self, username: &str) -> Result<Option<(i64, String)>>;
}

/// The realm of ODK Collect's Digest sign-in: part of every Digest hash kept.
pub const DIGEST_REALM: &str = "Baraza";

/// The meta key that says Digest sign-in is on: set by `UserStore::set_odk_digest`, read as
/// each password is set, so the command line and every server of a database agree.
const ODK_DIGEST: &str = "odk_digest";

/// The Digest hash to keep with a new password (in its transaction): only for an enumerator
/// (the one role that signs in from ODK Collect) and only while Digest sign-in is on.
fn digest_ha1(tx: Sql<'_>, username: &str, role: Role, password: &str) -> Result<Option<String>> {
    use md5::Digest as _;
    if role != Role::Enumerator || super::get_meta(tx, ODK_DIGEST)?.is_none() {
        return Ok(None);
    }
    Ok(Some(baraza_schema::hex(&md5::Md5::digest(
        format!("{username}:{DIGEST_REALM}:{password}").as_bytes(),
    ))))
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
        check_password(password)?;
        let hash = hash_password(password)?;
        self.write(|tx| {
            let ha1 = digest_ha1(tx, username, role, password)?;
            // ON CONFLICT: another server may create the same name at the same moment.
            let id: i64 = tx
                .query_opt(
                    "INSERT INTO users (username, role, password_hash, created_at, digest_ha1) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (username) DO NOTHING RETURNING id",
                    &[&username, &role.as_str(), &hash, &now(), &ha1],
                    |r| r.get(0),
                )?
                .ok_or_else(|| StoreError::Conflict(format!("user {username:?} already exists")))?;
            audit::record(tx, by, None, "user.create", &format!("user:{id}"), &format!("{username} as {}", role.as_str()))?;
            Ok(User { id, username: username.into(), role, disabled: false, must_change_password: false, settlements: vec![] })
        })
    }

    fn user_count(&self) -> Result<i64> {
        self.read(|c| c.query_row("SELECT COUNT(*) FROM users", &[], |r| r.get(0)))
    }

    fn users(&self) -> Result<Vec<User>> {
        self.read(|c| {
            let users = c.query_map(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"), &[], user_row)?;
            users
                .into_iter()
                .map(|mut u| {
                    u.settlements = c.query_map(
                        "SELECT settlement FROM supervisor_settlements WHERE user_id = ?1 ORDER BY settlement",
                        &[&u.id],
                        |r| r.get(0),
                    )?;
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
            let role: Option<String> =
                tx.query_opt("SELECT role FROM users WHERE id = ?1", &[&user_id], |r| {
                    r.get(0)
                })?;
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
                &[&user_id],
            )?;
            for s in settlements {
                let known: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM settlements WHERE code = ?1)",
                    &[&s],
                    |r| r.get(0),
                )?;
                if !known {
                    return Err(StoreError::Invalid(format!("unknown settlement {s:?}")));
                }
                tx.execute(
                    "INSERT INTO supervisor_settlements (user_id, settlement) VALUES (?1, ?2)",
                    &[&user_id, &s],
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
        address: &str,
        password: &str,
    ) -> std::result::Result<(String, Caller, String), LoginError> {
        let caller = self.verify_login(username, address, password)?;
        let token = random_token();
        let expires = (Utc::now() + Duration::hours(SESSION_HOURS))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let user_id = caller.user_id;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                &[&token_hash(&token), &user_id, &now(), &expires],
            )?;
            audit::record(tx, Some(user_id), None, "auth.login", &format!("user:{user_id}"), "")
        })?;
        Ok((token, caller, expires))
    }

    fn verify_login(
        &self,
        username: &str,
        address: &str,
        password: &str,
    ) -> std::result::Result<Caller, LoginError> {
        if !valid_username(username) || password.len() > MAX_PASSWORD_BYTES {
            return Err(LoginError::BadCredentials);
        }
        let now_t = Utc::now();
        let row: Option<(i64, String, String, i64)> = self.read(|c| {
            c.query_opt(
                "SELECT id, role, password_hash, disabled FROM users WHERE username = ?1",
                &[&username],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
        })?;
        let locked_until: Option<String> = self.read(|c| {
            Ok(c.query_opt(
                "SELECT locked_until FROM login_failures WHERE username = ?1 AND address = ?2",
                &[&username, &address],
                |r| r.get(0),
            )?
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
                // Counts past their window and lock go; the table stays bounded whatever
                // names a flood tries.
                let window_start = (now_t - Duration::minutes(FAILURE_WINDOW_MINUTES)).to_rfc3339();
                tx.execute(
                    "DELETE FROM login_failures WHERE first_at < ?1 AND (locked_until IS NULL OR locked_until < ?2)",
                    &[&window_start, &now_t.to_rfc3339()],
                )?;
                tx.execute(
                    "DELETE FROM login_failures WHERE (username, address) IN (SELECT username, address FROM login_failures
                     ORDER BY first_at LIMIT (SELECT CASE WHEN COUNT(*) > ?1 THEN COUNT(*) - ?1 ELSE 0 END FROM login_failures))",
                    &[&MAX_FAILURE_ROWS],
                )?;
                let first: Option<(i64, String)> = tx
                    .query_opt("SELECT failures, first_at FROM login_failures WHERE username = ?1 AND address = ?2", &[&username, &address], |r| Ok((r.get(0)?, r.get(1)?)))?;
                let in_window = first.as_ref().and_then(|(_, at)| parse_time(at)).is_some_and(|t| now_t - t < Duration::minutes(FAILURE_WINDOW_MINUTES));
                let (failures, first_at) = match first {
                    Some((n, at)) if in_window => (n + 1, at),
                    _ => (1, now()),
                };
                let locked = (failures >= MAX_FAILURES).then(|| (now_t + Duration::minutes(LOCK_MINUTES)).to_rfc3339());
                tx.execute(
                    "INSERT INTO login_failures (username, address, failures, first_at, locked_until) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (username, address) DO UPDATE SET failures = excluded.failures, first_at = excluded.first_at, locked_until = excluded.locked_until",
                    &[&username, &address, &failures, &first_at, &locked],
                )?;
                // The name as typed, cut short: a failed login may name no account at all.
                let name: String = username.chars().take(64).collect();
                let detail = match &locked {
                    Some(until) => format!("failure {failures} from {address}; the name is locked there until {until}"),
                    None => format!("failure {failures} from {address}"),
                };
                audit::record(tx, known, None, "auth.login_failed", &format!("username:{name}"), &detail)
            })?;
            return Err(LoginError::BadCredentials);
        };
        self.write(|tx| {
            tx.execute(
                "DELETE FROM login_failures WHERE username = ?1 AND address = ?2",
                &[&username, &address],
            )?;
            Ok(())
        })?;
        let must_change_password = self.read(|c| {
            Ok(c.query_row(
                "SELECT must_change_password FROM users WHERE id = ?1",
                &[&user_id],
                |r| r.get::<i64>(0),
            )? != 0)
        })?;
        let caller = Caller {
            user_id,
            username: username.into(),
            role: Role::parse(&role).unwrap_or(Role::Enumerator),
            must_change_password,
        };
        Ok(caller)
    }

    fn session(&self, token: &str) -> std::result::Result<Caller, SessionError> {
        type Row = (i64, String, String, String, i64, i64, i64);
        let row: Option<Row> = self.read(|c| {
            c.query_opt(
                "SELECT u.id, u.username, u.role, s.expires_at, s.revoked, u.disabled, u.must_change_password
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1", &[&token_hash(token)],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                },
            )
        })?;
        let Some((user_id, username, role, expires, revoked, disabled, must_change)) = row else {
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
            must_change_password: must_change != 0,
        })
    }

    fn user_by_name(&self, username: &str) -> Result<User> {
        self.users()?
            .into_iter()
            .find(|u| u.username == username)
            .ok_or_else(|| StoreError::NotFound(format!("user {username:?}")))
    }

    fn reset_password(&self, user_id: i64, password: &str, by: Option<i64>) -> Result<()> {
        check_password(password)?;
        let hash = hash_password(password)?;
        let user = self.user(user_id)?;
        self.write(|tx| {
            let ha1 = digest_ha1(tx, &user.username, user.role, password)?;
            let n = tx.execute(
                "UPDATE users SET password_hash = ?2, must_change_password = 1, digest_ha1 = ?3 WHERE id = ?1",
                &[&user_id, &hash, &ha1],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("user {user_id}")));
            }
            let ended = end_sessions_in(tx, user_id)?;
            // A reset also lifts the name's locks everywhere: `baraza user passwd admin` is
            // the way back in for an admin an attacker keeps locked out.
            tx.execute(
                "DELETE FROM login_failures WHERE username = (SELECT username FROM users WHERE id = ?1)", &[&user_id],
            )?;
            audit::record(
                tx,
                by,
                None,
                "user.password_reset",
                &format!("user:{user_id}"),
                &format!("{ended} session(s) ended; must change at next sign-in"),
            )
        })
    }

    fn change_password(
        &self,
        user_id: i64,
        keep: &str,
        current: &str,
        new: &str,
    ) -> std::result::Result<(), PasswordError> {
        check_password(new)?;
        let hash: String = self.read(|c| {
            c.query_row(
                "SELECT password_hash FROM users WHERE id = ?1",
                &[&user_id],
                |r| r.get(0),
            )
        })?;
        if !verify_password(current, &hash) {
            return Err(PasswordError::WrongCurrent);
        }
        let new_hash = hash_password(new)?;
        let user = self.user(user_id)?;
        self.write(|tx| {
            let ha1 = digest_ha1(tx, &user.username, user.role, new)?;
            tx.execute(
                "UPDATE users SET password_hash = ?2, must_change_password = 0, digest_ha1 = ?3 WHERE id = ?1",
                &[&user_id, &new_hash, &ha1],
            )?;
            let ended = tx.execute(
                "UPDATE sessions SET revoked = 1 WHERE user_id = ?1 AND revoked = 0 AND token_hash != ?2",
                &[&user_id, &token_hash(keep)],
            )?;
            audit::record(tx, Some(user_id), None, "user.password_change", &format!("user:{user_id}"), &format!("{ended} other session(s) ended"))
        })?;
        Ok(())
    }

    fn set_disabled(&self, user_id: i64, disabled: bool, by: Option<i64>) -> Result<User> {
        self.write(|tx| {
            if disabled {
                keep_an_admin(tx, user_id, "disabling it")?;
            }
            let n = tx.execute(
                "UPDATE users SET disabled = ?2 WHERE id = ?1",
                &[&user_id, &i64::from(disabled)],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("user {user_id}")));
            }
            let (action, detail) = if disabled {
                let ended = end_sessions_in(tx, user_id)?;
                ("user.disable", format!("{ended} session(s) ended"))
            } else {
                ("user.enable", String::new())
            };
            audit::record(tx, by, None, action, &format!("user:{user_id}"), &detail)
        })?;
        self.user(user_id)
    }

    fn set_role(&self, user_id: i64, role: Role, by: Option<i64>) -> Result<User> {
        self.write(|tx| {
            if role != Role::Admin {
                keep_an_admin(tx, user_id, "changing its role")?;
            }
            let n = tx.execute(
                "UPDATE users SET role = ?2 WHERE id = ?1",
                &[&user_id, &role.as_str()],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("user {user_id}")));
            }
            audit::record(
                tx,
                by,
                None,
                "user.role",
                &format!("user:{user_id}"),
                role.as_str(),
            )
        })?;
        self.user(user_id)
    }

    fn end_sessions(&self, user_id: i64, by: Option<i64>) -> Result<usize> {
        self.write(|tx| {
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1)",
                &[&user_id],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(StoreError::NotFound(format!("user {user_id}")));
            }
            let ended = end_sessions_in(tx, user_id)?;
            audit::record(
                tx,
                by,
                None,
                "user.sessions_end",
                &format!("user:{user_id}"),
                &format!("{ended} session(s) ended"),
            )?;
            Ok(ended)
        })
    }

    fn set_odk_digest(&self, on: bool) -> Result<()> {
        self.write(|tx| {
            if on {
                return super::set_meta(tx, ODK_DIGEST, "on");
            }
            super::delete_meta(tx, ODK_DIGEST)?;
            tx.execute(
                "UPDATE users SET digest_ha1 = NULL WHERE digest_ha1 IS NOT NULL",
                &[],
            )?;
            Ok(())
        })
    }

    fn digest_credential(&self, username: &str) -> Result<Option<(i64, String)>> {
        self.read(|c| {
            c.query_opt(
                "SELECT id, digest_ha1 FROM users
                 WHERE username = ?1 AND role = 'enumerator' AND disabled = 0 AND digest_ha1 IS NOT NULL",
                &[&username],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
    }

    fn logout(&self, token: &str, user_id: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE sessions SET revoked = 1 WHERE token_hash = ?1",
                &[&token_hash(token)],
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
