//! End-to-end test of the real desktop app: starts the `huce-app` binary under Xvfb through
//! tauri-driver and WebKitWebDriver, loads the demo data through the UI, browses village → 社 →
//! household, checks the toilets are shown, searches by pinyin initials and saves screenshots
//! under `tests/output/`.
//!
//! Needs: Xvfb (started here when DISPLAY is unset), `tauri-driver` (cargo install
//! tauri-driver --locked; found on PATH or in ~/.cargo/bin) and WebKitWebDriver (Debian
//! webkit2gtk-driver). `.ci/run` installs all of them.

#![cfg(target_os = "linux")]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(40);
const POLL: Duration = Duration::from_millis(100);

/// A child process stopped with SIGTERM when dropped (SIGKILL would orphan WebKitWebDriver).
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
    }
}

/// Two distinct free ports (both listeners are held until both are chosen).
fn free_ports() -> (u16, u16) {
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.1:0").unwrap();
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start listening on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Uses $DISPLAY when set, else starts a private Xvfb.
fn display() -> (String, Option<Proc>) {
    if let Ok(d) = std::env::var("DISPLAY") {
        if !d.is_empty() {
            return (d, None);
        }
    }
    let n = (90..200)
        .find(|n| !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists())
        .expect("a free X display number");
    let name = format!(":{n}");
    let child = Command::new("Xvfb")
        .args([
            name.as_str(),
            "-screen",
            "0",
            "1440x900x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb must be installed (Debian package xvfb)");
    let proc = Proc(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
        assert!(Instant::now() < deadline, "Xvfb did not start on {name}");
        std::thread::sleep(Duration::from_millis(50));
    }
    (name, Some(proc))
}

fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return PathBuf::from(p);
    }
    let home_bin =
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/tauri-driver"));
    match home_bin {
        Some(p) if p.exists() => p,
        _ => PathBuf::from("tauri-driver"),
    }
}

fn output_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/output");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Session {
    driver: WebDriver,
    display: String,
    db: PathBuf,
    /// The session bus the app runs on (its own, so a desktop's running copy of the program is
    /// never taken for this one's first instance).
    bus: String,
    _driver_proc: Proc,
    _bus_proc: Proc,
    _bus_dir: tempfile::TempDir,
    _xvfb: Option<Proc>,
}

/// A private D-Bus session bus: the single-instance plugin finds a running copy through it.
fn session_bus() -> (String, Proc, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("bus");
    let address = format!("unix:path={}", socket.display());
    let child = Command::new("dbus-daemon")
        .args([
            "--session",
            "--nofork",
            "--nopidfile",
            "--address",
            &address,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon must be installed (Debian package dbus-daemon)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket.exists() {
        assert!(Instant::now() < deadline, "dbus-daemon did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (address, Proc(child), dir)
}

impl Drop for Session {
    /// If the test failed before quitting, make sure its app does not outlive it.
    fn drop(&mut self) {
        let _ = Command::new("pkill")
            .args(["-TERM", "-f"])
            .arg(&self.db)
            .status();
    }
}

async fn start_app(db: &Path) -> Session {
    let (display, xvfb) = display();
    let (bus, bus_proc, bus_dir) = session_bus();
    let (port, native_port) = free_ports();
    let child = Command::new(tauri_driver())
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .env("DISPLAY", &display)
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        // No accessibility bus on the private session bus.
        .env("NO_AT_BRIDGE", "1")
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("tauri-driver must be installed: cargo install tauri-driver --locked");
    let driver_proc = Proc(child);
    wait_for_port(port, "tauri-driver");
    // tauri-driver listens before its WebKitWebDriver child does; a session request in between
    // is dropped without an answer (seen on CI), so wait for both.
    wait_for_port(native_port, "WebKitWebDriver");

    let mut caps = Capabilities::new();
    caps.set(
        "tauri:options",
        serde_json::json!({
            "application": env!("CARGO_BIN_EXE_huce-app"),
            "args": ["--db", db.to_str().unwrap()],
        }),
    )
    .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let mut attempt = 0;
    let driver = loop {
        attempt += 1;
        match WebDriver::new(&url, caps.clone()).await {
            Ok(d) => break d,
            Err(e) if attempt < 3 => {
                eprintln!("WebDriver session attempt {attempt} failed: {e}; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => panic!("WebDriver session with the app: {e}"),
        }
    };
    Session {
        driver,
        display,
        db: db.to_path_buf(),
        bus,
        _driver_proc: driver_proc,
        _bus_proc: bus_proc,
        _bus_dir: bus_dir,
        _xvfb: xvfb,
    }
}

async fn find(driver: &WebDriver, css: &str) -> WebElement {
    driver
        .query(By::Css(css))
        .wait(WAIT, POLL)
        .first()
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
}

/// Clicks `css`, retrying while the element is still hidden or covered (the page is rendering).
async fn click(driver: &WebDriver, css: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let result = match driver.find(By::Css(css)).await {
            Ok(e) => {
                // WebKitWebDriver does not scroll nested scroll boxes (dialogs, panes) by itself.
                let _ = driver
                    .execute(
                        "arguments[0].scrollIntoView({ block: 'center' });",
                        vec![e.to_json().unwrap()],
                    )
                    .await;
                e.click().await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => return,
            Err(e) => assert!(Instant::now() < deadline, "could not click {css}: {e}"),
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the element's text satisfies `ok`, returning the text.
async fn wait_text(driver: &WebDriver, css: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(e) = driver.find(By::Css(css)).await {
            if let Ok(Some(t)) = e.prop("textContent").await {
                if ok(&t) {
                    return t;
                }
                assert!(
                    Instant::now() < deadline,
                    "{css} never had the expected text; last: {t:?}"
                );
            }
        }
        assert!(Instant::now() < deadline, "{css} did not appear");
        tokio::time::sleep(POLL).await;
    }
}

/// Saves a PNG of the whole X display with ImageMagick's `import` (WebKitWebDriver's own
/// screenshot command hung through thirtyfour here, while `import` is dependable under Xvfb).
/// The DOM text (`textContent`) of an element. WebKitWebDriver's "visible text" leaves out
/// text in `overflow: hidden` cells (ellipsis columns), which the screenshots show fine.
async fn text(e: &WebElement) -> String {
    e.prop("textContent").await.unwrap().unwrap_or_default()
}

/// The text of `css` inside `parent`, waiting until it is not empty.
async fn text_in(parent: &WebElement, css: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let t = text(&parent.find(By::Css(css)).await.unwrap()).await;
        if !t.is_empty() {
            return t;
        }
        assert!(Instant::now() < deadline, "{css} stayed empty");
        tokio::time::sleep(POLL).await;
    }
}

async fn screenshot(s: &Session, name: &str) {
    tokio::time::sleep(Duration::from_millis(250)).await;
    let path = output_dir().join(name);
    let status = Command::new("import")
        .args(["-window", "root"])
        .arg(&path)
        .env("DISPLAY", &s.display)
        .status()
        .expect("ImageMagick's import must be installed (Debian package imagemagick)");
    assert!(status.success(), "screenshot {name} failed");
    assert!(
        std::fs::metadata(&path)
            .map(|m| m.len() > 10_000)
            .unwrap_or(false),
        "screenshot {name} is empty"
    );
}

/// The tests share one machine-wide display and driver ports: run them one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread")]
async fn browse_demo_town_by_village_and_group() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    // A user folder with Chinese characters and a space, as on real office PCs.
    let db = dir.path().join("张三 的文件").join("huce.db");
    let s = start_app(&db).await;
    let d = &s.driver;

    // The first start asks for the administrator's account; a weak password is refused.
    wait_text(d, "#login-go", |t| t.contains("建立管理员账户")).await;
    screenshot(&s, "e2e-first-start.png").await;
    type_value(d, "#login-display", "张三").await;
    type_value(d, "#login-username", "zhangsan").await;
    type_value(d, "#login-password", "12345678").await;
    type_value(d, "#login-password2", "12345678").await;
    click(d, "#login-go").await;
    wait_text(d, "#login-error", |t| t.contains("不能全是数字")).await;
    type_value(d, "#login-password", "shiyu2022").await;
    type_value(d, "#login-password2", "shiyu2022").await;
    click(d, "#login-go").await;
    wait_text(d, "#account-name", |t| t == "张三（管理员）").await;

    // An empty database offers the demo data.
    let load = find(d, "#load-demo").await;
    assert_eq!(text(&load).await, "载入示例数据");
    screenshot(&s, "e2e-empty.png").await;
    load.click().await.unwrap();

    // The tree appears with villages and counts; the header marks the demo and names the file.
    let village = find(d, "[data-node^='village:']").await;
    let village_name = text_in(&village, ".node-name").await;
    assert!(
        village_name.ends_with('村'),
        "a village node: {village_name:?}"
    );
    let town = wait_text(d, "#town-name", |t| t.contains("石鱼镇")).await;
    assert!(town.contains("铜梁区"), "{town}");
    assert!(
        d.find(By::Id("demo-badge"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap(),
        "示例数据 badge shown"
    );
    let path_text = text(&d.find(By::Id("db-path")).await.unwrap()).await;
    assert!(
        path_text.contains("huce.db"),
        "header names the open database: {path_text}"
    );
    let root_count = text_in(&find(d, "[data-node='town']").await, ".node-count").await;
    assert_eq!(
        root_count,
        "9000户 · ".to_string() + root_count.split(" · ").nth(1).unwrap()
    );

    // Village → 社 → household.
    village.click().await.unwrap();
    wait_text(d, "#scope-title", |t| t == village_name).await;
    let group = find(d, "[data-node^='group:']").await;
    let group_name = text_in(&group, ".node-name").await;
    group.click().await.unwrap();
    let title = wait_text(d, "#scope-title", |t| t.contains(&group_name)).await;
    assert_eq!(title, format!("{village_name} {group_name}"));
    wait_text(d, "#list-count", |t| t.starts_with('共') && t != "共 0 户").await;

    let row = find(d, ".hh-row:not(.loading)").await;
    let row_name = text_in(&row, ".c-name").await;
    let row_place = text_in(&row, ".c-place").await;
    assert_eq!(
        row_place,
        format!("{village_name} · {group_name}"),
        "the row belongs to the chosen 社"
    );
    let row_id = text_in(&row, ".c-id").await;
    assert!(
        row_id.contains("********"),
        "ID numbers are masked in the list: {row_id}"
    );
    let row_toilets: usize = text_in(&row, ".c-toilets").await.parse().unwrap();
    row.click().await.unwrap();

    wait_text(d, "#detail-name", |t| t == row_name).await;
    let cards = d
        .query(By::Css(".toilet-card"))
        .wait(WAIT, POLL)
        .all_from_selector_required()
        .await
        .unwrap();
    assert!(row_toilets >= 1, "demo households have toilets");
    assert_eq!(
        cards.len(),
        row_toilets,
        "one card per toilet of the household"
    );
    let card_text = text(&cards[0]).await;
    for field in [
        "技术模式",
        "建设（改造）年度",
        "是否财政补助",
        "补助年度",
        "项目名称",
    ] {
        assert!(
            card_text.contains(field),
            "toilet card shows {field}: {card_text}"
        );
    }
    screenshot(&s, "e2e-household.png").await;

    // The administrator may see the full numbers of one household; the look is logged.
    click(d, "#reveal-personal").await;
    let fields = wait_text(d, ".household-fields", |t| !t.contains("********")).await;
    let prefix: String = row_id.chars().take(6).collect();
    assert!(fields.contains(&prefix), "{fields}");
    let looked: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'view.personal' AND actor LIKE '张三%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(looked, 1);

    // Search the whole town by pinyin initials.
    click(d, "[data-node='town']").await;
    let search = find(d, "#search").await;
    search.send_keys("zjg").await.unwrap();
    wait_text(d, "#list-count", |t| t.starts_with("找到")).await;
    let names = d
        .query(By::Css(".hh-row:not(.loading) .c-name"))
        .wait(WAIT, POLL)
        .all_from_selector_required()
        .await
        .unwrap();
    let mut found = Vec::new();
    for n in names {
        found.push(text(&n).await);
    }
    assert!(
        found.iter().any(|n| n == "张建国"),
        "zjg finds 张建国 among {found:?}"
    );
    screenshot(&s, "e2e-search.png").await;

    // Export: build a column template for the 防止返贫 platform (the save dialog itself is native).
    click(d, "#open-export").await;
    click(d, "#edit-templates").await;
    find(d, "#tpl-name")
        .await
        .send_keys("防止返贫监测平台")
        .await
        .unwrap();
    let boxes = d
        .query(By::Css("#tpl-columns .tpl-row input[type=checkbox]"))
        .wait(WAIT, POLL)
        .all_from_selector_required()
        .await
        .unwrap();
    assert_eq!(boxes.len(), 20, "every ledger column can be chosen");
    boxes[4].click().await.unwrap(); // 身份证号
    let header = find(d, "#tpl-columns .tpl-row:nth-child(5) input[type=text]").await;
    header.clear().await.unwrap();
    header.send_keys("证件号码").await.unwrap();
    click(d, "#tpl-columns .tpl-row:nth-child(4) input[type=checkbox]").await; // 户主姓名
    screenshot(&s, "e2e-template.png").await;
    click(d, "#tpl-save").await;
    wait_text(d, "#export-template", |t| t.contains("防止返贫监测平台")).await;
    click(d, "#export-cancel").await;

    // Settings: an empty town name is refused with a message; a valid one shows in the header.
    click(d, "#open-settings").await;
    let town_input = find(d, "#set-town").await;
    town_input.clear().await.unwrap();
    click(d, "#settings-save").await;
    wait_text(d, "#settings-error", |t| t.contains("镇（乡）名称不能为空")).await;
    town_input.send_keys("安居镇").await.unwrap();
    screenshot(&s, "e2e-settings.png").await;
    click(d, "#settings-save").await;
    wait_text(d, "#town-name", |t| t == "铜梁区 安居镇").await;
    wait_text(d, "#scope-title", |t| t == "安居镇（全镇）").await;

    s.driver.clone().quit().await.unwrap();
    assert!(
        db.exists(),
        "the database file was created where the app was told"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn import_a_ledger_into_an_empty_database() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("导入 测试").join("huce.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    make_admin(&db);
    let s = start_app(&db).await;
    let d = &s.driver;
    log_in(d, ADMIN.0, ADMIN.1).await;
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ledger-legacy.xls");

    // The empty database offers the import next to the demo data.
    click(d, "#empty-import").await;
    let path = find(d, "#import-path").await;
    path.send_keys(fixture.canonicalize().unwrap().to_str().unwrap())
        .await
        .unwrap();
    let create = find(d, "#import-create").await;
    assert!(
        create.is_selected().await.unwrap(),
        "an empty database creates villages and 社 by default"
    );
    click(d, "#import-check").await;

    // The preview shows the counts and the problem rows; nothing is written yet.
    wait_text(d, "#import-counts", |t| t.contains("农户：新增 2")).await;
    let problems = wait_text(d, "#import-problems", |t| {
        t.contains("身份证号已被Excel截断")
    })
    .await;
    assert!(problems.contains("与第 7 行完全相同"), "{problems}");
    let mapping = text(&find(d, "#import-mapping").await).await;
    assert!(mapping.contains("户主姓名"), "{mapping}");
    screenshot(&s, "e2e-import-preview.png").await;

    // Commit, then find an imported household through the search box.
    click(d, "#import-commit").await;
    wait_text(d, "#import-summary", |t| t.contains("已导入")).await;
    click(d, "#import-close").await;
    wait_text(d, "#list-count", |t| t == "共 2 户").await;
    let search = find(d, "#search").await;
    search.send_keys("wy").await.unwrap();
    wait_text(d, "#list-count", |t| t == "找到 1 户").await;
    click(d, ".hh-row:not(.loading)").await;
    wait_text(d, "#detail-name", |t| t == "王䶮").await;
    let card = text(&find(d, ".toilet-card").await).await;
    assert!(
        card.contains("双瓮漏斗式") && card.contains("2016年"),
        "{card}"
    );
    screenshot(&s, "e2e-import-done.png").await;
    assert!(
        db.parent()
            .unwrap()
            .join("backups")
            .read_dir()
            .unwrap()
            .count()
            >= 1,
        "a backup was taken before the import"
    );
    s.driver.clone().quit().await.unwrap();
}

/// Sets a `<select>` (or any input) by value and fires `change`, as a user's pick would.
async fn choose(driver: &WebDriver, css: &str, value: &str) {
    let e = find(driver, css).await;
    driver
        .execute(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
            vec![e.to_json().unwrap(), serde_json::json!(value)],
        )
        .await
        .unwrap();
}

/// The text of `css` now, or "" while it is missing or being replaced.
async fn text_now(driver: &WebDriver, css: &str) -> String {
    match driver.find(By::Css(css)).await {
        Ok(e) => e
            .prop("textContent")
            .await
            .ok()
            .flatten()
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Clicks a checkbox or radio button until it is checked (a click that lands while the form
/// re-renders is lost, as it would be for a person, who would click again).
async fn check(driver: &WebDriver, css: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        click(driver, css).await;
        tokio::time::sleep(POLL).await;
        if let Ok(e) = driver.find(By::Css(css)).await {
            if e.prop("checked").await.ok().flatten().as_deref() == Some("true") {
                return;
            }
        }
        assert!(Instant::now() < deadline, "{css} could not be checked");
    }
}

/// One cell of a village's row in the ledger's counts table, as a number.
async fn village_count(driver: &WebDriver, village: i64, column: usize) -> i64 {
    let css = format!("#counts-table tr[data-village='{village}'] td:nth-child({column})");
    wait_text(driver, &css, |t| t.parse::<i64>().is_ok())
        .await
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn inspect_a_toilet_and_close_out_its_problem() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("核查").join("huce.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();

    // The demo town, made by the core beforehand, with its staff and earlier field work.
    let mut conn = huce_core::db::open(&db, chrono::Local::now().naive_local()).unwrap();
    huce_core::demo::generate(
        &mut conn,
        huce_core::demo::DemoOptions::default(),
        "2026-11-29T09:00:00+08:00",
    )
    .unwrap();
    // A household with two toilets, the first built with fiscal support before 2018, no case
    // yet, and a name nobody else in the town has.
    let (household, name, village): (i64, String, i64) = conn
        .query_row(
            "SELECT h.id, h.head_name, h.village_id FROM households h
             JOIN toilets t ON t.household_id = h.id AND t.seq = 1
             WHERE (SELECT count(*) FROM toilets x WHERE x.household_id = h.id) = 2
               AND t.subsidized = 1 AND t.subsidy_year <= 2017
               AND NOT EXISTS (SELECT 1 FROM rectifications r WHERE r.household_id = h.id)
               AND (SELECT count(*) FROM households y WHERE y.head_name = h.head_name) = 1
             ORDER BY h.id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let staff_of = |unit_like: &str| -> i64 {
        conn.query_row(
            "SELECT id FROM staff WHERE unit LIKE ?1 ORDER BY id LIMIT 1",
            [unit_like],
            |r| r.get(0),
        )
        .unwrap()
    };
    let clerk = staff_of("%农业服务中心");
    let cadre = staff_of("%人民政府");
    let local = staff_of("%村民委员会");
    let supervisor = staff_of("%督导组");
    let leak: i64 = conn
        .query_row(
            "SELECT id FROM problem_items WHERE name = '渗漏'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    let _ = household;
    make_admin(&db);

    let s = start_app(&db).await;
    let d = &s.driver;
    log_in(d, ADMIN.0, ADMIN.1).await;
    find(d, "[data-node^='village:']").await;

    // The staff list is kept in the app; a new person can be picked at once.
    click(d, "#open-staff").await;
    let new_row = find(d, "#staff-rows tr[data-new] .s-name").await;
    new_row.send_keys("周玥").await.unwrap();
    find(d, "#staff-rows tr[data-new] .s-unit")
        .await
        .send_keys("石鱼镇农业服务中心")
        .await
        .unwrap();
    click(d, "#staff-rows tr[data-new] button").await;
    wait_text(d, "#operator", |t| t.contains("周玥")).await;
    screenshot(&s, "e2e-staff.png").await;
    click(d, "#staff-close").await;
    choose(d, "#operator", &clerk.to_string()).await;

    // The village's counts before.
    click(d, "#view-ledger").await;
    let total_before = village_count(d, village, 2).await;
    let pending_before = village_count(d, village, 4).await;
    let closed_before = village_count(d, village, 7).await;
    screenshot(&s, "e2e-ledger-town.png").await;
    click(d, "#view-households").await;

    // Find the household and open the inspection form.
    let search = find(d, "#search").await;
    search.send_keys(&name).await.unwrap();
    wait_text(d, "#list-count", |t| t == "找到 1 户").await;
    click(d, ".hh-row:not(.loading)").await;
    wait_text(d, "#detail-name", |t| t == name).await;
    click(d, "#inspect-household").await;
    wait_text(d, "#insp-title", |t| t.contains(&name)).await;
    wait_text(d, ".insp-toilet", |t| t.contains("第 1 个户厕")).await;
    screenshot(&s, "e2e-inspection-open.png").await;

    // Fewer than two inspectors is refused with a clear message.
    check(d, &format!("#insp-members input[value='{cadre}']")).await;
    check(d, "#insp-in_use-0").await;
    check(d, "#insp-result-problems").await;
    check(d, &format!("#insp-item-{leak}")).await;
    choose(d, &format!("#insp-cause-{leak}"), "construction").await;
    click(d, "#insp-save").await;
    wait_text(d, "#insp-error", |t| t.contains("至少要有 2 人")).await;
    check(d, &format!("#insp-members input[value='{local}']")).await;

    // The rules propose the category from the baseline; the plan is filled in.
    wait_text(d, "#insp-proposal", |t| {
        t.contains("方案建议：计划整改·纳入全区改厕计划")
    })
    .await;
    find(d, "#insp-measures")
        .await
        .send_keys("重新砌筑化粪池并做防渗处理")
        .await
        .unwrap();
    find(d, "#insp-responsible")
        .await
        .send_keys("李明")
        .await
        .unwrap();
    find(d, "#insp-month")
        .await
        .send_keys("2025-06")
        .await
        .unwrap();
    let funding = find(d, "#insp-funding").await;
    funding.send_keys("区级农村改厕资金").await.unwrap();
    screenshot(&s, "e2e-inspection-form.png").await;

    // Enter saves and moves on to the household's second toilet.
    funding.send_keys(Key::Enter).await.unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let toilet = text_now(d, ".insp-toilet").await;
        if toilet.contains("第 2 个户厕") {
            break;
        }
        let error = text_now(d, "#insp-error").await;
        assert!(error.is_empty(), "saving the inspection failed: {error}");
        assert!(Instant::now() < deadline, "Enter did not save: {toilet}");
        tokio::time::sleep(POLL).await;
    }
    // A half-filled form is kept as a draft when closed, and comes back when reopened.
    check(d, "#insp-in_use-1").await;
    click(d, "#insp-cancel").await;
    wait_text(d, "#toast", |t| t.contains("草稿")).await;
    wait_text(d, "#inspections", |t| t.contains("渗漏")).await;
    click(d, ".toilet-card:nth-child(2) .inspect-toilet").await;
    wait_text(d, ".draft-note", |t| t.contains("已恢复")).await;
    let restored = find(d, "#insp-in_use-1").await;
    assert!(
        restored.is_selected().await.unwrap(),
        "the draft's answer is back"
    );
    click(d, "#insp-cancel").await;
    screenshot(&s, "e2e-household-inspected.png").await;

    // The household's file for a spot check, from its details.
    click(d, "#print-household").await;
    check(d, "#print-kind-household_file").await;
    click(d, "#print-open").await; // no PDF viewer on a test machine
    click(d, "#print-go").await;
    wait_text(d, "#print-result", |t| {
        t.contains("已生成") && t.contains("户档案")
    })
    .await;
    click(d, "#print-close").await;

    // The problem is in the ledger; the village's counts moved.
    click(d, "#view-ledger").await;
    click(d, &format!("#counts-table tr[data-village='{village}'] td")).await;
    wait_text(d, "#ledger-title", |t| t.contains('村')).await;
    assert_eq!(village_count(d, village, 2).await, total_before + 1);
    assert_eq!(village_count(d, village, 4).await, pending_before + 1);
    let rows = d
        .query(By::Css("#ledger-rows tr[data-case]"))
        .wait(WAIT, POLL)
        .all_from_selector_required()
        .await
        .unwrap();
    let mut mine = None;
    for r in rows {
        let t = text(&r).await;
        if t.contains(&name) && t.contains("渗漏") {
            mine = Some(r);
            break;
        }
    }
    // (WebKitWebDriver clicks cells, not table rows.)
    mine.expect("the new problem is listed in the village's ledger")
        .find(By::Css("td.c-name"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(d, "#case-name", |t| t == name).await;
    wait_text(d, "#case-category", |t| t == "计划整改·纳入全区改厕计划").await;

    // 待整改 → 整改中 → 已整改待验收.
    click(d, "#case-moves button[data-to='in_progress']").await;
    click(d, "#move-confirm").await;
    wait_text(d, "#case-state", |t| t == "整改中").await;
    click(d, "#case-moves button[data-to='awaiting_acceptance']").await;
    find(d, "#move-remark")
        .await
        .send_keys("化粪池已重新砌筑")
        .await
        .unwrap();
    click(d, "#move-confirm").await;
    wait_text(d, "#case-state", |t| t == "已整改待验收").await;

    // The person who recorded the rectification cannot close it out; another staff member can.
    click(d, "#case-moves button[data-to='closed']").await;
    choose(d, "#move-verifier", &clerk.to_string()).await;
    click(d, "#move-confirm").await;
    wait_text(d, "#move-error", |t| t.contains("另一位工作人员")).await;
    choose(d, "#move-verifier", &supervisor.to_string()).await;
    click(d, "#move-confirm").await;
    wait_text(d, "#case-state", |t| t == "已销号").await;
    let history = wait_text(d, "#case-history", |t| t.contains("验收人")).await;
    assert!(history.contains("已整改待验收 → 已销号"), "{history}");
    assert_eq!(village_count(d, village, 7).await, closed_before + 1);
    assert_eq!(village_count(d, village, 4).await, pending_before);
    screenshot(&s, "e2e-case-closed.png").await;

    // Print the village's notices from the ledger: one page per problem toilet not closed out.
    click(d, "#ledger-print").await;
    check(d, "#print-kind-notices").await;
    click(d, "#print-open").await; // no PDF viewer on a test machine
    click(d, "#print-go").await;
    let done = wait_text(d, "#print-result", |t| t.contains("已生成")).await;
    screenshot(&s, "e2e-print.png").await;
    let folder = db.parent().unwrap().join("文书");
    let pdfs: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("整改告知单"))
        .collect();
    assert_eq!(pdfs.len(), 1, "one notice PDF in {folder:?}: {done}");
    let open_cases: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM rectifications WHERE village_id = ?1 AND state <> 'closed'",
            [village],
            |r| r.get(0),
        )
        .unwrap();
    let info = Command::new("pdfinfo").arg(&pdfs[0]).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.contains(&format!("Pages:           {open_cases}")),
        "one notice per open problem toilet ({open_cases}): {info}"
    );
    assert!(done.contains(&format!("已生成 {open_cases} 页")), "{done}");
    click(d, "#print-close").await;

    // Or only the notices ticked in the ledger.
    choose(d, "#ledger-state", "pending").await;
    wait_text(d, "#ledger-rows", |t| {
        t.contains("待整改") && !t.contains("已销号") && !t.contains("整改中")
    })
    .await;
    check(d, "#ledger-rows tr[data-case]:nth-child(1) input.pick").await;
    check(d, "#ledger-rows tr[data-case]:nth-child(2) input.pick").await;
    wait_text(d, "#ledger-picked", |t| t == "已选 2 个").await;
    click(d, "#ledger-print").await;
    check(d, "#print-kind-notices").await;
    click(d, "#print-go").await;
    wait_text(d, "#print-result", |t| t.contains("已生成 2 页")).await;

    s.driver.clone().quit().await.unwrap();
}

const ADMIN: (&str, &str) = ("admin", "shiyu2022");

/// The administrator account, made with the core before the app starts (as after a first
/// start); returns the database's connection closed again.
fn make_admin(db: &Path) {
    let conn = huce_core::db::open(db, chrono::Local::now().naive_local()).unwrap();
    huce_core::accounts::create_first_admin(
        &conn,
        &huce_core::accounts::AccountInput {
            username: ADMIN.0.into(),
            display_name: "测试管理员".into(),
            role: huce_core::model::Role::Admin,
            staff_id: None,
            password: Some(ADMIN.1.into()),
            active: true,
        },
        "2026-11-29T09:00:00+08:00",
    )
    .unwrap();
}

/// Logs in on the login screen.
async fn log_in(driver: &WebDriver, user: &str, password: &str) {
    // The button says 登录 once the screen is shown (and its fields cleared).
    wait_text(driver, "#login-go", |t| t == "登录").await;
    type_value(driver, "#login-username", user).await;
    type_value(driver, "#login-password", password).await;
    click(driver, "#login-go").await;
    wait_text(driver, "#account-name", |t| !t.is_empty()).await;
}

/// The first login of an account whose password an administrator set: the password must be
/// changed before anything else (no command but logout and the change goes through meanwhile).
async fn log_in_first_time(s: &Session, user: &str, password: &str, new: &str) {
    let driver = &s.driver;
    wait_text(driver, "#login-go", |t| t == "登录").await;
    type_value(driver, "#login-username", user).await;
    type_value(driver, "#login-password", password).await;
    click(driver, "#login-go").await;
    find(driver, "#password-dialog[open] #pw-forced:not([hidden])").await;
    screenshot(s, "e2e-password-forced.png").await;
    let refused = driver
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI__.core.invoke('village_tree', {})
               .then(() => done('allowed'), (e) => done(JSON.stringify(e)));",
            vec![],
        )
        .await
        .unwrap();
    let refused = refused.json().as_str().unwrap().to_string();
    assert!(
        refused.contains("must_change_password"),
        "nothing but the change until the password is changed: {refused}"
    );
    type_value(driver, "#pw-old", password).await;
    type_value(driver, "#pw-new", new).await;
    type_value(driver, "#pw-new2", new).await;
    click(driver, "#pw-save").await;
    wait_text(driver, "#account-name", |t| !t.is_empty()).await;
}

/// The text (pdftotext) of the PDF in `folder` whose name contains `name`.
fn pdf_text_of(folder: &Path, name: &str) -> String {
    let pdf = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains(name))
        .unwrap_or_else(|| panic!("no PDF named …{name}… in {folder:?}"));
    let out = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Sets an `<input>`'s value and fires `input` and `change`, as typing would.
async fn type_value(driver: &WebDriver, css: &str, value: &str) {
    let e = find(driver, css).await;
    driver
        .execute(
            "arguments[0].value = arguments[1];
             arguments[0].dispatchEvent(new Event('input', { bubbles: true }));
             arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
            vec![e.to_json().unwrap(), serde_json::json!(value)],
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_comparison_and_a_spot_check_sample() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("抽查 样本").join("huce.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let mut conn = huce_core::db::open(&db, chrono::Local::now().naive_local()).unwrap();
    huce_core::demo::generate(
        &mut conn,
        huce_core::demo::DemoOptions::default(),
        "2026-11-29T09:00:00+08:00",
    )
    .unwrap();
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    let progress = huce_core::progress::progress(&conn, &today).unwrap();
    let clerk: i64 = conn
        .query_row("SELECT id FROM staff ORDER BY id LIMIT 1", [], |r| r.get(0))
        .unwrap();
    let comparison =
        huce_core::compare::compare(&conn, huce_core::households::Scope::Town).unwrap();
    drop(conn);

    make_admin(&db);
    let s = start_app(&db).await;
    let d = &s.driver;
    log_in(d, ADMIN.0, ADMIN.1).await;
    find(d, "[data-node^='village:']").await;
    choose(d, "#operator", &clerk.to_string()).await;

    // 进度调度: the town's row carries the core's numbers; every village has a row.
    click(d, "#view-progress").await;
    wait_text(d, "#progress-status", |t| t.contains(&today)).await;
    let total = wait_text(d, "#progress-rows tr.total", |t| t.starts_with("全镇")).await;
    assert!(
        total.contains(&progress.town.inspected.to_string())
            && total.contains(&progress.town.closed.to_string()),
        "town row {total:?} vs {:?}",
        progress.town
    );
    let rows = d
        .find_all(By::Css("#progress-rows tr[data-village]"))
        .await
        .unwrap();
    assert_eq!(rows.len(), progress.villages.len());
    let phases = text_now(d, "#progress-phases").await;
    assert!(
        phases.contains("镇村实施（入户排查）") && phases.contains("已结束"),
        "{phases}"
    );
    find(d, "#progress-bars svg rect").await;
    find(d, "#progress-line svg path").await;
    screenshot(&s, "e2e-progress.png").await;

    // A phase that ends before it starts is refused with a message; nothing is saved.
    click(d, "#progress-phases-edit").await;
    type_value(d, "#phases-rows tr:first-child .ph-end", "2022-08-01").await;
    click(d, "#phases-save").await;
    wait_text(d, "#phases-error", |t| t.contains("早于开始日期")).await;
    click(d, "#phases-cancel").await;

    // 多方比对 for the town: the count of differences, and a row opens its household.
    click(d, "#view-checks").await;
    let count = wait_text(d, "#diff-count", |t| t.contains("处差异")).await;
    assert!(
        count.contains(&format!("共 {} 处差异", comparison.differences.len())),
        "{count}"
    );
    let first = &comparison.differences[0];
    let row = wait_text(d, "#diff-rows tr:first-child", |t| !t.is_empty()).await;
    assert!(row.contains(&first.head_name), "{row}");
    screenshot(&s, "e2e-compare.png").await;
    click(d, "#diff-rows tr:first-child td:nth-child(2)").await;
    wait_text(d, "#detail", |t| t.contains(&first.head_name)).await;

    // 区级抽查: draw a sample through the UI (the program draws the seed), reproduce it, and
    // print its list.
    click(d, "#view-checks").await;
    click(d, "#checks-tab-samples").await;
    wait_text(d, "#sample-list", |t| t.contains("还没有抽查样本")).await;
    click(d, "#sample-new").await;
    choose(d, "#sample-size-kind", "count").await;
    type_value(d, "#sample-size", "30").await;
    type_value(d, "#sample-min", "2").await;
    click(d, "#sample-draw").await;
    wait_text(d, "#sample-title", |t| {
        t.contains("第 1 号抽查样本（30 个户厕")
    })
    .await;
    let seed = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        huce_core::sampling::sample(&conn, 1).unwrap().seed
    };
    let method = text_now(d, "#sample-method").await;
    assert!(
        method.contains(&seed.to_string()) && method.contains("随机种子由程序"),
        "{method}"
    );
    click(d, "#sample-reproduce").await;
    wait_text(d, "#sample-reproduce-result", |t| t.starts_with("复现一致")).await;
    let listed = d
        .find_all(By::Css("#sample-rows tr[data-household]"))
        .await
        .unwrap();
    assert_eq!(listed.len(), 30);
    screenshot(&s, "e2e-samples.png").await;

    // The same seed and data give the same sample outside the app.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let stored = huce_core::sampling::sample(&conn, 1).unwrap();
        let spec = huce_core::sampling::SampleSpec {
            villages: vec![],
            size: huce_core::sampling::SampleSize::Count(30),
            min_per_village: 2,
            oversample_problems: true,
            seed: Some(seed),
        };
        let (again, _, _) = huce_core::sampling::draw_toilets(&conn, &spec).unwrap();
        assert_eq!(stored.toilets, again, "the UI's sample is reproducible");
    }

    click(d, "#sample-print-list").await;
    check(d, "#print-kind-sample_list").await;
    click(d, "#print-open").await; // no PDF viewer on a test machine
    click(d, "#print-go").await;
    wait_text(d, "#print-result", |t| t.contains("已生成")).await;
    let folder = db.parent().unwrap().join("文书");
    let text = pdf_text_of(&folder, "区级抽查样本清单");
    assert!(
        text.contains(&seed.to_string()),
        "the seed is printed: {text}"
    );
    click(d, "#print-close").await;

    // One field check sheet per sampled toilet.
    click(d, "#sample-print-sheets").await;
    check(d, "#print-kind-check_sheets").await;
    click(d, "#print-go").await;
    wait_text(d, "#print-result", |t| t.contains("已生成 30 页")).await;
    click(d, "#print-close").await;

    // The month's bulletin from the dashboard.
    click(d, "#view-progress").await;
    click(d, "#progress-bulletin").await;
    check(d, "#print-kind-bulletin").await;
    click(d, "#print-go").await;
    wait_text(d, "#print-result", |t| t.contains("已生成")).await;
    let text = pdf_text_of(&folder, "月通报");
    assert!(
        text.contains("月通报") && text.contains(&progress.town.inspected.to_string()),
        "the bulletin carries the town's numbers: {text}"
    );
    click(d, "#print-close").await;

    // Backups: the day's backup was taken at start; 立即备份 adds one.
    click(d, "#open-backup").await;
    wait_text(d, "#backup-rows", |t| t.contains("每日")).await;
    click(d, "#backup-now").await;
    wait_text(d, "#backup-rows", |t| t.contains("手动")).await;
    click(d, "#backup-close").await;

    // Accounts: the administrator adds a 督导; the 督导 sees no import and is refused by the
    // command gate even when calling a command directly.
    click(d, "#open-accounts").await;
    type_value(d, "#accounts-rows tr[data-new] .a-user", "dudao").await;
    type_value(d, "#accounts-rows tr[data-new] .a-name", "赵督导").await;
    choose(d, "#accounts-rows tr[data-new] .a-role", "supervisor").await;
    type_value(d, "#accounts-rows tr[data-new] .a-pass", "dudao2022").await;
    click(d, "#accounts-rows tr[data-new] button").await;
    wait_text(d, "#accounts-rows", |t| {
        t.contains("dudao") || !t.is_empty()
    })
    .await;
    let deadline = Instant::now() + WAIT;
    while d
        .find_all(By::Css("#accounts-rows tr[data-id]"))
        .await
        .unwrap()
        .len()
        < 2
    {
        assert!(Instant::now() < deadline, "the new account is listed");
        tokio::time::sleep(POLL).await;
    }
    click(d, "#accounts-close").await;
    click(d, "#logout").await;
    log_in_first_time(&s, "dudao", "dudao2022", "zhao2023x").await;
    wait_text(d, "#account-name", |t| t == "赵督导（督导）").await;
    find(d, "[data-node^='village:']").await;
    let import_shown = d
        .execute(
            "return !document.getElementById('open-import').hidden;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        import_shown.json(),
        &serde_json::json!(false),
        "no import for 督导"
    );
    let refused = d
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI__.core.invoke('save_town_names', { districtName: 'x', townName: 'y' })
               .then(() => done('allowed'), (e) => done(JSON.stringify(e)));",
            vec![],
        )
        .await
        .unwrap();
    let refused = refused.json().as_str().unwrap().to_string();
    assert!(
        refused.contains("forbidden") && refused.contains("督导"),
        "the gate refuses: {refused}"
    );

    // The audit log shows the day's changes and checks whole; an edit outside the app is found.
    click(d, "#open-audit").await;
    wait_text(d, "#audit-rows", |t| {
        t.contains("登录") && t.contains("抽取第 1 号")
    })
    .await;
    click(d, "#audit-verify").await;
    wait_text(d, "#audit-check", |t| t.contains("操作日志完整")).await;
    screenshot(&s, "e2e-audit.png").await;
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE audit_log SET summary = '改过的记录' WHERE action = 'sample.draw'",
            [],
        )
        .unwrap();
    click(d, "#audit-verify").await;
    wait_text(d, "#audit-check", |t| t.contains("被改动")).await;
    click(d, "#audit-close").await;

    s.driver.clone().quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_database_offers_the_latest_good_backup() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("损坏").join("huce.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    {
        let mut conn = huce_core::db::open(&db, chrono::Local::now().naive_local()).unwrap();
        huce_core::demo::generate(
            &mut conn,
            huce_core::demo::DemoOptions {
                households: 300,
                seed: 2,
            },
            "2026-11-29T09:00:00+08:00",
        )
        .unwrap();
        drop(conn);
        // A backup is only good for recovery with an administrator in it.
        make_admin(&db);
        let conn = huce_core::db::open(&db, chrono::Local::now().naive_local()).unwrap();
        huce_core::backup::take(
            &conn,
            &db.parent().unwrap().join("backups"),
            huce_core::backup::Reason::Daily,
            chrono::Local::now().naive_local(),
        )
        .unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
    }
    let mut bytes = std::fs::read(&db).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid..mid + 8192].fill(0x5a);
    std::fs::write(&db, &bytes).unwrap();

    let s = start_app(&db).await;
    let d = &s.driver;
    wait_text(d, "#fatal-message", |t| t.contains("已损坏")).await;
    screenshot(&s, "e2e-damaged.png").await;
    click(d, "#recover-go").await;
    wait_text(d, "#recover-result", |t| t.contains("请关闭并重新打开")).await;
    let conn = huce_core::db::open_checked(&db, chrono::Local::now().naive_local())
        .expect("the recovered file opens whole");
    let n: i64 = conn
        .query_row("SELECT count(*) FROM households", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 300);
    assert!(std::fs::read_dir(db.parent().unwrap()).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("damaged")));
    s.driver.clone().quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reviewer_then_a_leader_sign_a_village() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("签字").join("huce.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    {
        let mut conn = huce_core::db::open(&db, chrono::Local::now().naive_local()).unwrap();
        huce_core::demo::generate(
            &mut conn,
            huce_core::demo::DemoOptions {
                households: 300,
                seed: 4,
            },
            "2026-11-29T09:00:00+08:00",
        )
        .unwrap();
    }
    make_admin(&db);
    {
        let conn = huce_core::db::open(&db, chrono::Local::now().naive_local()).unwrap();
        let admin =
            huce_core::accounts::login(&conn, ADMIN.0, ADMIN.1, "2026-11-29T09:01:00+08:00")
                .unwrap();
        for (user, name, role) in [
            ("sh", "审核员甲", huce_core::model::Role::Reviewer),
            ("ld", "镇领导乙", huce_core::model::Role::Leader),
        ] {
            huce_core::accounts::add(
                &conn,
                &admin,
                &huce_core::accounts::AccountInput {
                    username: user.into(),
                    display_name: name.into(),
                    role,
                    staff_id: None,
                    password: Some("qianzi2022".into()),
                    active: true,
                },
                "2026-11-29T09:02:00+08:00",
            )
            .unwrap();
        }
    }

    let s = start_app(&db).await;
    let d = &s.driver;
    // The administrator set the password: changed at the first login.
    log_in_first_time(&s, "sh", "qianzi2022", "xinmima2023").await;
    click(d, "[data-node^='village:'] .node-name").await;
    click(d, "#open-signoff").await;
    let counts = wait_text(d, "#signoff-counts", |t| t.contains("审核人已签 0 个")).await;
    click(d, "#signoff-review").await;
    wait_text(d, "#signoff-counts", |t| {
        t.contains("负责人已签 0 个") && !t.contains("审核人已签 0 个")
    })
    .await;
    let hidden = d
        .execute(
            "return document.getElementById('signoff-responsible').hidden;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        hidden.json(),
        &serde_json::json!(true),
        "a reviewer does not sign as 负责人"
    );
    click(d, "#signoff-close").await;

    // A reviewer backs up locally but does not copy the database (full ID numbers) off the PC.
    click(d, "#open-backup").await;
    find(d, "#backup-dialog[open]").await;
    let copy_out = d
        .execute(
            "return !document.getElementById('backup-to').hidden;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        copy_out.json(),
        &serde_json::json!(false),
        "no 备份到 for 审核人"
    );
    screenshot(&s, "e2e-backup-reviewer.png").await;
    click(d, "#backup-close").await;

    // One's own password, with the old one.
    click(d, "#account-name").await;
    type_value(d, "#pw-old", "xinmima2023").await;
    type_value(d, "#pw-new", "shenhe2024").await;
    type_value(d, "#pw-new2", "shenhe2024").await;
    click(d, "#pw-save").await;
    wait_text(d, "#toast", |t| t.contains("密码已修改")).await;
    click(d, "#logout").await;

    log_in_first_time(&s, "ld", "qianzi2022", "lingdao2023").await;
    click(d, "[data-node^='village:'] .node-name").await;
    click(d, "#open-signoff").await;
    wait_text(d, "#signoff-counts", |t| t.contains("负责人已签 0 个")).await;
    click(d, "#signoff-responsible").await;
    let done = wait_text(d, "#signoff-counts", |t| !t.contains("负责人已签 0 个")).await;
    screenshot(&s, "e2e-signoff.png").await;
    let results: String = counts
        .split("已核查户厕 ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .unwrap()
        .to_string();
    assert!(
        done.contains(&format!("负责人已签 {results} 个")),
        "{done} / {counts}"
    );
    click(d, "#signoff-print").await;
    check(d, "#print-kind-signoff").await;
    click(d, "#print-open").await;
    click(d, "#print-go").await;
    wait_text(d, "#print-result", |t| t.contains("已生成")).await;
    let text = pdf_text_of(&db.parent().unwrap().join("文书"), "签字背书表")
        .replace(char::is_whitespace, "");
    assert!(
        text.contains("系统内已签：审核员甲") && text.contains("系统内已签：镇领导乙"),
        "{text}"
    );
    click(d, "#print-close").await;

    // The sheet carries the audit log's 核对值; typed into the log dialog, it checks the paper.
    let anchor = text
        .split("操作日志核对值（打印时）：第")
        .nth(1)
        .expect("the anchor is printed");
    let id: String = anchor.chars().take_while(char::is_ascii_digit).collect();
    let hash: String = anchor
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start_matches('条')
        .chars()
        .take(16)
        .collect();
    click(d, "#open-audit").await;
    type_value(d, "#anchor-id", &id).await;
    type_value(d, "#anchor-hash", &hash).await;
    click(d, "#anchor-check").await;
    wait_text(d, "#anchor-result", |t| t.starts_with("一致")).await;
    click(d, "#audit-verify").await;
    wait_text(d, "#audit-check", |t| t.contains("核对点")).await;
    screenshot(&s, "e2e-audit-anchor.png").await;
    click(d, "#audit-close").await;
    click(d, "#logout").await;
    log_in(d, "sh", "shenhe2024").await;
    wait_text(d, "#account-name", |t| t.starts_with("审核员甲")).await;
    s.driver.clone().quit().await.unwrap();
}

/// One app per database: starting the program again brings the open window to the front (the
/// second start hands over and ends), as a clerk double-clicking the shortcut twice would.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_start_brings_the_open_window_forward() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("一个窗口").join("huce.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    make_admin(&db);
    let s = start_app(&db).await;
    let d = &s.driver;
    log_in(d, ADMIN.0, ADMIN.1).await;
    let start_again = |path: &Path| {
        Command::new(env!("CARGO_BIN_EXE_huce-app"))
            .args(["--db", path.to_str().unwrap()])
            .env("DISPLAY", &s.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &s.bus)
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap()
    };
    async fn ended(mut second: Child) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = second.try_wait().unwrap() {
                return status;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = second.kill();
                panic!("the second start did not end: two windows");
            }
            tokio::time::sleep(POLL).await;
        }
    }
    let status = ended(start_again(&db)).await;
    assert!(
        status.success(),
        "the second start hands over and ends: {status}"
    );
    wait_text(d, "#toast", |t| {
        t.contains("本程序已经打开，就在这个窗口里")
    })
    .await;
    screenshot(&s, "e2e-second-start.png").await;
    // Asked for another database: told which one is open and what to do.
    let status = ended(start_again(&dir.path().join("另一个.db"))).await;
    assert!(status.success(), "{status}");
    wait_text(d, "#toast", |t| t.contains("请先关闭本窗口")).await;
    s.driver.clone().quit().await.unwrap();
}
