//! The engine a test runs on (#18): the embedded file by default, the server (PostgreSQL) when
//! `HUCE_TEST_ENGINE=server` (with `HUCE_TEST_PG` naming the throw-away cluster; scripts/test.sh
//! runs the suite once each way). A test written against [`TestDb`] runs unchanged on both; a
//! test about one engine only (the file's backups, migrations, damaged files) says so and uses a
//! file directly.

use huce_core::sql::{Db, Engine, Params, Row, Stmt, Store};

/// A database for one test, on the engine the run asks for.
pub(crate) struct TestDb {
    store: Store,
    #[cfg(not(windows))]
    _scratch: Option<crate::server::Scratch>,
}

/// Whether this run is on the server (never under Windows, whose run is on the file).
#[cfg_attr(windows, allow(dead_code))]
pub(crate) fn on_server() -> bool {
    !cfg!(windows) && std::env::var("HUCE_TEST_ENGINE").is_ok_and(|e| e == "server")
}

/// An empty database at the current schema, as a new file or a first PC on an empty server has.
pub(crate) fn fresh() -> TestDb {
    #[cfg(not(windows))]
    if on_server() {
        let scratch = crate::server::Scratch::new();
        let (conn, _) = huce_core::server::open(&scratch.url()).unwrap();
        return TestDb {
            store: Store::Server(Box::new(conn)),
            _scratch: Some(scratch),
        };
    }
    TestDb {
        store: Store::File(huce_core::db::open_in_memory().unwrap()),
        #[cfg(not(windows))]
        _scratch: None,
    }
}

/// A demo town of `households` households on the run's engine (the same seed gives the same
/// town on both).
pub(crate) fn demo(households: usize, seed: u64) -> TestDb {
    let t = fresh();
    huce_core::demo::generate_on(
        &t,
        huce_core::demo::DemoOptions { households, seed },
        crate::NOW,
    )
    .unwrap();
    t
}

impl TestDb {
    pub(crate) fn db(&self) -> Db<'_> {
        self.store.db()
    }

    pub(crate) fn engine(&self) -> Engine {
        self.store.engine()
    }

    /// The file's connection, for a step only the file has; a test that needs it runs on the
    /// file only.
    pub(crate) fn file(&self) -> &rusqlite::Connection {
        match &self.store {
            Store::File(c) => c,
            Store::Server(_) => panic!("this step reads the database file itself: file only"),
        }
    }

    pub(crate) fn execute(&self, sql: &str, params: impl Params) -> huce_core::Result<usize> {
        self.db().execute(sql, params)
    }

    pub(crate) fn execute_batch(&self, sql: &str) -> huce_core::Result<()> {
        self.db().execute_batch(sql)
    }

    pub(crate) fn query_row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> huce_core::Result<T> {
        self.db().query_row(sql, params, f)
    }

    pub(crate) fn prepare(&self, sql: &str) -> huce_core::Result<Stmt<'_>> {
        self.db().prepare(sql)
    }
}

impl<'a> From<&'a TestDb> for Db<'a> {
    fn from(t: &'a TestDb) -> Db<'a> {
        t.db()
    }
}
