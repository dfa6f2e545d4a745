//! One handle over the two storage engines (#18): the embedded file (rusqlite) and the server
//! (PostgreSQL). The domain code is ported to it module by module (ARCHITECTURE.md, "Storage on
//! two engines"); a ported function takes `db: Db<'_>` and runs unchanged on either engine.
//!
//! The handle copies the shape of the rusqlite calls the core already makes — `query_row`,
//! `query_map`, `execute`, `atomically` — and reuses rusqlite's `ToSql` / `FromSql` for the
//! values, so the model's own conversions serve both engines: a parameter is turned into a
//! plain value and bound as the server's column type wants it; a server column is read back as
//! the value the file would have held (booleans 0/1, big numbers from sums as integers).
//!
//! One SQL text serves both: `?N` placeholders are rewritten to `$N` for the server; the rest of
//! the SQL is written in the subset both accept (see ARCHITECTURE.md).

use std::cell::RefCell;
use std::collections::HashMap;

use postgres::types::{FromSql as PgFromSql, ToSql as PgToSql, Type};
use rusqlite::types::{FromSql, ToSql, ToSqlOutput, Value, ValueRef};

use crate::error::{Error, Result};

/// Which engine a handle speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The embedded database file.
    File,
    /// PostgreSQL (or a database speaking its protocol).
    Server,
}

/// Opens another connection to the database a [`ServerConn`] speaks to.
pub type Reopen = Box<dyn Fn() -> Result<postgres::Client> + Send>;

/// A server connection with what the handle keeps beside it: prepared statements by SQL text,
/// and how deep the open transactions are.
pub struct ServerConn {
    client: RefCell<postgres::Client>,
    statements: RefCell<HashMap<String, postgres::Statement>>,
    depth: RefCell<u32>,
    /// Who this PC's changes are recorded as (the file keeps it in a temporary table).
    actor: RefCell<Option<String>>,
    /// Opens another connection to the same database: a second one for two reads at once (the
    /// heavy reports), opened at the first such read and kept.
    reopen: Option<Reopen>,
    second: RefCell<Option<Box<ServerConn>>>,
    /// The server refused a second connection: the reads go one after the other until the
    /// handle reconnects.
    single: std::cell::Cell<bool>,
}

impl ServerConn {
    pub fn new(client: postgres::Client) -> ServerConn {
        ServerConn {
            client: RefCell::new(client),
            statements: RefCell::new(HashMap::new()),
            depth: RefCell::new(0),
            actor: RefCell::new(None),
            reopen: None,
            second: RefCell::new(None),
            single: std::cell::Cell::new(false),
        }
    }

    /// The same, able to open a second connection with `reopen` for two reads at once.
    pub fn reopened_with(mut self, reopen: Reopen) -> ServerConn {
        self.reopen = Some(reopen);
        self
    }

    /// The second connection for a read beside this one's, outside a transaction only (it
    /// would not see the transaction's changes); none when the server refuses it.
    fn take_second(&self) -> Option<Box<ServerConn>> {
        if *self.depth.borrow() > 0 || self.single.get() {
            return None;
        }
        if let Some(second) = self.second.borrow_mut().take() {
            if !second.is_closed() {
                return Some(second);
            }
        }
        let opened = (self.reopen.as_ref()?)().map(|c| Box::new(ServerConn::new(c)));
        if opened.is_err() {
            self.single.set(true);
        }
        opened.ok()
    }

    pub fn actor(&self) -> Option<String> {
        self.actor.borrow().clone()
    }

    /// Whether the connection to the server has been lost (the next call would fail at once).
    pub fn is_closed(&self) -> bool {
        self.client.borrow().is_closed()
    }

    /// A new connection in place of a lost one: same actor, no statements prepared yet, no
    /// transaction open (the one that was open when the line dropped was rolled back by the
    /// server). A second connection the server refused before is asked for again.
    pub fn replace_client(&self, client: postgres::Client) {
        *self.client.borrow_mut() = client;
        self.statements.borrow_mut().clear();
        *self.depth.borrow_mut() = 0;
        self.second.borrow_mut().take();
        self.single.set(false);
    }

    pub fn set_actor(&self, actor: &str) {
        *self.actor.borrow_mut() = Some(actor.to_string());
    }
}

/// Runs `f` with the bulk page cache on a file connection, then back to the everyday one.
pub fn with_bulk_cache<T>(db: Db<'_>, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let Db::File(conn) = db else {
        return f();
    };
    conn.execute_batch(&format!(
        "PRAGMA cache_size = -{}",
        crate::store::conn::BULK_CACHE_KB
    ))?;
    let out = f();
    // Only a smaller cache: what it read stays valid either way.
    let _ = conn.execute_batch(&format!(
        "PRAGMA cache_size = -{}",
        crate::store::conn::CACHE_KB
    ));
    out
}

/// A borrowed handle on one engine's connection; cheap to copy and pass down.
#[derive(Clone, Copy)]
pub enum Db<'a> {
    File(&'a rusqlite::Connection),
    Server(&'a ServerConn),
}

impl<'a> From<&'a rusqlite::Connection> for Db<'a> {
    fn from(c: &'a rusqlite::Connection) -> Db<'a> {
        Db::File(c)
    }
}

impl<'a> From<&'a rusqlite::Transaction<'_>> for Db<'a> {
    fn from(t: &'a rusqlite::Transaction<'_>) -> Db<'a> {
        Db::File(t)
    }
}

/// The app keeps its connection behind a mutex: a handle on the locked connection.
impl<'a> From<&'a std::sync::MutexGuard<'_, rusqlite::Connection>> for Db<'a> {
    fn from(g: &'a std::sync::MutexGuard<'_, rusqlite::Connection>) -> Db<'a> {
        Db::File(g)
    }
}

impl<'a> From<&'a ServerConn> for Db<'a> {
    fn from(c: &'a ServerConn) -> Db<'a> {
        Db::Server(c)
    }
}

/// An open database on either engine, owned (what the app keeps behind its mutex).
pub enum Store {
    File(rusqlite::Connection),
    Server(Box<ServerConn>),
}

impl Store {
    pub fn db(&self) -> Db<'_> {
        match self {
            Store::File(c) => Db::File(c),
            Store::Server(s) => Db::Server(s),
        }
    }

    pub fn engine(&self) -> Engine {
        self.db().engine()
    }

    /// The embedded file's connection (see [`Db::file`]).
    pub fn file(&self, what: &str) -> Result<&rusqlite::Connection> {
        self.db().file(what)
    }
}

impl<'a> From<&'a Store> for Db<'a> {
    fn from(s: &'a Store) -> Db<'a> {
        s.db()
    }
}

/// The app keeps its store behind a mutex: a handle on the locked store.
impl<'a> From<&'a std::sync::MutexGuard<'_, Store>> for Db<'a> {
    fn from(g: &'a std::sync::MutexGuard<'_, Store>) -> Db<'a> {
        g.db()
    }
}

/// One row, read the same way from either engine.
pub enum Row<'r> {
    File(&'r rusqlite::Row<'r>),
    Server(&'r postgres::Row),
}

/// A column by its position (the shape of rusqlite's `get::<_, T>(i)`, so ported code reads the
/// same).
pub trait ColumnIndex: rusqlite::RowIndex + Copy {
    fn position(self) -> usize;
}

impl ColumnIndex for usize {
    fn position(self) -> usize {
        self
    }
}

impl Row<'_> {
    /// Column `idx` as `T`, through rusqlite's `FromSql` whatever the engine.
    pub fn get<I: ColumnIndex, T: FromSql>(&self, idx: I) -> rusqlite::Result<T> {
        let idx_at = idx.position();
        match self {
            Row::File(r) => r.get(idx),
            Row::Server(row) => {
                let idx = idx_at;
                let v = value_ref(row, idx)?;
                T::column_result(v).map_err(|e| match e {
                    rusqlite::types::FromSqlError::InvalidType => {
                        rusqlite::Error::InvalidColumnType(
                            idx,
                            format!("column {idx}"),
                            v.data_type(),
                        )
                    }
                    other => rusqlite::Error::FromSqlConversionFailure(
                        idx,
                        v.data_type(),
                        Box::new(other),
                    ),
                })
            }
        }
    }
}

impl Row<'_> {
    /// Column `idx` as a borrowed value.
    pub fn get_ref(&self, idx: usize) -> rusqlite::Result<ValueRef<'_>> {
        match self {
            Row::File(r) => r.get_ref(idx),
            Row::Server(row) => value_ref(row, idx),
        }
    }
}

/// Runs a blocking call of the server's client. Called from an async task of a multi-threaded
/// runtime (the app's commands), the worker thread is handed over for the call, since the
/// client drives its own runtime; elsewhere it simply runs.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Two reads at once, for the heavy reports: `here` on `conn`, `there` on a second connection —
/// on the file a read-only one ([`crate::store::conn::in_parallel`]), on the server the handle's
/// second connection (kept for the next time; one after the other on the same connection inside
/// a transaction, or when the server refuses a second).
pub(crate) fn in_parallel<A, B: Send>(
    conn: Db<'_>,
    here: impl FnOnce(Db<'_>) -> Result<A>,
    there: impl FnOnce(Db<'_>) -> Result<B> + Send,
) -> Result<(A, B)> {
    match conn {
        Db::File(c) => crate::store::conn::in_parallel(
            c,
            |c| here(Db::File(c)),
            |second| there(Db::File(second)),
        ),
        Db::Server(s) => {
            let Some(second) = s.take_second() else {
                return Ok((here(conn)?, there(conn)?));
            };
            let (a, b) = std::thread::scope(|scope| {
                let other = scope.spawn(move || {
                    let b = there(Db::Server(&second));
                    (second, b)
                });
                let a = here(conn);
                let (second, b) = other.join().expect("the second read does not panic");
                *s.second.borrow_mut() = Some(second);
                (a, b)
            });
            Ok((a?, b?))
        }
    }
}

/// `?N` → `$N` outside quotes (the server's placeholders).
pub fn server_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '?' => {
                out.push('$');
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    out
}

/// SQL for the day `days` before the `YYYY-MM-DD` day in `param`, as `YYYY-MM-DD` text.
pub fn days_before(engine: Engine, param: &str, days: i64) -> String {
    match engine {
        Engine::File => format!("date({param}, '-{days} days')"),
        Engine::Server => {
            format!("to_char(CAST(substr({param}, 1, 10) AS date) - {days}, 'YYYY-MM-DD')")
        }
    }
}

/// SQL for the ids in the JSON array bound as `param` (`[3, 5, 8]`), for `x IN (…)`.
pub fn json_ids(engine: Engine, param: &str) -> String {
    match engine {
        Engine::File => format!("SELECT value FROM json_each({param})"),
        Engine::Server => format!(
            "SELECT CAST(value AS bigint) FROM json_array_elements_text(CAST(CAST({param} AS text) AS json))"
        ),
    }
}

/// SQL for the texts in the JSON array bound as `param` (`["a", "b"]`), for `x IN (…)`.
pub fn json_texts(engine: Engine, param: &str) -> String {
    match engine {
        Engine::File => format!("SELECT value FROM json_each({param})"),
        Engine::Server => format!(
            "SELECT value FROM json_array_elements_text(CAST(CAST({param} AS text) AS json))"
        ),
    }
}

/// `:name` parameters turned into numbered ones (`?1`, in order of first use), with their
/// values in that order: the handle binds by position on both engines.
pub fn numbered<'p>(
    sql: &str,
    named: &[(&str, &'p dyn ToSql)],
) -> Result<(String, Vec<&'p dyn ToSql>)> {
    let mut out = String::with_capacity(sql.len());
    let mut order: Vec<&str> = Vec::new();
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    let mut chars = sql.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let before = std::mem::replace(&mut prev, c);
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            // `::` is a cast, not a parameter.
            None if c == ':'
                && before != ':'
                && chars
                    .peek()
                    .is_some_and(|(_, n)| n.is_ascii_alphabetic() || *n == '_') =>
            {
                let mut end = i + 1;
                while let Some((j, n)) = chars.peek() {
                    if n.is_ascii_alphanumeric() || *n == '_' {
                        end = j + n.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                let name = &sql[i..end];
                let at = match order.iter().position(|n| *n == name) {
                    Some(at) => at,
                    None => {
                        order.push(name);
                        order.len() - 1
                    }
                };
                out.push_str(&format!("?{}", at + 1));
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    let values = order
        .iter()
        .map(|name| {
            named
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "程序内部错误：SQL 用了没有给值的参数 {name}。请联系开发人员。"
                    ))
                })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((out, values))
}

/// A parameter as a plain value.
fn value_of(p: &dyn ToSql) -> Result<Value> {
    Ok(match p.to_sql()? {
        ToSqlOutput::Borrowed(v) => match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        },
        ToSqlOutput::Owned(v) => v,
        _ => {
            return Err(Error::Invalid(
                "程序内部错误：一个参数的类型服务器不支持。请联系开发人员。".into(),
            ))
        }
    })
}

/// A plain value bound as the server's parameter type wants it.
fn bind(v: &Value, ty: &Type) -> Result<Box<dyn PgToSql + Sync>> {
    let wrong = || {
        Error::Invalid(format!(
            "程序内部错误：参数类型不符（{:?} 给了 {ty}）。请联系开发人员。",
            v
        ))
    };
    Ok(match (v, ty) {
        (Value::Null, t) if *t == Type::INT8 => Box::new(None::<i64>),
        (Value::Null, t) if *t == Type::INT4 => Box::new(None::<i32>),
        (Value::Null, t) if *t == Type::FLOAT8 => Box::new(None::<f64>),
        (Value::Null, t) if *t == Type::BYTEA => Box::new(None::<Vec<u8>>),
        (Value::Null, t) if *t == Type::BOOL => Box::new(None::<bool>),
        (Value::Null, _) => Box::new(None::<String>),
        (Value::Integer(i), t) if *t == Type::INT8 => Box::new(*i),
        (Value::Integer(i), t) if *t == Type::INT4 => {
            Box::new(i32::try_from(*i).map_err(|_| wrong())?)
        }
        (Value::Integer(i), t) if *t == Type::INT2 => {
            Box::new(i16::try_from(*i).map_err(|_| wrong())?)
        }
        (Value::Integer(i), t) if *t == Type::FLOAT8 => Box::new(*i as f64),
        (Value::Integer(i), t) if *t == Type::BOOL => Box::new(*i != 0),
        (Value::Integer(i), t) if *t == Type::TEXT || *t == Type::VARCHAR => {
            Box::new(i.to_string())
        }
        (Value::Real(f), t) if *t == Type::FLOAT8 => Box::new(*f),
        (Value::Text(s), t) if *t == Type::TEXT || *t == Type::VARCHAR || *t == Type::UNKNOWN => {
            Box::new(s.clone())
        }
        (Value::Blob(b), t) if *t == Type::BYTEA => Box::new(b.clone()),
        _ => return Err(wrong()),
    })
}

/// The server type a plain value asks for, when the server cannot tell from the SQL.
fn type_of(v: &Value) -> Type {
    match v {
        Value::Integer(_) => Type::INT8,
        Value::Real(_) => Type::FLOAT8,
        Value::Blob(_) => Type::BYTEA,
        Value::Null | Value::Text(_) => Type::TEXT,
    }
}

/// PostgreSQL's NUMERIC (what `sum` and `avg` of integers give), read from its binary form:
/// digits in base 10,000, a weight, a sign and a scale.
struct Numeric(f64, bool);

impl<'a> PgFromSql<'a> for Numeric {
    fn from_sql(
        _: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let word =
            |i: usize| -> std::result::Result<i16, Box<dyn std::error::Error + Sync + Send>> {
                Ok(i16::from_be_bytes([
                    *raw.get(2 * i).ok_or("short numeric")?,
                    *raw.get(2 * i + 1).ok_or("short numeric")?,
                ]))
            };
        let ndigits = word(0)? as usize;
        let weight = word(1)? as i32;
        let sign = word(2)? as u16;
        let scale = word(3)?;
        if sign == 0xC000 {
            return Ok(Numeric(f64::NAN, false));
        }
        let mut value = 0f64;
        for k in 0..ndigits {
            let d = f64::from(word(4 + k)?);
            value += d * 10f64.powi(4 * (weight - k as i32));
        }
        if sign == 0x4000 {
            value = -value;
        }
        Ok(Numeric(value, scale == 0))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

/// A server column as the value the file would hold, borrowed from the row (text and bytes are
/// not copied: a report reads hundreds of thousands of them).
fn value_ref(row: &postgres::Row, i: usize) -> rusqlite::Result<ValueRef<'_>> {
    let ty = row
        .columns()
        .get(i)
        .ok_or(rusqlite::Error::InvalidColumnIndex(i))?
        .type_();
    let failed = |e: postgres::Error| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Null, Box::new(e))
    };
    let v = if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)
            .map_err(failed)?
            .map(ValueRef::Integer)
    } else if *ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)
            .map_err(failed)?
            .map(|v| ValueRef::Integer(v.into()))
    } else if *ty == Type::INT2 {
        row.try_get::<_, Option<i16>>(i)
            .map_err(failed)?
            .map(|v| ValueRef::Integer(v.into()))
    } else if *ty == Type::BOOL {
        row.try_get::<_, Option<bool>>(i)
            .map_err(failed)?
            .map(|v| ValueRef::Integer(v.into()))
    } else if *ty == Type::FLOAT8 {
        row.try_get::<_, Option<f64>>(i)
            .map_err(failed)?
            .map(ValueRef::Real)
    } else if *ty == Type::FLOAT4 {
        row.try_get::<_, Option<f32>>(i)
            .map_err(failed)?
            .map(|v| ValueRef::Real(v.into()))
    } else if *ty == Type::NUMERIC {
        row.try_get::<_, Option<Numeric>>(i)
            .map_err(failed)?
            .map(|n| {
                if n.1 && n.0.abs() < 9.0e15 {
                    ValueRef::Integer(n.0 as i64)
                } else {
                    ValueRef::Real(n.0)
                }
            })
    } else if *ty == Type::BYTEA {
        row.try_get::<_, Option<&[u8]>>(i)
            .map_err(failed)?
            .map(ValueRef::Blob)
    } else {
        row.try_get::<_, Option<&str>>(i)
            .map_err(failed)?
            .map(|s| ValueRef::Text(s.as_bytes()))
    };
    Ok(v.unwrap_or(ValueRef::Null))
}

impl ServerConn {
    /// The prepared statement of `sql` (rewritten), prepared once; when the server cannot infer
    /// a parameter's type from the SQL (`?1 = ?1`), it is given by the value.
    fn statement(&self, sql: &str, values: &[Value]) -> Result<postgres::Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        blocking(|| self.prepare_new(sql, values))
    }

    fn prepare_new(&self, sql: &str, values: &[Value]) -> Result<postgres::Statement> {
        let text = server_sql(sql);
        let mut client = self.client.borrow_mut();
        // Inside a transaction a failed prepare would abort it: try under a savepoint.
        let guarded = *self.depth.borrow() > 0;
        if guarded {
            client.batch_execute("SAVEPOINT huce_prepare")?;
        }
        let stmt = match client.prepare(&text) {
            Ok(s) => {
                if guarded {
                    client.batch_execute("RELEASE SAVEPOINT huce_prepare")?;
                }
                s
            }
            Err(e)
                if e.code() == Some(&postgres::error::SqlState::INDETERMINATE_DATATYPE)
                    || e.code() == Some(&postgres::error::SqlState::AMBIGUOUS_PARAMETER) =>
            {
                if guarded {
                    client.batch_execute(
                        "ROLLBACK TO SAVEPOINT huce_prepare; RELEASE SAVEPOINT huce_prepare",
                    )?;
                }
                let types: Vec<Type> = values.iter().map(type_of).collect();
                client.prepare_typed(&text, &types)?
            }
            Err(e) => {
                if guarded {
                    let _ = client.batch_execute(
                        "ROLLBACK TO SAVEPOINT huce_prepare; RELEASE SAVEPOINT huce_prepare",
                    );
                }
                return Err(e.into());
            }
        };
        self.statements
            .borrow_mut()
            .insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    /// The statement of `sql` and `params` bound as its parameter types want them.
    #[allow(clippy::type_complexity)]
    fn bound(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
    ) -> Result<(postgres::Statement, Vec<Box<dyn PgToSql + Sync>>)> {
        let values = params
            .iter()
            .map(|p| value_of(*p))
            .collect::<Result<Vec<_>>>()?;
        let stmt = self.statement(sql, &values)?;
        let bound = values
            .iter()
            .zip(stmt.params())
            .map(|(v, t)| bind(v, t))
            .collect::<Result<Vec<_>>>()?;
        Ok((stmt, bound))
    }

    fn run(&self, sql: &str, params: &[&dyn ToSql]) -> Result<Vec<postgres::Row>> {
        let (stmt, bound) = self.bound(sql, params)?;
        let refs: Vec<&(dyn PgToSql + Sync)> = bound.iter().map(|b| b.as_ref()).collect();
        Ok(blocking(|| self.client.borrow_mut().query(&stmt, &refs))?)
    }

    fn execute(&self, sql: &str, params: &[&dyn ToSql]) -> Result<usize> {
        let (stmt, bound) = self.bound(sql, params)?;
        let refs: Vec<&(dyn PgToSql + Sync)> = bound.iter().map(|b| b.as_ref()).collect();
        Ok(blocking(|| self.client.borrow_mut().execute(&stmt, &refs))? as usize)
    }

    fn copy_in(&self, sql: &str, rows: &[u8]) -> Result<u64> {
        blocking(|| {
            let mut client = self.client.borrow_mut();
            let mut writer = client.copy_in(sql)?;
            // A failed write leaves the reason on the connection: `finish` reports it.
            let _ = std::io::Write::write_all(&mut writer, rows);
            Ok(writer.finish()?)
        })
    }

    fn batch(&self, sql: &str) -> Result<()> {
        Ok(blocking(|| self.client.borrow_mut().batch_execute(sql))?)
    }
}

/// "No row" as rusqlite says it, so `optional()` reads the same on both engines.
fn no_rows() -> Error {
    Error::Sqlite(rusqlite::Error::QueryReturnedNoRows)
}

impl<'a> Db<'a> {
    pub fn engine(&self) -> Engine {
        match self {
            Db::File(_) => Engine::File,
            Db::Server(_) => Engine::Server,
        }
    }

    /// The first row of `sql`, read by `f`; an error when there is none (see [`Optional`]).
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let (sql, params) = params.positional(sql)?;
        let (sql, params) = (sql.as_ref(), params.as_slice());
        match self {
            Db::File(c) => Ok(c
                .prepare_cached(sql)?
                .query_row(params, |r| f(&Row::File(r)))?),
            Db::Server(s) => {
                let rows = s.run(sql, params)?;
                let first = rows.first().ok_or_else(no_rows)?;
                Ok(f(&Row::Server(first))?)
            }
        }
    }

    /// Every row of `sql`, each read by `f`.
    pub fn query_map<T>(
        &self,
        sql: &str,
        params: impl Params,
        mut f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let (sql, params) = params.positional(sql)?;
        let (sql, params) = (sql.as_ref(), params.as_slice());
        match self {
            Db::File(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let rows = stmt.query_map(params, |r| f(&Row::File(r)))?;
                Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
            }
            Db::Server(s) => s
                .run(sql, params)?
                .iter()
                .map(|r| Ok(f(&Row::Server(r))?))
                .collect(),
        }
    }

    /// Runs a statement that returns no rows; the number of rows it changed.
    pub fn execute(&self, sql: &str, params: impl Params) -> Result<usize> {
        let (sql, params) = params.positional(sql)?;
        let (sql, params) = (sql.as_ref(), params.as_slice());
        match self {
            Db::File(c) => Ok(c.prepare_cached(sql)?.execute(params)?),
            Db::Server(s) => s.execute(sql, params),
        }
    }

    /// Runs `f` on each row of `sql` in turn, without keeping them all (on the file; the server
    /// sends them all first, in its compact form, so that `f` may query meanwhile).
    pub fn for_each(
        &self,
        sql: &str,
        params: impl Params,
        mut f: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        let (sql, params) = params.positional(sql)?;
        let (sql, params) = (sql.as_ref(), params.as_slice());
        match self {
            Db::File(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(params)?;
                while let Some(r) = rows.next()? {
                    f(&Row::File(r))?;
                }
                Ok(())
            }
            Db::Server(s) => {
                for r in s.run(sql, params)? {
                    f(&Row::Server(&r))?;
                }
                Ok(())
            }
        }
    }

    /// Whether `sql` gives at least one row.
    pub fn exists(&self, sql: &str, params: impl Params) -> Result<bool> {
        Ok(self
            .query_row(sql, params, |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Server only: rows for `COPY … FROM STDIN` in its text format (tab-separated columns,
    /// `\N` for NULL, one row a line), sent in one go; the rows written.
    pub fn copy_in(&self, sql: &str, rows: &[u8]) -> Result<u64> {
        match self {
            Db::File(_) => Err(Error::Invalid(
                "程序内部错误：本机数据库文件不用 COPY 写入。请联系开发人员。".into(),
            )),
            Db::Server(s) => s.copy_in(sql, rows),
        }
    }

    /// Runs statements with no parameters and no rows (`;`-separated).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Db::File(c) => Ok(c.execute_batch(sql)?),
            Db::Server(s) => s.batch(sql),
        }
    }

    /// A statement, in the shape of rusqlite's: ported code keeps its `prepare(…)?.query_map(…)`.
    /// Both engines cache prepared statements by their text.
    pub fn prepare(&self, sql: &str) -> Result<Stmt<'a>> {
        Ok(Stmt {
            db: *self,
            sql: sql.to_string(),
        })
    }

    /// The same as [`Db::prepare`]: every statement is cached.
    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt<'a>> {
        self.prepare(sql)
    }

    /// The embedded file's connection, for work only the file has (its integrity check, the
    /// backup API, the photo folder beside it); on the server, `what` is said not to apply.
    pub fn file(&self, what: &str) -> Result<&'a rusqlite::Connection> {
        match self {
            Db::File(c) => Ok(c),
            Db::Server(_) => Err(Error::Invalid(format!(
                "{what}只用于本机数据库文件；现在连接的是服务器数据库，请在服务器上由管理员处理。"
            ))),
        }
    }

    /// Runs `f` as one unit: all of it or none. Inside another unit it is a savepoint; on the
    /// server, the outermost unit is a transaction.
    pub fn atomically<T>(&self, f: impl FnOnce(Db<'a>) -> Result<T>) -> Result<T> {
        match *self {
            // The savepoint is on this same connection: `f` gets this handle.
            Db::File(c) => crate::store::conn::atomically(c, |_| f(*self)),
            Db::Server(s) => {
                let depth = *s.depth.borrow();
                let (begin, commit, undo) = if depth == 0 {
                    (
                        "BEGIN".to_string(),
                        "COMMIT".to_string(),
                        "ROLLBACK".to_string(),
                    )
                } else {
                    (
                        format!("SAVEPOINT huce_{depth}"),
                        format!("RELEASE SAVEPOINT huce_{depth}"),
                        format!(
                            "ROLLBACK TO SAVEPOINT huce_{depth}; RELEASE SAVEPOINT huce_{depth}"
                        ),
                    )
                };
                s.batch(&begin)?;
                *s.depth.borrow_mut() += 1;
                let done = f(*self);
                *s.depth.borrow_mut() -= 1;
                match done {
                    Ok(v) => match s.batch(&commit) {
                        Ok(()) => Ok(v),
                        Err(e) => {
                            let _ = s.batch(&undo);
                            Err(e)
                        }
                    },
                    Err(e) => {
                        let _ = s.batch(&undo);
                        Err(e)
                    }
                }
            }
        }
    }
}

/// A prepared statement (see [`Db::prepare`]).
pub struct Stmt<'a> {
    db: Db<'a>,
    sql: String,
}

impl Stmt<'_> {
    pub fn query_row<T>(
        &mut self,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<T> {
        self.db.query_row(&self.sql, params, f)
    }

    /// Every row, read by `f`, as rusqlite gives them (each a `rusqlite::Result`), so the
    /// caller's `collect` stays as it was.
    pub fn query_map<T>(
        &mut self,
        params: impl Params,
        mut f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<std::vec::IntoIter<rusqlite::Result<T>>> {
        Ok(self
            .db
            .query_map(&self.sql, params, |r| Ok(f(r)))?
            .into_iter())
    }

    pub fn execute(&mut self, params: impl Params) -> Result<usize> {
        self.db.execute(&self.sql, params)
    }

    pub fn exists(&mut self, params: impl Params) -> Result<bool> {
        self.db.exists(&self.sql, params)
    }

    /// See [`Db::for_each`].
    pub fn for_each(
        &mut self,
        params: impl Params,
        f: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        self.db.for_each(&self.sql, params, f)
    }
}

/// Parameters in any of the shapes the core passes them: a slice or array of values
/// (`params![…]`, `[a, b]`, `[]`), or a slice of `:name` pairs (`&named_params!{…}[..]`),
/// which are numbered.
pub trait Params {
    fn positional<'s, 'q>(
        &'s self,
        sql: &'q str,
    ) -> Result<(std::borrow::Cow<'q, str>, Vec<&'s dyn ToSql>)>;
}

fn same(sql: &str) -> std::borrow::Cow<'_, str> {
    std::borrow::Cow::Borrowed(sql)
}

impl Params for &[&dyn ToSql] {
    fn positional<'s, 'q>(
        &'s self,
        sql: &'q str,
    ) -> Result<(std::borrow::Cow<'q, str>, Vec<&'s dyn ToSql>)> {
        Ok((same(sql), self.to_vec()))
    }
}

/// No parameters: `[]` (as rusqlite takes it).
impl Params for [&dyn ToSql; 0] {
    fn positional<'s, 'q>(
        &'s self,
        sql: &'q str,
    ) -> Result<(std::borrow::Cow<'q, str>, Vec<&'s dyn ToSql>)> {
        Ok((same(sql), Vec::new()))
    }
}

impl Params for &[&dyn ToSql; 0] {
    fn positional<'s, 'q>(
        &'s self,
        sql: &'q str,
    ) -> Result<(std::borrow::Cow<'q, str>, Vec<&'s dyn ToSql>)> {
        Ok((same(sql), Vec::new()))
    }
}

/// `[a, b]` and `params![a, b]` (`&[&dyn ToSql; 2]`), up to 24 values.
macro_rules! arrays {
    ($($n:literal)*) => {$(
        impl<T: ToSql> Params for [T; $n] {
            fn positional<'s, 'q>(
                &'s self,
                sql: &'q str,
            ) -> Result<(std::borrow::Cow<'q, str>, Vec<&'s dyn ToSql>)> {
                Ok((same(sql), self.iter().map(|v| v as &dyn ToSql).collect()))
            }
        }

        impl<T: ToSql> Params for &[T; $n] {
            fn positional<'s, 'q>(
                &'s self,
                sql: &'q str,
            ) -> Result<(std::borrow::Cow<'q, str>, Vec<&'s dyn ToSql>)> {
                Ok((same(sql), self.iter().map(|v| v as &dyn ToSql).collect()))
            }
        }
    )*};
}

arrays!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24);

impl Params for &Vec<&dyn ToSql> {
    fn positional<'s, 'q>(
        &'s self,
        sql: &'q str,
    ) -> Result<(std::borrow::Cow<'q, str>, Vec<&'s dyn ToSql>)> {
        Ok((same(sql), self.to_vec()))
    }
}

impl Params for &[(&str, &dyn ToSql)] {
    fn positional<'s, 'q>(
        &'s self,
        sql: &'q str,
    ) -> Result<(std::borrow::Cow<'q, str>, Vec<&'s dyn ToSql>)> {
        let (sql, values) = numbered(sql, self)?;
        Ok((std::borrow::Cow::Owned(sql), values))
    }
}

/// `query_row(…).optional()`: no row is `None`, on either engine.
pub trait Optional<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> Optional<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::Sqlite(rusqlite::Error::QueryReturnedNoRows)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::server_sql;

    #[test]
    fn named_parameters_become_numbered_in_order_of_first_use() {
        let (a, b) = (5i64, "x".to_string());
        let (sql, values) = super::numbered(
            "SELECT 1 WHERE a = :scope AND b = :term AND c = :scope AND d = ':not'",
            &[(":term", &b), (":scope", &a)],
        )
        .unwrap();
        assert_eq!(
            sql,
            "SELECT 1 WHERE a = ?1 AND b = ?2 AND c = ?1 AND d = ':not'"
        );
        assert_eq!(values.len(), 2);
        assert!(super::numbered("SELECT :missing", &[]).is_err());
    }

    #[test]
    fn placeholders_become_the_servers_outside_quotes_only() {
        assert_eq!(
            server_sql("SELECT a FROM t WHERE b = ?1 AND c LIKE '?x' AND d = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c LIKE '?x' AND d = $12"
        );
        assert_eq!(server_sql("SELECT \"wh?\" FROM t"), "SELECT \"wh?\" FROM t");
    }
}
