use super::sql::{Row, Sql, named};
use super::{Caller, Db, Result, Role, StoreError, audit, now, random_token, token_hash};
use baraza_schema::api::{Device, Enrollment, EnrollmentCode, Rejoin};
use baraza_schema::wire::PushRequest;

/// The devices (`d`) a caller manages, as a condition bound to `:caller`: an admin, every
/// one; a supervisor, those that sent into their settlements and those that have sent
/// nothing yet (a phone just enrolled), never another team's working phone.
pub(super) fn device_scope(caller: &Caller) -> String {
    match caller.role {
        Role::Admin => "(:caller = :caller)".into(),
        _ => "(EXISTS (SELECT 1 FROM revisions v WHERE v.device_id = d.id
                 AND v.settlement IN (SELECT settlement FROM supervisor_settlements WHERE user_id = :caller))
               OR NOT EXISTS (SELECT 1 FROM revisions v WHERE v.device_id = d.id))"
            .into(),
    }
}

fn device_row(r: &Row<'_>) -> Result<Device> {
    Ok(Device {
        id: r.get(0)?,
        user_id: r.get(1)?,
        created_at: r.get(2)?,
        revoked_at: r.get(3)?,
        acked_through_seq: r.get(4)?,
    })
}

const DEVICE_COLUMNS: &str = "id, user_id, created_at, revoked_at, acked_through_seq";

/// Enrolled devices and their credentials.
pub trait DeviceStore {
    /// Enrolls a phone for `user_id`: a new device, or with `rejoin` the phone's own id again
    /// (`rejoin_device`).
    fn enroll_device(&self, user_id: i64, rejoin: Option<&Rejoin>) -> Result<Enrollment>;

    /// The device behind a credential, revoked or not (the caller decides what a revoked
    /// device may still do).
    fn device_by_token(&self, token: &str) -> Result<Option<Device>>;

    /// A device by id, revoked or not.
    fn device(&self, device_id: &str) -> Result<Device>;

    /// The devices `caller` may manage (`device_scope`).
    fn devices(&self, caller: &Caller) -> Result<Vec<Device>>;

    /// Revokes a device `caller` may manage (`device_scope`); another is not found.
    fn revoke_device(&self, caller: &Caller, device_id: &str) -> Result<()>;

    /// A one-time code that enrolls one phone for the enabled enumerator `user_id` within
    /// `CODE_MINUTES`; only its hash is kept.
    fn create_enrollment_code(&self, user_id: i64, by: Option<i64>) -> Result<EnrollmentCode>;

    /// Enrolls a phone with a code (case, spaces and dashes ignored); the code is used up in
    /// the same transaction. `None`: no such code, or used, or expired, or its enumerator
    /// disabled. `rejoin` as for [`DeviceStore::enroll_device`].
    fn enroll_with_code(&self, code: &str, rejoin: Option<&Rejoin>) -> Result<Option<Enrollment>>;

    /// The device an imported file names. One this server does not know — restored from a
    /// backup older than the phone's enrollment — is made again for the user the file names,
    /// with no credential (the phone gets one when it rejoins) and the items below the file's
    /// first counted as released, as `rejoin_device` does.
    fn device_for_import(&self, req: &PushRequest) -> Result<Device>;

    /// A device for the enabled enumerator `user_id` made by `by` for an OpenRosa client (ODK
    /// Collect), whose credential goes into the client's server URL: (device id, credential,
    /// username).
    fn create_odk_device(&self, user_id: i64, by: i64) -> Result<(String, String, String)>;

    /// The OpenRosa device behind a key (revoked or not); a Baraza client's credential is not
    /// one.
    fn openrosa_device_by_token(&self, token: &str) -> Result<Option<Device>>;

    /// The device an enumerator signing in with a password (Basic over HTTPS) acts as: their
    /// newest one not revoked, made the first time.
    fn openrosa_password_device(&self, user_id: i64) -> Result<Device>;
}

/// How long an enrollment code stays usable.
pub const CODE_MINUTES: i64 = 15;

/// Letters and digits that cannot be misread for one another (no 0/O, 1/I/L, 5/S, 2/Z).
const CODE_ALPHABET: &[u8; 28] = b"ABCDEFGHJKMNPQRTUVWXY3456789";

/// A code as its hash is looked up: upper case, only the alphabet's characters.
fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The username of `user_id` if it is an enabled enumerator (phones are enrolled for them).
fn enabled_enumerator(tx: Sql<'_>, user_id: i64) -> Result<String> {
    let user: Option<(String, String, i64)> = tx.query_opt(
        "SELECT username, role, disabled FROM users WHERE id = ?1",
        &[&user_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let Some((username, role, disabled)) = user else {
        return Err(StoreError::NotFound(format!("user {user_id}")));
    };
    if role != "enumerator" || disabled != 0 {
        return Err(StoreError::Invalid(format!(
            "{username} is not an enabled enumerator; phones are enrolled for enumerators"
        )));
    }
    Ok(username)
}

/// Inserts a device for `user_id` and its audit entry, inside the caller's transaction; with
/// `rejoin`, gives the phone its own id again (`rejoin_device`).
fn insert_device(
    tx: Sql<'_>,
    user_id: i64,
    how: &str,
    rejoin: Option<&Rejoin>,
) -> Result<(String, String)> {
    let device_token = random_token();
    if let Some(r) = rejoin {
        rejoin_device(tx, user_id, r, &token_hash(&device_token), how)?;
        return Ok((r.device_id.clone(), device_token));
    }
    let device_id = uuid::Uuid::new_v4().to_string();
    tx.execute(
        "INSERT INTO devices (id, user_id, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        &[&device_id, &user_id, &token_hash(&device_token), &now()],
    )?;
    audit::record(
        tx,
        Some(user_id),
        Some(&device_id),
        "device.enroll",
        &format!("device:{device_id}"),
        how,
    )?;
    Ok((device_id, device_token))
}

/// A phone this server does not know, or knows without a working credential, takes its own
/// id again for `user_id` with the credential whose hash is `token_hash` (DESIGN.md, Sync: no
/// phone is stranded by a restore). The items below `first_seq` count as acknowledged: the
/// phone released them under an earlier backup, and acknowledgements only move over
/// contiguous sequence numbers, so without this what it still holds would never be
/// acknowledged. A device of another user, a revoked one or an ODK Collect's is refused.
fn rejoin_device(tx: Sql<'_>, user_id: i64, r: &Rejoin, token_hash: &str, how: &str) -> Result<()> {
    let id = &r.device_id;
    if uuid::Uuid::parse_str(id).map(|u| u.to_string()).as_deref() != Ok(id.as_str()) {
        return Err(StoreError::Invalid(format!(
            "{id:?} is not a device id (a UUID in lower case with dashes)"
        )));
    }
    let released = i64::try_from(r.first_seq.saturating_sub(1))
        .map_err(|_| StoreError::Invalid("first_seq is beyond 2^63".into()))?;
    super::sync::lock_device_id(tx, id)?;
    super::sync::lock_device(tx, id)?;
    let found: Option<(i64, Option<String>, Option<String>)> = tx.query_opt(
        "SELECT user_id, revoked_at, openrosa FROM devices WHERE id = ?1",
        &[id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    match found {
        None => {
            tx.execute(
                "INSERT INTO devices (id, user_id, token_hash, created_at, acked_through_seq) VALUES (?1, ?2, ?3, ?4, ?5)",
                &[id, &user_id, &token_hash, &now(), &released],
            )?;
        }
        Some((owner, ..)) if owner != user_id => {
            return Err(StoreError::Conflict(
                "this phone was enrolled for another user: sign in as that user".into(),
            ));
        }
        Some((_, Some(_), _)) => {
            return Err(StoreError::Conflict(
                "this phone was revoked; its records can still be exported and imported".into(),
            ));
        }
        Some((_, _, Some(_))) => {
            return Err(StoreError::Conflict(
                "that device id belongs to an ODK Collect".into(),
            ));
        }
        Some(_) => {
            tx.execute(
                "UPDATE devices SET token_hash = ?2,
                   acked_through_seq = CASE WHEN acked_through_seq < ?3 THEN ?3 ELSE acked_through_seq END
                 WHERE id = ?1",
                &[id, &token_hash, &released],
            )?;
        }
    }
    super::sync::advance_ack(tx, id)?;
    audit::record(
        tx,
        Some(user_id),
        Some(id),
        "device.rejoin",
        &format!("device:{id}"),
        &format!("{how}; its items below {} count as released", r.first_seq),
    )
}

impl DeviceStore for Db {
    fn enroll_device(&self, user_id: i64, rejoin: Option<&Rejoin>) -> Result<Enrollment> {
        let server_epoch = self.epoch()?;
        let (device_id, device_token, username) = self.write(|tx| {
            let (id, token) = insert_device(tx, user_id, "with a password", rejoin)?;
            let username: String = tx.query_row(
                "SELECT username FROM users WHERE id = ?1",
                &[&user_id],
                |r| r.get(0),
            )?;
            Ok((id, token, username))
        })?;
        Ok(Enrollment {
            device_id,
            device_token,
            server_epoch,
            username,
        })
    }

    fn create_enrollment_code(&self, user_id: i64, by: Option<i64>) -> Result<EnrollmentCode> {
        let random = random_token();
        // 8 characters from the random token's bytes (hex pairs), each mapped into the alphabet.
        let code: String = random
            .as_bytes()
            .chunks(2)
            .take(8)
            .map(|pair| {
                let byte =
                    u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("00"), 16).unwrap_or(0);
                CODE_ALPHABET[usize::from(byte) % CODE_ALPHABET.len()] as char
            })
            .collect();
        // The same format as `now()`, so that the expiry compares as text.
        let expires_at = (chrono::Utc::now() + chrono::Duration::minutes(CODE_MINUTES))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let username = self.write(|tx| {
            let username = enabled_enumerator(tx, user_id)?;
            tx.execute(
                "INSERT INTO enrollment_codes (code_hash, user_id, created_by, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                &[&token_hash(&code), &user_id, &by, &now(), &expires_at],
            )?;
            audit::record(tx, by, None, "device.code", &format!("user:{user_id}"), &format!("expires {expires_at}"))?;
            Ok(username)
        })?;
        Ok(EnrollmentCode {
            code: format!("{}-{}", &code[..4], &code[4..]),
            user_id,
            username,
            expires_at,
        })
    }

    fn create_odk_device(&self, user_id: i64, by: i64) -> Result<(String, String, String)> {
        self.write(|tx| {
            let username = enabled_enumerator(tx, user_id)?;
            let (device_id, token) = insert_device(tx, user_id, "for ODK Collect", None)?;
            tx.execute(
                "UPDATE devices SET openrosa = 'key' WHERE id = ?1",
                &[&device_id],
            )?;
            audit::record(
                tx,
                Some(by),
                Some(&device_id),
                "device.odk_key",
                &format!("user:{user_id}"),
                &username,
            )?;
            Ok((device_id, token, username))
        })
    }

    fn enroll_with_code(&self, code: &str, rejoin: Option<&Rejoin>) -> Result<Option<Enrollment>> {
        let hash = token_hash(&normalize_code(code));
        let server_epoch = self.epoch()?;
        let now_t = now();
        let enrolled = self.write(|tx| {
            // On PostgreSQL the code's row is locked: a second server using the same code at
            // once waits, then finds it used.
            let found: Option<(i64, String)> = tx.query_opt(
                tx.pick(
                    "SELECT c.user_id, u.username FROM enrollment_codes c JOIN users u ON u.id = c.user_id
                     WHERE c.code_hash = ?1 AND c.used_at IS NULL AND c.expires_at > ?2 AND u.disabled = 0",
                    "SELECT c.user_id, u.username FROM enrollment_codes c JOIN users u ON u.id = c.user_id
                     WHERE c.code_hash = ?1 AND c.used_at IS NULL AND c.expires_at > ?2 AND u.disabled = 0
                     FOR UPDATE OF c",
                ),
                &[&hash, &now_t],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let Some((user_id, username)) = found else { return Ok(None) };
            let (device_id, device_token) = insert_device(tx, user_id, "with a one-time code", rejoin)?;
            tx.execute(
                "UPDATE enrollment_codes SET used_at = ?2, device_id = ?3 WHERE code_hash = ?1",
                &[&hash, &now_t, &device_id],
            )?;
            Ok(Some((device_id, device_token, username)))
        })?;
        Ok(
            enrolled.map(|(device_id, device_token, username)| Enrollment {
                device_id,
                device_token,
                server_epoch: server_epoch.clone(),
                username,
            }),
        )
    }

    fn openrosa_device_by_token(&self, token: &str) -> Result<Option<Device>> {
        self.read(|c| {
            c.query_opt(
                &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = ?1 AND openrosa IS NOT NULL"),
                &[&token_hash(token)],
                device_row,
            )
        })
    }

    fn openrosa_password_device(&self, user_id: i64) -> Result<Device> {
        self.write(|tx| {
            let newest = format!(
                "SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = ?1 AND openrosa = 'password' AND revoked_at IS NULL
                 ORDER BY created_at DESC, id LIMIT 1"
            );
            if let Some(d) = tx.query_opt(&newest, &[&user_id], device_row)? {
                return Ok(d);
            }
            let (device_id, _) = insert_device(tx, user_id, "for ODK Collect, signing in with a password", None)?;
            tx.execute("UPDATE devices SET openrosa = 'password' WHERE id = ?1", &[&device_id])?;
            tx.query_row(&newest, &[&user_id], device_row)
        })
    }

    fn device_by_token(&self, token: &str) -> Result<Option<Device>> {
        self.read(|c| {
            c.query_opt(
                &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = ?1"),
                &[&token_hash(token)],
                device_row,
            )
        })
    }

    fn device(&self, device_id: &str) -> Result<Device> {
        self.read(|c| {
            c.query_opt(
                &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"),
                &[&device_id],
                device_row,
            )?
            .ok_or_else(|| StoreError::NotFound(format!("device {device_id}")))
        })
    }

    fn device_for_import(&self, req: &PushRequest) -> Result<Device> {
        let unknown = match self.device(&req.device_id) {
            Err(StoreError::NotFound(what)) => what,
            known => return known,
        };
        let first = req.items.iter().map(|i| i.device_seq).min();
        let (Some(username), Some(first_seq)) = (&req.username, first) else {
            return Err(StoreError::NotFound(format!(
                "{unknown} (a file from a phone this server does not know must name its user and hold items)"
            )));
        };
        self.write(|tx| {
            let user_id: i64 = tx
                .query_opt(
                    "SELECT id FROM users WHERE username = ?1",
                    &[username],
                    |r| r.get(0),
                )?
                .ok_or_else(|| StoreError::NotFound(format!("user {username}")))?;
            let rejoin = Rejoin {
                device_id: req.device_id.clone(),
                first_seq,
            };
            // A credential nobody is given: the phone rejoins for its own.
            rejoin_device(
                tx,
                user_id,
                &rejoin,
                &token_hash(&random_token()),
                "from an imported file",
            )
        })?;
        self.device(&req.device_id)
    }

    fn devices(&self, caller: &Caller) -> Result<Vec<Device>> {
        self.read(|c| {
            let (sql, p) = named(
                &format!(
                    "SELECT {DEVICE_COLUMNS} FROM devices d WHERE {} ORDER BY created_at",
                    device_scope(caller)
                ),
                &[(":caller", &caller.user_id)],
            );
            c.query_map(&sql, &p, device_row)
        })
    }

    fn revoke_device(&self, caller: &Caller, device_id: &str) -> Result<()> {
        self.write(|tx| {
            let now = now();
            let (sql, p) = named(
                &format!(
                    "UPDATE devices SET revoked_at = COALESCE(revoked_at, :now) WHERE id = :id AND id IN
                       (SELECT d.id FROM devices d WHERE {})",
                    device_scope(caller)
                ),
                &[(":id", &device_id), (":now", &now), (":caller", &caller.user_id)],
            );
            let n = tx.execute(&sql, &p)?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("device {device_id}")));
            }
            audit::record(
                tx,
                Some(caller.user_id),
                Some(device_id),
                "device.revoke",
                &format!("device:{device_id}"),
                "",
            )
        })
    }
}
