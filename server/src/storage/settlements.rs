use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{Db, Result, StoreError, audit};

/// A settlement of the sampling frame: `households` is the listed N_h the reports weight by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settlement {
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$")]
    pub code: String,
    /// Not blank.
    #[schema(pattern = "\\S")]
    pub name: String,
    #[serde(rename = "type")]
    pub settlement_type: String,
    #[schema(minimum = 0)]
    pub households: i64,
}

impl Settlement {
    pub fn check(&self) -> std::result::Result<(), String> {
        let code_ok = (1..=32).contains(&self.code.len())
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        if !code_ok {
            return Err(format!(
                "settlement code {:?} must be 1–32 letters, digits, '_' or '-'",
                self.code
            ));
        }
        if self.name.trim().is_empty() {
            return Err(format!("settlement {} has no name", self.code));
        }
        if self.households < 0 {
            return Err(format!(
                "settlement {} has a negative household count",
                self.code
            ));
        }
        Ok(())
    }
}

impl Db {
    /// Adds or updates settlements, all or none.
    pub fn import_settlements(&self, list: &[Settlement], by: Option<i64>) -> Result<usize> {
        for s in list {
            s.check().map_err(StoreError::Invalid)?;
        }
        self.write(|tx| {
            for s in list {
                tx.execute(
                    "INSERT INTO settlements (code, name, type, households) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, type = excluded.type, households = excluded.households",
                    params![s.code, s.name, s.settlement_type, s.households],
                )?;
            }
            audit::record(tx, by, None, "settlement.import", "settlements", &format!("{} settlement(s)", list.len()))?;
            Ok(list.len())
        })
    }

    pub fn settlements(&self) -> Result<Vec<Settlement>> {
        self.read(|c| {
            let mut st =
                c.prepare("SELECT code, name, type, households FROM settlements ORDER BY code")?;
            let rows = st.query_map([], |r| {
                Ok(Settlement {
                    code: r.get(0)?,
                    name: r.get(1)?,
                    settlement_type: r.get(2)?,
                    households: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
    }
}
