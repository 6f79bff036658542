use super::{Db, Result, StoreError, audit};
use baraza_schema::api::Settlement;

/// The settlement frame.
pub trait SettlementStore {
    /// Adds or updates settlements, all or none.
    fn import_settlements(&self, list: &[Settlement], by: Option<i64>) -> Result<usize>;

    fn settlements(&self) -> Result<Vec<Settlement>>;
}

impl SettlementStore for Db {
    fn import_settlements(&self, list: &[Settlement], by: Option<i64>) -> Result<usize> {
        for s in list {
            s.check().map_err(StoreError::Invalid)?;
        }
        self.write(|tx| {
            for s in list {
                tx.execute(
                    "INSERT INTO settlements (code, name, type, households, target) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, type = excluded.type, households = excluded.households,
                       target = excluded.target",
                    &[&s.code, &s.name, &s.settlement_type, &s.households, &s.target],
                )?;
            }
            audit::record(tx, by, None, "settlement.import", "settlements", &format!("{} settlement(s)", list.len()))?;
            Ok(list.len())
        })
    }

    fn settlements(&self) -> Result<Vec<Settlement>> {
        self.read(|c| {
            c.query_map(
                "SELECT code, name, type, households, target FROM settlements ORDER BY code",
                &[],
                |r| {
                    Ok(Settlement {
                        code: r.get(0)?,
                        name: r.get(1)?,
                        settlement_type: r.get(2)?,
                        households: r.get(3)?,
                        target: r.get(4)?,
                    })
                },
            )
        })
    }
}
