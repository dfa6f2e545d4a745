//! The server database (PostgreSQL 15+, or a database that speaks its protocol and SQL, such as
//! 人大金仓 KingbaseES or 瀚高 HighGo) for several PCs on one town's data (#18): connecting,
//! and moving a town between the embedded file and the server — `push` copies a database file
//! into an empty server database, `pull` makes a database file from the server (a snapshot to
//! take away or keep). Both copy every table and the photos, check the audit chain, refuse a
//! target that is not empty and report counts. The domain code itself still runs on the file
//! only; ARCHITECTURE.md ("Storage on two engines") has the plan.

use std::path::{Path, PathBuf};

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::schema::{
    postgres_migration, postgres_schema, KEPT_COMPARISON_AFRESH, POSTGRES_BASE_VERSION,
    POSTGRES_CODE_POINT_ORDER, POSTGRES_NOT_IN_CODE_POINT_ORDER, SCHEMA_VERSION,
};

/// A connection to the server database.
pub struct Server {
    client: postgres::Client,
    /// `host:port/database`, for messages (never the password).
    pub name: String,
    /// What it was opened with, to open a second connection for two reads at once.
    url: String,
}

/// What [`Server::set_up`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetUp {
    /// The database was empty and is now set up (the town's names and first account come next).
    New,
    /// Already set up at this program's version.
    Ready,
    /// Set up by an older program and brought up to this one's version (from the version named).
    Upgraded(i64),
}

/// Connects to the server database at `url` for the domain code: sets up an empty database
/// (see [`Server::set_up`]) and refuses one of another version or another program.
pub fn open(url: &str) -> Result<(crate::store::sql::ServerConn, SetUp)> {
    let mut server = connect(url)?;
    let set_up = server.set_up()?;
    Ok((server.into_conn(), set_up))
}

/// What a copy moved, table by table (in the order copied).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CopyReport {
    pub tables: Vec<(String, u64)>,
    pub photos: u64,
    /// Audit log entries, checked as one chain.
    pub audit_entries: u64,
}

impl CopyReport {
    /// `农户 9000 行，户厕 10137 行，…` for people.
    pub fn summary(&self) -> String {
        let rows: u64 = self.tables.iter().map(|t| t.1).sum();
        let named = |t: &str| self.tables.iter().find(|x| x.0 == t).map_or(0, |x| x.1);
        format!(
            "共 {} 张表 {rows} 行（农户 {} 户，户厕 {} 个，核查 {} 次，整改 {} 个），照片 {} 张，操作日志 {} 条（串联校验通过）",
            self.tables.len(),
            named("households"),
            named("toilets"),
            named("inspections"),
            named("rectifications"),
            self.photos,
            self.audit_entries
        )
    }
}

/// The URL without its password, for messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Connects with `postgres://user:password@host:port/database` (or `host=… dbname=…`).
///
/// `sslmode` takes libpq's words: `disable`; `prefer` and `require` encrypt without checking the
/// server's certificate (as libpq does); `verify-ca` checks it against the system's trusted
/// certificates or the `sslrootcert` file, and `verify-full` also checks that it names the host.
pub fn connect(url: &str) -> Result<Server> {
    let given = url.to_string();
    let (url, tls) = Tls::take_from(url);
    let config = parse(&url)?;
    let name = name_of_config(&config);
    let client = if config.get_ssl_mode() == postgres::config::SslMode::Disable {
        crate::store::sql::blocking(|| config.connect(postgres::NoTls))?
    } else {
        let connector = tls.connector()?;
        crate::store::sql::blocking(|| config.connect(connector))?
    };
    Ok(Server {
        client,
        name,
        url: given,
    })
}

/// What the URL asks of the encryption beyond what the client's own parser knows.
#[derive(Debug, Default, PartialEq)]
struct Tls {
    /// Check the certificate's chain (`verify-ca`, `verify-full`).
    verify_chain: bool,
    /// Check that the certificate names the host (`verify-full`).
    verify_host: bool,
    /// `sslrootcert`: the office's root certificate, PEM or DER.
    root: Option<PathBuf>,
}

impl Tls {
    /// The URL without `sslrootcert` and with `verify-ca` / `verify-full` as `require` (the
    /// client knows only disable/prefer/require), and what they asked for.
    fn take_from(url: &str) -> (String, Tls) {
        let mut tls = Tls::default();
        let uri = url.contains("://");
        let mut rest = Vec::new();
        let (head, params): (&str, Vec<&str>) = if uri {
            match url.split_once('?') {
                Some((h, q)) => (h, q.split('&').collect()),
                None => (url, Vec::new()),
            }
        } else {
            ("", url.split_whitespace().collect())
        };
        for p in params {
            match p.split_once('=') {
                Some(("sslmode", "verify-full")) => {
                    tls.verify_chain = true;
                    tls.verify_host = true;
                    rest.push("sslmode=require".to_string());
                }
                Some(("sslmode", "verify-ca")) => {
                    tls.verify_chain = true;
                    rest.push("sslmode=require".to_string());
                }
                Some(("sslrootcert", path)) if !path.is_empty() => {
                    let path = if uri {
                        percent_decode(path)
                    } else {
                        path.to_string()
                    };
                    tls.root = Some(PathBuf::from(path));
                }
                _ => rest.push(p.to_string()),
            }
        }
        let url = if uri {
            if rest.is_empty() {
                head.to_string()
            } else {
                format!("{head}?{}", rest.join("&"))
            }
        } else {
            rest.join(" ")
        };
        (url, tls)
    }

    fn connector(&self) -> Result<postgres_native_tls::MakeTlsConnector> {
        let mut builder = native_tls::TlsConnector::builder();
        if let Some(path) = &self.root {
            let bytes = std::fs::read(path).map_err(|e| {
                Error::Invalid(format!(
                    "读不到根证书文件“{}”（{e}）。请确认文件位置，或不填根证书文件而把证书装入系统的受信任根证书。",
                    path.display()
                ))
            })?;
            let cert = native_tls::Certificate::from_pem(&bytes)
                .or_else(|_| native_tls::Certificate::from_der(&bytes))
                .map_err(|e| {
                    Error::Invalid(format!(
                        "根证书文件“{}”不是证书（{e}）。请向管理员要服务器的根证书（.crt 或 .pem 文件）。",
                        path.display()
                    ))
                })?;
            builder.add_root_certificate(cert);
        }
        builder.danger_accept_invalid_certs(!self.verify_chain);
        builder.danger_accept_invalid_hostnames(!self.verify_host);
        let connector = builder.build().map_err(|e| {
            Error::Server(format!(
                "本机无法建立加密连接（{e}）。请改用“不加密”并通过办公室局域网或 VPN 连接，或联系管理员。"
            ))
        })?;
        Ok(postgres_native_tls::MakeTlsConnector::new(connector))
    }
}

/// `%XX` decoded (a path in a URL's query).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse(url: &str) -> Result<postgres::Config> {
    url.parse().map_err(|e| {
        Error::Invalid(format!(
            "服务器地址“{}”的写法不对（{e}）。应写成 postgres://用户名:密码@服务器地址:端口/数据库名。",
            redacted(url)
        ))
    })
}

/// `host:port/database` of a server URL, for the header and messages (never the password).
pub fn name_of(url: &str) -> String {
    parse(url).map_or_else(|_| redacted(url), |c| name_of_config(&c))
}

fn name_of_config(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(h) => h.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{host}:{port}/{}",
        config
            .get_dbname()
            .or(config.get_user())
            .unwrap_or("postgres")
    )
}

impl Server {
    /// The client, to put in place of a lost one ([`crate::sql::ServerConn::replace_client`]).
    pub fn into_client(self) -> postgres::Client {
        self.client
    }

    /// The connection as the domain code's handle.
    pub fn into_conn(self) -> crate::store::sql::ServerConn {
        let url = self.url;
        crate::store::sql::ServerConn::new(self.client)
            .reopened_with(Box::new(move || connect(&url).map(Server::into_client)))
    }

    /// Makes an empty server database ready for a town: the schema at this program's version,
    /// the database's identity and the standard 问题口径 a new file has (the town's names and
    /// the first administrator are then set in the app, as on a new file). A database already
    /// set up at this version is left as it is; one at another version, or holding tables that
    /// are not this program's, is refused.
    pub fn set_up(&mut self) -> Result<SetUp> {
        let set_up = self.set_up_schema()?;
        self.code_point_order()?;
        Ok(set_up)
    }

    /// A database set up by a program before this one kept the database's own text order (see
    /// [`POSTGRES_CODE_POINT_ORDER`]): the first PC to connect changes it, once, while the others
    /// wait on the lock.
    fn code_point_order(&mut self) -> Result<()> {
        let off: i64 = self
            .client
            .query_one(POSTGRES_NOT_IN_CODE_POINT_ORDER, &[])?
            .get(0);
        if off == 0 {
            return Ok(());
        }
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock(4855434501)", &[])?;
        tx.batch_execute(POSTGRES_CODE_POINT_ORDER)?;
        tx.commit()?;
        Ok(())
    }

    fn set_up_schema(&mut self) -> Result<SetUp> {
        match self.schema_version()? {
            Some(v) if v == SCHEMA_VERSION => return Ok(SetUp::Ready),
            Some(v) if v > SCHEMA_VERSION => {
                return Err(Error::Invalid(format!(
                    "服务器上的数据是第 {v} 版结构，比本程序（第 {SCHEMA_VERSION} 版）新。请先把这台电脑上的程序升级到与其他电脑相同的版本。"
                )))
            }
            Some(v) if v >= POSTGRES_BASE_VERSION => return self.upgrade(),
            Some(v) => {
                return Err(Error::Invalid(format!(
                    "服务器上的数据是第 {v} 版结构，本程序无法升级这么旧的结构（最早第 {POSTGRES_BASE_VERSION} 版）。请用本机文件拉取一份副本（huce pull），在新建的空数据库上重新推送。"
                )))
            }
            None => {}
        }
        self.refuse_unless_empty()?;
        // What a new file holds after its migrations (the 问题口径 list, the database's
        // identity): made by the same migrations and copied, so the two start alike.
        let seed = crate::store::schema::open_in_memory()?;
        let tables = file_tables(&seed)?;
        let mut tx = self.client.transaction()?;
        tx.batch_execute(&postgres_schema())?;
        copy_tables(&seed, &tables, &mut tx, &mut |_, _| {})?;
        tx.commit()?;
        Ok(SetUp::New)
    }

    /// Runs the server migrations the database lacks, in one transaction: the first PC with
    /// the newer program upgrades the town's database, and a PC starting at the same moment
    /// waits on the lock and then finds it done. A failure leaves the database as it was.
    fn upgrade(&mut self) -> Result<SetUp> {
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock(4855434501)", &[])?;
        let from: i64 = tx.query_one("SELECT version FROM huce_schema", &[])?.get(0);
        if from >= SCHEMA_VERSION {
            return Ok(SetUp::Ready);
        }
        for v in from + 1..=SCHEMA_VERSION {
            let sql = postgres_migration(v).ok_or_else(|| {
                Error::Invalid(format!(
                    "本程序缺少服务器数据第 {v} 版的升级步骤，无法升级。请安装正式发布的版本。"
                ))
            })?;
            tx.batch_execute(&sql)?;
        }
        tx.commit()?;
        Ok(SetUp::Upgraded(from))
    }

    /// Whether this connection is encrypted (none when the server does not say, as a database
    /// without PostgreSQL's statistics views may not).
    pub fn encrypted(&mut self) -> Option<bool> {
        self.client
            .query_opt(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .ok()
            .flatten()
            .map(|r| r.get(0))
    }

    /// The tables in the database's current schema.
    pub fn tables(&mut self) -> Result<Vec<String>> {
        Ok(self
            .client
            .query(
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                 ORDER BY 1",
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    /// The schema version of a set-up database; None when it is not one of ours.
    pub fn schema_version(&mut self) -> Result<Option<i64>> {
        if !self.tables()?.iter().any(|t| t == "huce_schema") {
            return Ok(None);
        }
        Ok(self
            .client
            .query_opt("SELECT version FROM huce_schema", &[])?
            .map(|r| r.get(0)))
    }

    fn refuse_unless_empty(&mut self) -> Result<()> {
        let tables = self.tables()?;
        if !tables.is_empty() {
            return Err(Error::Invalid(format!(
                "服务器上的数据库“{}”不是空的（已有 {} 张表，例如 {}）。只能推送到一个新建的空数据库，\
                 以免和已有的数据混在一起：请在服务器上新建一个数据库再推送。",
                self.name,
                tables.len(),
                tables.iter().take(3).cloned().collect::<Vec<_>>().join("、")
            )));
        }
        Ok(())
    }
}

/// The tables of a database file in an order their foreign keys allow, with their columns.
/// The kept 多方比对 (`compare_*`) is not copied: the copy's triggers mark what they write and
/// [`KEPT_COMPARISON_AFRESH`] marks every inspected toilet, so it is worked out again where it
/// lands.
fn file_tables(conn: &Connection) -> Result<Vec<(String, Vec<String>)>> {
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
               AND name NOT LIKE 'compare\\_%' ESCAPE '\\'
             ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut deps = Vec::new();
    for t in &names {
        let refs: Vec<String> = conn
            .prepare("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)")?
            .query_map([t], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        deps.push(refs);
    }
    let mut order: Vec<String> = Vec::new();
    while order.len() < names.len() {
        let before = order.len();
        for (t, refs) in names.iter().zip(&deps) {
            if !order.contains(t) && refs.iter().all(|r| r == t || order.contains(r)) {
                order.push(t.clone());
            }
        }
        if order.len() == before {
            return Err(Error::Invalid(
                "数据库的表之间有循环引用，无法确定复制顺序。数据库可能被改动过，请交给管理员检查。"
                    .into(),
            ));
        }
    }
    order
        .into_iter()
        .map(|t| {
            let cols: Vec<String> = conn
                .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?
                .query_map([&t], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok((t, cols))
        })
        .collect()
}

/// Copies the rows of `tables` of the file `conn` into the server's (fresh) tables, in their
/// order; the server's next ids follow the copied ones.
fn copy_tables(
    conn: &Connection,
    tables: &[(String, Vec<String>)],
    tx: &mut postgres::Transaction<'_>,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<Vec<(String, u64)>> {
    let mut copied = Vec::new();
    for (table, cols) in tables {
        let list = cols.join(", ");
        // The server's column types, as an insert of the columns would take them.
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        let types = tx
            .prepare(&format!(
                "INSERT INTO {table} ({list}) VALUES ({})",
                marks.join(", ")
            ))?
            .params()
            .to_vec();
        let mut stmt = conn.prepare(&format!("SELECT {list} FROM {table}"))?;
        let mut rows = stmt.query([])?;
        let mut n = 0u64;
        // COPY in the binary format, streamed: a statement a row took five minutes for a
        // district.
        let mut writer = BinaryCopyInWriter::new(
            tx.copy_in(&format!("COPY {table} ({list}) FROM STDIN BINARY"))?,
            &types,
        );
        while let Some(r) = rows.next()? {
            let values = (0..cols.len())
                .map(|i| to_server(r.get_ref(i)?, &types[i], table, &cols[i]))
                .collect::<Result<Vec<_>>>()?;
            let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref()).collect();
            writer.write(&refs)?;
            n += 1;
            if n.is_multiple_of(5000) {
                progress(table, n);
            }
        }
        writer.finish()?;
        progress(table, n);
        if cols.iter().any(|c| c == "id") {
            // The next id the server gives follows the copied ones.
            tx.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1), max(id) IS NOT NULL)
                 FROM {table}
                 WHERE pg_get_serial_sequence('{table}', 'id') IS NOT NULL"
            ))?;
        }
        copied.push((table.clone(), n));
    }
    Ok(copied)
}

/// No parameters, for `query_raw`.
fn no_params() -> std::iter::Empty<&'static (dyn ToSql + Sync)> {
    std::iter::empty()
}

/// One value of the file as the server's column type wants it.
fn to_server(
    v: ValueRef<'_>,
    ty: &Type,
    table: &str,
    column: &str,
) -> Result<Box<dyn ToSql + Sync>> {
    let wrong = || {
        Error::Invalid(format!(
            "表 {table} 的 {column} 列有一个值的类型与服务器上的不同，不能复制。请先用“huce verify”检查本机数据库。"
        ))
    };
    Ok(match v {
        ValueRef::Null if *ty == Type::INT8 => Box::new(None::<i64>),
        ValueRef::Null if *ty == Type::FLOAT8 => Box::new(None::<f64>),
        ValueRef::Null if *ty == Type::BYTEA => Box::new(None::<Vec<u8>>),
        ValueRef::Null if *ty == Type::TEXT => Box::new(None::<String>),
        ValueRef::Integer(i) if *ty == Type::INT8 => Box::new(i),
        ValueRef::Integer(i) if *ty == Type::FLOAT8 => Box::new(i as f64),
        ValueRef::Real(f) if *ty == Type::FLOAT8 => Box::new(f),
        ValueRef::Text(t) if *ty == Type::TEXT => {
            Box::new(String::from_utf8(t.to_vec()).map_err(|_| wrong())?)
        }
        ValueRef::Blob(b) if *ty == Type::BYTEA => Box::new(b.to_vec()),
        _ => return Err(wrong()),
    })
}

/// One value of the server as the file stores it.
fn to_file(row: &postgres::Row, i: usize) -> Result<rusqlite::types::Value> {
    use rusqlite::types::Value;
    let ty = row.columns()[i].type_().clone();
    Ok(if ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)?
            .map_or(Value::Null, Value::Integer)
    } else if ty == Type::FLOAT8 {
        row.try_get::<_, Option<f64>>(i)?
            .map_or(Value::Null, Value::Real)
    } else if ty == Type::BYTEA {
        row.try_get::<_, Option<Vec<u8>>>(i)?
            .map_or(Value::Null, Value::Blob)
    } else {
        row.try_get::<_, Option<String>>(i)?
            .map_or(Value::Null, Value::Text)
    })
}

/// The audit log's columns, compared entry for entry between the two copies.
const AUDIT_COLUMNS: &str =
    "id, at, actor, action, entity, entity_id, summary, detail, prev_hash, hash, format";

type AuditRow = (i64, Vec<Option<String>>);

fn file_audit(conn: &Connection) -> Result<Vec<AuditRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY id"
    ))?;
    let rows = stmt.query_map([], |r| {
        let mut parts = Vec::new();
        for i in 1..10 {
            parts.push(r.get::<_, Option<String>>(i)?);
        }
        parts.push(Some(r.get::<_, i64>(10)?.to_string()));
        Ok((r.get(0)?, parts))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn server_audit(client: &mut impl postgres::GenericClient) -> Result<Vec<AuditRow>> {
    Ok(client
        .query(
            &format!("SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY id"),
            &[],
        )?
        .iter()
        .map(|r| {
            let mut parts: Vec<Option<String>> = (1..10).map(|i| r.get(i)).collect();
            parts.push(Some(r.get::<_, i64>(10).to_string()));
            (r.get(0), parts)
        })
        .collect())
}

/// Refuses a copy whose source's audit chain does not check out: a copy must not launder it.
fn refuse_unverified(conn: &Connection, what: &str) -> Result<u64> {
    let v = crate::store::audit::verify(conn)?;
    if !v.ok() {
        return Err(Error::Invalid(format!(
            "{what}的操作日志校验没有通过：{}。不能复制，请先用“huce verify”查明原因并交给管理员处理。",
            v.message()
        )));
    }
    Ok(conn.query_row("SELECT count(*) FROM audit_log", [], |r| r.get::<_, i64>(0))? as u64)
}

/// Copies the database file `conn` (its photos in `photo_dir`) into the empty server database,
/// in one transaction: the schema, every table, the photos' bytes; then checks the server's
/// audit log is the file's, entry for entry. `progress(table, rows)` is told as it goes.
pub fn push(
    conn: &Connection,
    photo_dir: &Path,
    server: &mut Server,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<CopyReport> {
    let audit_entries = refuse_unverified(conn, "本机数据库")?;
    server.refuse_unless_empty()?;
    let tables = file_tables(conn)?;
    let mut report = CopyReport {
        audit_entries,
        ..CopyReport::default()
    };
    let mut tx = server.client.transaction()?;
    tx.batch_execute(&postgres_schema())?;
    report.tables = copy_tables(conn, &tables, &mut tx, progress)?;
    tx.batch_execute(KEPT_COMPARISON_AFRESH)?;
    // The photos' bytes, so every PC sees them.
    let insert = tx.prepare("INSERT INTO photo_blobs (hash, bytes) VALUES ($1, $2)")?;
    let mut stmt = conn.prepare("SELECT hash, file_name FROM photos ORDER BY hash")?;
    let photos: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut missing = Vec::new();
    for (hash, file_name) in &photos {
        let path = crate::store::paths::photo_file(photo_dir, file_name)?;
        match std::fs::read(&path) {
            Ok(bytes) => {
                tx.execute(&insert, &[hash, &bytes])?;
                report.photos += 1;
            }
            Err(_) => missing.push(file_name.clone()),
        }
    }
    if !missing.is_empty() {
        return Err(Error::Invalid(format!(
            "本机照片文件夹“{}”里缺少 {} 张照片（例如 {}），服务器没有被改动。请先从备份中找回照片文件夹再推送。",
            photo_dir.display(),
            missing.len(),
            missing[0]
        )));
    }
    progress("photo_blobs", report.photos);
    if server_audit(&mut tx)? != file_audit(conn)? {
        return Err(Error::Invalid(
            "复制到服务器的操作日志与本机的不一致，服务器没有被改动。请重试；如果反复出现，请联系管理员。"
                .into(),
        ));
    }
    tx.commit()?;
    // Fresh tables have no statistics and no visibility map: without these the planner reads
    // the heap for every search (ten times slower on a district) until autovacuum comes by.
    let list: Vec<&str> = report.tables.iter().map(|t| t.0.as_str()).collect();
    server.client.batch_execute(&format!(
        "VACUUM (ANALYZE) {}, photo_blobs",
        list.join(", ")
    ))?;
    Ok(report)
}

/// Makes the database file `out` from the server database: a new file at this program's schema
/// version with every table copied and the photos beside it, then checked (integrity, the
/// audit chain) before it is put in place. Refuses an `out` that exists.
pub fn pull(
    server: &mut Server,
    out: &Path,
    now: chrono::NaiveDateTime,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<CopyReport> {
    if out.exists() {
        return Err(Error::Invalid(format!(
            "文件“{}”已经存在。拉取只写新文件，以免覆盖已有的数据库：请换一个文件名。",
            out.display()
        )));
    }
    match server.schema_version()? {
        Some(v) if v == SCHEMA_VERSION => {}
        Some(v) => {
            return Err(Error::Invalid(format!(
                "服务器上的数据是第 {v} 版结构，本程序是第 {SCHEMA_VERSION} 版。请用与服务器相同版本的程序拉取。"
            )))
        }
        None => {
            return Err(Error::Invalid(format!(
                "服务器上的数据库“{}”里没有本程序的数据（可能还没有推送或设置）。请确认数据库名。",
                server.name
            )))
        }
    }
    let part = PathBuf::from(format!("{}.part", out.display()));
    let _ = std::fs::remove_file(&part);
    let result = pull_into(server, &part, out, now, progress);
    match result {
        Ok(report) => {
            std::fs::rename(&part, out).map_err(|e| Error::Io {
                path: out.to_path_buf(),
                source: e,
            })?;
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            let _ = std::fs::remove_dir_all(crate::store::paths::photo_dir(out));
            Err(e)
        }
    }
}

fn pull_into(
    server: &mut Server,
    part: &Path,
    out: &Path,
    now: chrono::NaiveDateTime,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<CopyReport> {
    let mut conn = crate::store::db::open(part, now)?;
    // A new file written in bulk: the large page cache (the connection is closed after).
    conn.execute_batch(&format!(
        "PRAGMA cache_size = -{}",
        crate::store::conn::BULK_CACHE_KB
    ))?;
    let tables = file_tables(&conn)?;
    let mut report = CopyReport::default();
    let tx = conn.transaction()?;
    // A new file holds what its migrations put in (the 问题口径, the settings): the server's
    // rows replace them.
    for (table, _) in tables.iter().rev() {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    let mut read = server.client.transaction()?;
    read.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
    for (table, cols) in &tables {
        let list = cols.join(", ");
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let mut insert = tx.prepare(&format!(
            "INSERT INTO {table} ({list}) VALUES ({})",
            marks.join(", ")
        ))?;
        let mut n = 0u64;
        // Streamed: a district's search keys are millions of rows.
        let mut rows = read.query_raw(&format!("SELECT {list} FROM {table}"), no_params())?;
        while let Some(row) = rows.next()? {
            let values = (0..cols.len())
                .map(|i| to_file(&row, i))
                .collect::<Result<Vec<_>>>()?;
            insert.execute(rusqlite::params_from_iter(values))?;
            n += 1;
        }
        progress(table, n);
        report.tables.push((table.clone(), n));
    }
    let photo_dir = crate::store::paths::photo_dir(out);
    // One photo in memory at a time, however many the town has.
    let mut photos = read.query_raw(
        "SELECT p.file_name, b.bytes FROM photos p JOIN photo_blobs b ON b.hash = p.hash",
        no_params(),
    )?;
    while let Some(row) = photos.next()? {
        let file_name: String = row.get(0);
        let bytes: Vec<u8> = row.get(1);
        let path = crate::store::paths::photo_file(&photo_dir, &file_name)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::Io {
                path: dir.to_path_buf(),
                source: e,
            })?;
        }
        std::fs::write(&path, bytes).map_err(|e| Error::Io {
            path: path.clone(),
            source: e,
        })?;
        report.photos += 1;
    }
    progress("photo_blobs", report.photos);
    drop(photos);
    read.commit()?;
    tx.execute_batch(KEPT_COMPARISON_AFRESH)?;
    tx.commit()?;
    crate::store::db::check_integrity(&conn)?;
    report.audit_entries = refuse_unverified(&conn, "拉取的数据库")?;
    Ok(report)
}

/// Where PostgreSQL's `pg_dump` is: on the PATH, or where Debian's packages or the EDB installer
/// for Windows put it (the newest version first).
pub fn find_pg_dump() -> Option<PathBuf> {
    let exe = if cfg!(windows) {
        "pg_dump.exe"
    } else {
        "pg_dump"
    };
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(exe);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    let roots: &[&str] = if cfg!(windows) {
        &[r"C:\Program Files\PostgreSQL"]
    } else {
        &["/usr/lib/postgresql"]
    };
    let mut found: Vec<(u32, PathBuf)> = Vec::new();
    for root in roots {
        let Ok(versions) = std::fs::read_dir(root) else {
            continue;
        };
        for v in versions.flatten() {
            let p = v.path().join("bin").join(exe);
            let number = v.file_name().to_string_lossy().parse::<u32>().unwrap_or(0);
            if p.is_file() {
                found.push((number, p));
            }
        }
    }
    found.sort();
    found.pop().map(|(_, p)| p)
}

/// Backs up the server database with `pg_dump` (its custom format, which `pg_restore` reads)
/// into `dir`, named by the database and the time, and checks the dump reads back (`pg_restore
/// --list`). In server mode the server's own scheduled dumps are the office's backups; this is
/// the same, on demand.
pub fn dump(url: &str, dir: &Path, now: chrono::NaiveDateTime) -> Result<PathBuf> {
    let server = connect(url)?;
    let pg_dump = find_pg_dump().ok_or_else(|| {
        Error::Invalid(
            "这台电脑上没有 PostgreSQL 的备份工具 pg_dump。请安装 PostgreSQL（Windows 上用 EDB 安装程序，可只选“命令行工具”），或在服务器上按使用说明安排每天自动备份。"
                .into(),
        )
    })?;
    std::fs::create_dir_all(dir).map_err(|e| Error::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let database: String = server
        .name
        .rsplit('/')
        .next()
        .unwrap_or("huce")
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let out = dir.join(format!(
        "huce-server-{database}-{}.dump",
        now.format("%Y%m%d-%H%M%S")
    ));
    let part = PathBuf::from(format!("{}.part", out.display()));
    let run = std::process::Command::new(&pg_dump)
        .arg("--format=custom")
        .arg(format!("--file={}", part.display()))
        .arg(format!("--dbname={url}"))
        .output()
        .map_err(|e| Error::Io {
            path: pg_dump.clone(),
            source: e,
        })?;
    if !run.status.success() {
        let _ = std::fs::remove_file(&part);
        let said = String::from_utf8_lossy(&run.stderr);
        return Err(Error::Invalid(format!(
            "pg_dump 没有完成备份（{}）。服务器上的数据没有被改动；请检查连接设置和用户权限后重试。",
            said.trim().replace(url, &redacted(url))
        )));
    }
    let pg_restore = pg_dump.with_file_name(if cfg!(windows) {
        "pg_restore.exe"
    } else {
        "pg_restore"
    });
    if pg_restore.is_file() {
        let check = std::process::Command::new(&pg_restore)
            .arg("--list")
            .arg(&part)
            .output()
            .map_err(|e| Error::Io {
                path: pg_restore.clone(),
                source: e,
            })?;
        if !check.status.success() {
            let _ = std::fs::remove_file(&part);
            return Err(Error::Invalid(
                "备份文件写出后读不回来（pg_restore 无法读取），已删除。请检查磁盘后重试。".into(),
            ));
        }
    }
    std::fs::rename(&part, &out).map_err(|e| Error::Io {
        path: out.clone(),
        source: e,
    })?;
    Ok(out)
}
