//! One way to run SQL on either backend: SQLite (rusqlite, the default) or PostgreSQL
//! (postgres). Storage code writes each statement once, with `?N` parameters (or `:name`
//! through [`named`]), in SQL both engines read, and gets rows through [`Row::get`]. The
//! differences stay here: PostgreSQL's `$N` parameters, its prepared statements per
//! connection, and its stricter types (every integer column is `BIGINT` there, and each
//! parameter is prepared with the type its Rust value has).
//!
//! Where the two dialects cannot share a statement, [`Sql::pick`] chooses the text.

use std::cell::RefCell;
use std::collections::HashMap;
use std::error::Error as StdError;

use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use rusqlite::types::{ToSqlOutput, ValueRef};

use super::{Result, StoreError};

/// A PostgreSQL connection with its prepared statements (keyed by the SQL as written here).
pub(super) struct PgConn {
    client: RefCell<postgres::Client>,
    statements: RefCell<HashMap<String, postgres::Statement>>,
}

impl PgConn {
    pub(super) fn new(client: postgres::Client) -> PgConn {
        PgConn {
            client: RefCell::new(client),
            statements: RefCell::new(HashMap::new()),
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        self.client.borrow().is_closed()
    }

    /// The statement prepared with its parameters' types as the Rust values give them (a
    /// `None` too: `?1 IS NULL OR x = ?1` needs the type PostgreSQL cannot infer from it).
    fn statement(&self, sql: &str, p: &[&dyn Param]) -> Result<postgres::Statement> {
        let types: Vec<Type> = p.iter().map(|x| x.kind().pg_type()).collect();
        let key = format!("{sql}\u{0}{types:?}");
        if let Some(st) = self.statements.borrow().get(&key) {
            return Ok(st.clone());
        }
        let st = self
            .client
            .borrow_mut()
            .prepare_typed(&dollar_params(sql), &types)?;
        self.statements.borrow_mut().insert(key, st.clone());
        Ok(st)
    }

    fn query(&self, sql: &str, p: &[&dyn Param]) -> Result<Vec<postgres::Row>> {
        let st = self.statement(sql, p)?;
        Ok(self
            .client
            .borrow_mut()
            .query_raw(&st, pg_vals(p))?
            .collect()?)
    }

    fn execute(&self, sql: &str, p: &[&dyn Param]) -> Result<usize> {
        let st = self.statement(sql, p)?;
        let mut rows = self.client.borrow_mut();
        let mut rows = rows.query_raw(&st, pg_vals(p))?;
        while rows.next()?.is_some() {}
        Ok(rows.rows_affected().unwrap_or(0) as usize)
    }

    pub(super) fn batch(&self, sql: &str) -> Result<()> {
        Ok(self.client.borrow_mut().batch_execute(sql)?)
    }

    /// Rows one at a time from the server (a portal), for reads too large to hold.
    pub(super) fn stream(
        &self,
        sql: &str,
        p: &[&dyn Param],
        mut f: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        let st = self.statement(sql, p)?;
        let mut client = self.client.borrow_mut();
        let mut rows = client.query_raw(&st, pg_vals(p))?;
        while let Some(row) = rows.next()? {
            f(&Row::Pg(&row))?;
        }
        Ok(())
    }
}

/// A connection (or the transaction open on it) of either backend.
#[derive(Clone, Copy)]
pub(super) enum Sql<'a> {
    Lite(&'a rusqlite::Connection),
    Pg(&'a PgConn),
}

impl<'a> Sql<'a> {
    pub(super) fn is_pg(self) -> bool {
        matches!(self, Sql::Pg(_))
    }

    /// Plans the rest of this transaction's statements for each call's parameters (on
    /// PostgreSQL; nothing to do on SQLite, which plans every run). A statement with optional
    /// filters (`?1 IS NULL OR x = ?1`) otherwise gets a generic plan from a connection's
    /// sixth run on, one that cannot tell which filters are given: a report at 1,000,000
    /// households took 97–181 ms with it and 23–28 ms without (`baraza-bench --reports`).
    pub(super) fn plan_each_call(self) -> Result<()> {
        match self {
            Sql::Lite(_) => Ok(()),
            Sql::Pg(c) => c.batch("SET LOCAL plan_cache_mode = force_custom_plan"),
        }
    }

    /// The statement for this backend, where the dialects differ.
    pub(super) fn pick(self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        if self.is_pg() { postgres } else { sqlite }
    }

    /// Runs a statement; returns how many rows it changed.
    pub(super) fn execute(self, sql: &str, p: &[&dyn Param]) -> Result<usize> {
        match self {
            Sql::Lite(c) => Ok(c.prepare_cached(sql)?.execute(lite(p))?),
            Sql::Pg(c) => c.execute(sql, p),
        }
    }

    /// Statements without parameters, run as one script.
    pub(super) fn batch(self, sql: &str) -> Result<()> {
        match self {
            Sql::Lite(c) => Ok(c.execute_batch(sql)?),
            Sql::Pg(c) => c.batch(sql),
        }
    }

    /// The first row, if any.
    pub(super) fn query_opt<T>(
        self,
        sql: &str,
        p: &[&dyn Param],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        match self {
            Sql::Lite(c) => {
                let mut st = c.prepare_cached(sql)?;
                let mut rows = st.query(lite(p))?;
                match rows.next()? {
                    Some(r) => f(&Row::Lite(r)).map(Some),
                    None => Ok(None),
                }
            }
            Sql::Pg(c) => match c.query(sql, p)?.first() {
                Some(r) => f(&Row::Pg(r)).map(Some),
                None => Ok(None),
            },
        }
    }

    /// The first row; none is an error (the statement always returns one).
    pub(super) fn query_row<T>(
        self,
        sql: &str,
        p: &[&dyn Param],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.query_opt(sql, p, f)?
            .ok_or_else(|| StoreError::Invalid(format!("no row from: {sql}")))
    }

    /// Every row, mapped.
    pub(super) fn query_map<T>(
        self,
        sql: &str,
        p: &[&dyn Param],
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.query_each(sql, p, |r| {
            out.push(f(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `f` on every row. `f` may run other statements on this connection.
    pub(super) fn query_each(
        self,
        sql: &str,
        p: &[&dyn Param],
        mut f: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        match self {
            Sql::Lite(c) => {
                let mut st = c.prepare_cached(sql)?;
                let mut rows = st.query(lite(p))?;
                while let Some(r) = rows.next()? {
                    f(&Row::Lite(r))?;
                }
                Ok(())
            }
            Sql::Pg(c) => {
                for r in &c.query(sql, p)? {
                    f(&Row::Pg(r))?;
                }
                Ok(())
            }
        }
    }

    /// Calls `f` on every row as it arrives (PostgreSQL: from a portal, so that a large read
    /// is never held whole). Unlike [`Sql::query_each`], `f` must not run statements.
    pub(super) fn stream(
        self,
        sql: &str,
        p: &[&dyn Param],
        f: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        match self {
            Sql::Lite(_) => self.query_each(sql, p, f),
            Sql::Pg(c) => c.stream(sql, p, f),
        }
    }
}

/// Rewrites `:name` parameters as `?N` in the order `params` gives them, so that one
/// statement text serves both backends; returns the text and the parameters to pass.
pub(super) fn named<'p>(
    sql: &str,
    params: &[(&str, &'p dyn Param)],
) -> (String, Vec<&'p dyn Param>) {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    'scan: while let Some(at) = rest.find(':') {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        for (i, (name, _)) in params.iter().enumerate() {
            let boundary = after[name.len().min(after.len())..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            if after.starts_with(name) && boundary {
                out.push_str(&format!("?{}", i + 1));
                rest = &after[name.len()..];
                continue 'scan;
            }
        }
        out.push(':');
        rest = &after[1..];
    }
    out.push_str(rest);
    (out, params.iter().map(|(_, p)| *p).collect())
}

/// `?N` (and bare `?`) as PostgreSQL's `$N`, outside quoted text.
fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quoted = false;
    let mut next = 1;
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c != '?' || quoted {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        if digits.is_empty() {
            digits = next.to_string();
            next += 1;
        }
        out.push('$');
        out.push_str(&digits);
    }
    out
}

/// A value bound to a statement parameter.
pub(super) enum Val<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
    /// A PostgreSQL array ([`Array`]).
    Array(&'a (dyn ToSql + Sync)),
}

/// What a parameter holds, whatever its value (a `None` included).
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    Int,
    Real,
    Text,
    Blob,
    IntArray,
    RealArray,
    TextArray,
    /// A NULL of no known type (a copied [`Value`]): PostgreSQL infers it from the statement.
    Infer,
}

impl Kind {
    fn pg_type(self) -> Type {
        match self {
            Kind::Int => Type::INT8,
            Kind::Real => Type::FLOAT8,
            Kind::Text => Type::TEXT,
            Kind::Blob => Type::BYTEA,
            Kind::IntArray => Type::INT8_ARRAY,
            Kind::RealArray => Type::FLOAT8_ARRAY,
            Kind::TextArray => Type::TEXT_ARRAY,
            // OID 0 is "unspecified" in PostgreSQL's protocol.
            Kind::Infer => Type::new(
                "unspecified".into(),
                0,
                postgres::types::Kind::Simple,
                String::new(),
            ),
        }
    }
}

/// What can be bound to a parameter on both backends. Booleans are stored as 0 and 1.
pub(super) trait Param {
    fn val(&self) -> Val<'_>;
    fn kind(&self) -> Kind;
}

/// The kind of a type's values, known without a value (for `Option<T>`'s `None`).
pub(super) trait Kinded {
    const KIND: Kind;
}

impl<T: Kinded + ?Sized> Kinded for &T {
    const KIND: Kind = T::KIND;
}

impl<T: Param + ?Sized> Param for &T {
    fn val(&self) -> Val<'_> {
        (**self).val()
    }
    fn kind(&self) -> Kind {
        (**self).kind()
    }
}

impl<T: Param + Kinded> Param for Option<T> {
    fn val(&self) -> Val<'_> {
        self.as_ref().map_or(Val::Null, T::val)
    }
    fn kind(&self) -> Kind {
        T::KIND
    }
}

macro_rules! param {
    ($kind:ident, |$x:ident| $val:expr, $($t:ty),*) => {$(
        impl Kinded for $t {
            const KIND: Kind = Kind::$kind;
        }
        impl Param for $t {
            fn val(&self) -> Val<'_> {
                let $x = self;
                $val
            }
            fn kind(&self) -> Kind {
                Kind::$kind
            }
        }
    )*};
}
param!(Int, |x| Val::Int(*x), i64);
param!(Int, |x| Val::Int(i64::from(*x)), i32, u32, u8);
param!(
    Int,
    |x| Val::Int(i64::try_from(*x).unwrap_or(i64::MAX)),
    usize
);
param!(Int, |x| Val::Int(i64::from(*x)), bool);
param!(Real, |x| Val::Real(*x), f64);
param!(Text, |x| Val::Text(x), str, String);
param!(Blob, |x| Val::Blob(x), [u8], Vec<u8>);

/// A PostgreSQL array parameter, for a statement that takes a whole batch at once
/// (`unnest(?1, ?2)`, `= ANY(?1)`). SQLite has no arrays: such statements are PostgreSQL's
/// alone (behind [`Sql::is_pg`]), and binding one on SQLite is an error.
pub(super) struct Array<T>(pub Vec<T>);

macro_rules! array {
    ($kind:ident, $($t:ty),*) => {$(
        impl Param for Array<$t> {
            fn val(&self) -> Val<'_> {
                Val::Array(&self.0)
            }
            fn kind(&self) -> Kind {
                Kind::$kind
            }
        }
    )*};
}
array!(IntArray, i64);
array!(RealArray, f64);
array!(TextArray, &str, Option<&str>);

/// A column's value of whatever type, owned: what a copy between databases moves.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Param for Value {
    fn val(&self) -> Val<'_> {
        match self {
            Value::Null => Val::Null,
            Value::Int(i) => Val::Int(*i),
            Value::Real(x) => Val::Real(*x),
            Value::Text(s) => Val::Text(s),
            Value::Blob(b) => Val::Blob(b),
        }
    }
    fn kind(&self) -> Kind {
        match self {
            Value::Null => Kind::Infer,
            Value::Int(_) => Kind::Int,
            Value::Real(_) => Kind::Real,
            Value::Text(_) => Kind::Text,
            Value::Blob(_) => Kind::Blob,
        }
    }
}

impl Row<'_> {
    /// Column `i` as whatever it holds.
    pub(super) fn value(&self, i: usize) -> Result<Value> {
        Ok(match self {
            Row::Lite(r) => match r.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => Value::Int(n),
                ValueRef::Real(x) => Value::Real(x),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            },
            Row::Pg(r) => match *r.columns()[i].type_() {
                Type::BYTEA => r
                    .try_get::<_, Option<Vec<u8>>>(i)?
                    .map_or(Value::Null, Value::Blob),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => r
                    .try_get::<_, Option<String>>(i)?
                    .map_or(Value::Null, Value::Text),
                _ => match r.try_get::<_, Option<PgAny>>(i)? {
                    None => Value::Null,
                    Some(PgAny::Int(n)) => Value::Int(n),
                    Some(PgAny::Real(x)) => Value::Real(x),
                    Some(PgAny::Other) => {
                        return Err(StoreError::Invalid(format!(
                            "column {i} has a type a copy cannot move: {}",
                            r.columns()[i].type_()
                        )));
                    }
                },
            },
        })
    }

    /// How many columns the row has.
    pub(super) fn len(&self) -> usize {
        match self {
            Row::Lite(r) => r.as_ref().column_count(),
            Row::Pg(r) => r.len(),
        }
    }
}

fn lite<'p>(p: &'p [&'p dyn Param]) -> impl rusqlite::Params + 'p {
    rusqlite::params_from_iter(p.iter().map(|x| Lite(*x)))
}

struct Lite<'a>(&'a dyn Param);

impl rusqlite::ToSql for Lite<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0.val() {
            Val::Null => ValueRef::Null,
            Val::Int(i) => ValueRef::Integer(i),
            Val::Real(f) => ValueRef::Real(f),
            Val::Text(s) => ValueRef::Text(s.as_bytes()),
            Val::Blob(b) => ValueRef::Blob(b),
            Val::Array(_) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "SQLite has no arrays: this statement is PostgreSQL's".into(),
                ));
            }
        }))
    }
}

/// A value for PostgreSQL, whose parameter was prepared with its kind's type
/// (`Kind::pg_type`): a NULL fits any.
#[derive(Debug)]
struct PgVal<'a>(Val<'a>);

fn pg_vals<'p>(p: &'p [&'p dyn Param]) -> impl ExactSizeIterator<Item = PgVal<'p>> {
    p.iter().map(|x| PgVal(x.val()))
}

impl std::fmt::Debug for Val<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Null => write!(f, "NULL"),
            Val::Int(i) => write!(f, "{i}"),
            Val::Real(x) => write!(f, "{x}"),
            Val::Text(s) => write!(f, "{s:?}"),
            Val::Blob(b) => write!(f, "{} bytes", b.len()),
            Val::Array(_) => write!(f, "an array"),
        }
    }
}

impl ToSql for PgVal<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match (&self.0, ty) {
            (Val::Null, _) => Ok(IsNull::Yes),
            (Val::Int(i), &Type::INT8) => i.to_sql(ty, out),
            (Val::Real(x), &Type::FLOAT8) => x.to_sql(ty, out),
            // PostgreSQL's text cannot hold U+0000 (SQLite's can): it goes in as U+2400 "␀".
            // Only derived columns and filters can carry one: an item's JSON, kept verbatim,
            // escapes it, so what was sent is still whole.
            (Val::Text(s), &Type::TEXT) if s.contains('\0') => {
                s.replace('\0', "\u{2400}").as_str().to_sql(ty, out)
            }
            (Val::Text(s), &Type::TEXT) => s.to_sql(ty, out),
            (Val::Blob(b), &Type::BYTEA) => b.to_sql(ty, out),
            (Val::Array(a), &Type::INT8_ARRAY | &Type::FLOAT8_ARRAY | &Type::TEXT_ARRAY) => {
                a.to_sql_checked(ty, out)
            }
            (v, _) => Err(format!("cannot bind {v:?} to a parameter of type {ty}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A row of either backend.
pub(super) enum Row<'a> {
    Lite(&'a rusqlite::Row<'a>),
    Pg(&'a postgres::Row),
}

impl Row<'_> {
    pub(super) fn get<T: Col>(&self, i: usize) -> Result<T> {
        match self {
            Row::Lite(r) => Ok(r.get(i)?),
            Row::Pg(r) => T::pg(r, i),
        }
    }
}

/// What a column can be read as on both backends.
pub(super) trait Col: rusqlite::types::FromSql + Sized {
    fn pg(r: &postgres::Row, i: usize) -> Result<Self>;
}

impl<T: Col> Col for Option<T> {
    fn pg(r: &postgres::Row, i: usize) -> Result<Self> {
        if r.try_get::<_, Option<PgAny>>(i)?.is_none() {
            return Ok(None);
        }
        T::pg(r, i).map(Some)
    }
}

impl Col for String {
    fn pg(r: &postgres::Row, i: usize) -> Result<Self> {
        Ok(r.try_get(i)?)
    }
}

impl Col for Vec<u8> {
    fn pg(r: &postgres::Row, i: usize) -> Result<Self> {
        Ok(r.try_get(i)?)
    }
}

impl Col for f64 {
    fn pg(r: &postgres::Row, i: usize) -> Result<Self> {
        match r.try_get::<_, PgAny>(i)? {
            PgAny::Int(n) => Ok(n as f64),
            PgAny::Real(x) => Ok(x),
            PgAny::Other => Err(StoreError::Invalid(format!("column {i} is not a number"))),
        }
    }
}

macro_rules! int_col {
    ($($t:ty),*) => {$(
        impl Col for $t {
            fn pg(r: &postgres::Row, i: usize) -> Result<Self> {
                match r.try_get::<_, PgAny>(i)? {
                    PgAny::Int(n) => <$t>::try_from(n).map_err(|_| {
                        StoreError::Invalid(format!("column {i}: {n} is out of range"))
                    }),
                    _ => Err(StoreError::Invalid(format!("column {i} is not an integer"))),
                }
            }
        }
    )*};
}
int_col!(i64, i32, u32, u64, usize, u8);

impl Col for bool {
    fn pg(r: &postgres::Row, i: usize) -> Result<Self> {
        Ok(i64::pg(r, i)? != 0)
    }
}

/// A PostgreSQL number of any width (booleans as 0 and 1).
enum PgAny {
    Int(i64),
    Real(f64),
    Other,
}

impl<'a> FromSql<'a> for PgAny {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(match *ty {
            Type::INT8 => PgAny::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => PgAny::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => PgAny::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => PgAny::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => PgAny::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => PgAny::Real(f32::from_sql(ty, raw)?.into()),
            _ => PgAny::Other,
        })
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_become_dollar_parameters_outside_quoted_text() {
        assert_eq!(
            dollar_params("SELECT a FROM t WHERE b = ?2 AND c = '?' AND d = ?1"),
            "SELECT a FROM t WHERE b = $2 AND c = '?' AND d = $1"
        );
        assert_eq!(dollar_params("VALUES (?, ?)"), "VALUES ($1, $2)");
    }

    #[test]
    fn an_array_bound_on_sqlite_is_an_error_that_says_why() {
        let c = rusqlite::Connection::open_in_memory().expect("an in-memory database");
        let err = Sql::Lite(&c)
            .execute("SELECT ?1", &[&Array(vec![1i64, 2])])
            .expect_err("SQLite has no arrays");
        assert!(err.to_string().contains("SQLite has no arrays"), "{err}");
    }

    #[test]
    fn named_parameters_are_numbered_in_the_order_given_and_reused() {
        let (a, b) = (1i64, "x");
        let (sql, p) = named(
            "WHERE u = :caller AND (:caller = :caller) AND t = :to AND '12:00' = :t",
            &[(":caller", &a), (":to", &b), (":t", &b)],
        );
        assert_eq!(
            sql,
            "WHERE u = ?1 AND (?1 = ?1) AND t = ?2 AND '12:00' = ?3"
        );
        assert_eq!(p.len(), 3);
    }
}
