use baraza_schema::api::{Device, Enrollment};
use rusqlite::{OptionalExtension, params};

use super::{Db, Result, StoreError, audit, now, random_token, token_hash};

fn device_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Device> {
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
    fn enroll_device(&self, user_id: i64) -> Result<Enrollment>;

    /// The device behind a credential, revoked or not (the caller decides what a revoked
    /// device may still do).
    fn device_by_token(&self, token: &str) -> Result<Option<Device>>;

    /// A device by id, revoked or not.
    fn device(&self, device_id: &str) -> Result<Device>;

    fn devices(&self) -> Result<Vec<Device>>;

    fn revoke_device(&self, device_id: &str, by: i64) -> Result<()>;
}

impl DeviceStore for Db {
    fn enroll_device(&self, user_id: i64) -> Result<Enrollment> {
        let device_id = uuid::Uuid::new_v4().to_string();
        let device_token = random_token();
        let server_epoch = self.epoch()?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO devices (id, user_id, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![device_id, user_id, token_hash(&device_token), now()],
            )?;
            audit::record(
                tx,
                Some(user_id),
                Some(&device_id),
                "device.enroll",
                &format!("device:{device_id}"),
                "",
            )
        })?;
        Ok(Enrollment {
            device_id,
            device_token,
            server_epoch,
        })
    }

    fn device_by_token(&self, token: &str) -> Result<Option<Device>> {
        self.read(|c| {
            Ok(c.query_row(
                &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = ?1"),
                [token_hash(token)],
                device_row,
            )
            .optional()?)
        })
    }

    fn device(&self, device_id: &str) -> Result<Device> {
        self.read(|c| {
            c.query_row(
                &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"),
                [device_id],
                device_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("device {device_id}")))
        })
    }

    fn devices(&self) -> Result<Vec<Device>> {
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {DEVICE_COLUMNS} FROM devices ORDER BY created_at"
            ))?;
            let rows = st.query_map([], device_row)?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
    }

    fn revoke_device(&self, device_id: &str, by: i64) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
                params![device_id, now()],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("device {device_id}")));
            }
            audit::record(
                tx,
                Some(by),
                Some(device_id),
                "device.revoke",
                &format!("device:{device_id}"),
                "",
            )
        })
    }
}
