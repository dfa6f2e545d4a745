//! #18: two PCs on one server database (PostgreSQL, the throw-away cluster of
//! scripts/pg-cluster.sh named by HUCE_TEST_PG): two app instances, each with its own WebDriver
//! session, log in to the same town; a form one saves shows in the other after a refresh; the
//! other's form for the same household, opened before that save, is refused with who saved
//! meanwhile — its typed form kept — and goes through once it is looked at again.

use super::keying::{form_id, next_form, open_first_listed, Keys};
use super::*;

/// A schema of its own on the test server, dropped when done; the URL the apps connect with.
pub(crate) struct ServerTown {
    /// Taken (and closed) in `drop`, off the test's async thread.
    client: Option<postgres::Client>,
    schema: String,
    pub(crate) url: String,
}

impl ServerTown {
    /// A schema of its own on the test server, empty; the URL to reach it.
    fn empty() -> (postgres::Client, String, String) {
        let base = std::env::var("HUCE_TEST_PG").expect(
            "HUCE_TEST_PG names the test server: start one with `bash scripts/pg-cluster.sh start` \
             (scripts/test.sh does)",
        );
        let mut client = postgres::Client::connect(&base, postgres::NoTls).unwrap();
        let schema = format!("e2e_{}", std::process::id());
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .unwrap();
        let url = format!("{base}?options=-c%20search_path%3D{schema}");
        (client, schema, url)
    }

    fn new(households: usize) -> ServerTown {
        let (client, schema, url) = ServerTown::empty();
        // The first PC to reach the empty database sets it up; the town is then made on it.
        let (conn, _) = huce_core::server::open(&url).unwrap();
        let db = huce_core::sql::Db::Server(&conn);
        huce_core::demo::generate_on(
            db,
            huce_core::demo::DemoOptions {
                households,
                seed: 11,
            },
            "2026-11-29T09:00:00+08:00",
        )
        .unwrap();
        make_admin_on(db);
        ServerTown {
            client: Some(client),
            schema,
            url,
        }
    }

    /// The town in the database file `db` (with its photos), pushed to the server as an office
    /// moving to the server does (`huce push`).
    pub(crate) fn pushed(db: &Path) -> ServerTown {
        tokio::task::block_in_place(|| ServerTown::pushed_now(db))
    }

    fn pushed_now(db: &Path) -> ServerTown {
        let (client, schema, url) = ServerTown::empty();
        let file = huce_core::db::open(db, chrono::Local::now().naive_local()).unwrap();
        let mut server = huce_core::server::connect(&url).unwrap();
        huce_core::server::push(
            &file,
            &huce_core::paths::photo_dir(db),
            &mut server,
            &mut |_, _| {},
        )
        .unwrap();
        ServerTown {
            client: Some(client),
            schema,
            url,
        }
    }

    /// Runs `f` on a connection of its own (the blocking client, off the test's async thread).
    pub(crate) fn db<T>(&self, f: impl FnOnce(huce_core::sql::Db<'_>) -> T) -> T {
        tokio::task::block_in_place(|| {
            let (conn, _) = huce_core::server::open(&self.url).unwrap();
            f(huce_core::sql::Db::Server(&conn))
        })
    }
}

impl Drop for ServerTown {
    fn drop(&mut self) {
        let client = self.client.take();
        let schema = self.schema.clone();
        tokio::task::block_in_place(move || {
            if let Some(mut c) = client {
                let _ = c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
            }
        });
    }
}

/// Fills a clean form on the open one: the group (by initials, unless carried over from this
/// PC's last form), 正常使用, 无问题. (Both test "PCs" share one WebKit profile, so what one
/// keeps for its next form the other sees too: the form is filled by what it shows.)
async fn key_clean_form(d: &WebDriver, group: &[String]) {
    wait_text(d, "#insp-title", |t| t.starts_with("录入核查")).await;
    let chosen = d
        .find_all(By::Css("#insp-members .chip"))
        .await
        .unwrap()
        .len();
    if chosen < 2 {
        let mut k = Keys { d, n: 0 };
        click(d, "#insp-group").await;
        for keys in group {
            k.typed(keys).await;
            wait_text(d, "#insp-group-list li.on", |t| !t.is_empty()).await;
            k.key(Key::Enter).await;
        }
    }
    check(d, "#insp-in_use-1").await;
    check(d, "#insp-result-none").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_pcs_on_one_server_database() {
    let _serial = SERIAL.lock().await;
    let town = tokio::task::block_in_place(|| ServerTown::new(40));
    let (clerk, group): (i64, Vec<String>) = town.db(|db| {
        let clerk: i64 = db
            .query_row(
                "SELECT id FROM staff WHERE unit LIKE '%农业服务中心' ORDER BY id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let names: Vec<String> = ["%人民政府", "%村民委员会"]
            .iter()
            .map(|unit| {
                db.query_row(
                    "SELECT name FROM staff WHERE unit LIKE ?1 AND active = 1 ORDER BY id LIMIT 1",
                    [unit],
                    |r| r.get::<_, String>(0),
                )
                .unwrap()
            })
            .collect();
        (
            clerk,
            names
                .iter()
                .map(|n| huce_core::search_keys::initials_variants(n)[0].clone())
                .collect(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let mut pcs = Vec::new();
    for pc in ["甲", "乙"] {
        let local = dir.path().join(pc).join("huce.db");
        std::fs::create_dir_all(local.parent().unwrap()).unwrap();
        let s = start_app_with(&local, &[("HUCE_SERVER_URL", &town.url)]).await;
        log_in(&s.driver, ADMIN.0, ADMIN.1).await;
        // The header says the data is the server's, not this PC's file.
        let header = wait_text(&s.driver, "#db-path", |t| !t.is_empty()).await;
        let name = huce_core::server::name_of(&town.url);
        assert!(header.contains(&format!("服务器 {name}")), "{header}");
        choose(&s.driver, "#operator", &clerk.to_string()).await;
        pcs.push(s);
    }
    let (a, b) = (&pcs[0].driver, &pcs[1].driver);
    screenshot(&pcs[0], "e2e-server-header.png").await;

    // Both open the first household of the town's list: the same one.
    open_first_listed(a).await;
    open_first_listed(b).await;
    let form = form_id(a).await;
    assert_eq!(form, form_id(b).await, "the same household on both PCs");
    let inspections = || -> i64 {
        town.db(|db| {
            db.query_row("SELECT count(*) FROM inspections", [], |r| r.get(0))
                .unwrap()
        })
    };
    let before = inspections();

    // 甲 saves first.
    key_clean_form(a, &group).await;
    find(a, "#insp-save").await.click().await.unwrap();
    next_form(a, &form).await;
    assert_eq!(inspections(), before + 1);

    // 乙's form was opened before that save: refused, naming who saved meanwhile.
    key_clean_form(b, &group).await;
    find(b, "#insp-save").await.click().await.unwrap();
    let refused = wait_text(b, "#insp-error", |t| !t.is_empty()).await;
    assert!(
        refused.contains("在您打开之后")
            && refused.contains("测试管理员")
            && refused.contains("没有写入"),
        "{refused}"
    );
    assert_eq!(inspections(), before + 1, "nothing overwritten or added");
    assert_eq!(
        form_id(b).await,
        form,
        "乙's form stays open with what was typed"
    );
    screenshot(&pcs[1], "e2e-server-conflict.png").await;

    // 乙 closes it (kept as a draft on this PC), refreshes, and sees 甲's result.
    click(b, "#insp-cancel").await;
    click(b, "[data-node='town']").await;
    find(b, "body[data-loaded='yes']").await;
    let status = wait_text(b, ".hh-row:not(.loading) .c-check", |t| !t.is_empty()).await;
    assert_ne!(status, "未核查", "甲's form shows on 乙 after a refresh");
    // Opened again, the draft comes back; saved now, it is a second inspection, on purpose.
    open_first_listed(b).await;
    let deadline = Instant::now() + WAIT;
    while form_id(b).await != form {
        assert!(
            Instant::now() < deadline,
            "乙 reopens the same household's form"
        );
        tokio::time::sleep(POLL).await;
    }
    find(b, "#insp-save").await.click().await.unwrap();
    next_form(b, &form).await;
    assert_eq!(inspections(), before + 2);

    // 甲's administrator opens 连接服务器 and tries the office server's settings: a connection
    // that works says what the database holds; a wrong password says so.
    let base: postgres::Config = std::env::var("HUCE_TEST_PG").unwrap().parse().unwrap();
    let host = match &base.get_hosts()[0] {
        postgres::config::Host::Tcp(h) => h.clone(),
        other => panic!("a TCP host: {other:?}"),
    };
    click(a, "#insp-cancel").await; // 甲's form had gone on to the household's next toilet
    menu(a, "#open-server").await;
    find(a, "#server-dialog[open]").await;
    type_value(a, "#server-host", &host).await;
    type_value(a, "#server-port", &base.get_ports()[0].to_string()).await;
    type_value(a, "#server-database", base.get_dbname().unwrap()).await;
    type_value(a, "#server-user", base.get_user().unwrap()).await;
    let password = String::from_utf8(base.get_password().unwrap().to_vec()).unwrap();
    type_value(a, "#server-password", &password).await;
    click(a, "#server-test").await;
    let told = wait_text(a, "#server-result", |t| t.starts_with("连接成功")).await;
    assert!(told.contains(base.get_dbname().unwrap()), "{told}");
    // The display's picture, not WebDriver's: each PC has a display of its own (unless the run
    // shares one, DISPLAY set), and WebDriver's picture waits for the page's next frame, which
    // twice in a full run of this test never came (two minutes, both PCs at once).
    screenshot(&pcs[0], "e2e-server-dialog.png").await;
    type_value(a, "#server-password", "not-the-password").await;
    click(a, "#server-test").await;
    let refused = wait_text(a, "#server-error", |t| !t.is_empty()).await;
    assert!(refused.contains("用户名或密码"), "{refused}");
    assert!(!refused.contains("not-the-password"));

    // Encrypted with the certificate checked: the throw-away cluster's certificate is its own,
    // so it is refused until the office's root certificate is named, then the link is encrypted.
    type_value(a, "#server-password", &password).await;
    assert!(!find(a, "#server-root-cert")
        .await
        .is_displayed()
        .await
        .unwrap());
    choose(a, "#server-ssl", "verify-full").await;
    assert!(find(a, "#server-root-cert")
        .await
        .is_displayed()
        .await
        .unwrap());
    click(a, "#server-test").await;
    let refused = wait_text(a, "#server-error", |t| t.contains("证书")).await;
    assert!(refused.contains("根证书"), "{refused}");
    // (The blocking client on a thread of its own, off the test's runtime.)
    let cert: String = std::thread::spawn(|| {
        let url = std::env::var("HUCE_TEST_PG").unwrap();
        let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        admin.query_one("SHOW ssl_cert_file", &[]).unwrap().get(0)
    })
    .join()
    .unwrap();
    type_value(a, "#server-root-cert", &cert).await;
    click(a, "#server-test").await;
    let told = wait_text(a, "#server-result", |t| t.starts_with("连接成功")).await;
    assert!(told.contains("连接已加密"), "{told}");
    screenshot(&pcs[0], "e2e-server-dialog-tls.png").await;
    choose(a, "#server-ssl", "disable").await;
    click(a, "#server-test").await;
    let told = wait_text(a, "#server-result", |t| t.contains("连接未加密")).await;
    assert!(told.starts_with("连接成功"), "{told}");
    click(a, "#server-cancel").await;

    for s in pcs {
        s.driver.clone().quit().await.unwrap();
    }
}
