//! End-to-end test of the real desktop app: starts the `huce-app` binary under Xvfb through
//! tauri-driver and WebKitWebDriver, loads the demo data through the UI, browses village → 社 →
//! household, checks the toilets are shown, searches by pinyin initials and saves screenshots
//! under `tests/output/`.
//!
//! Needs: Xvfb (started here when DISPLAY is unset), `tauri-driver` (cargo install
//! tauri-driver --locked; found on PATH or in ~/.cargo/bin) and WebKitWebDriver (Debian
//! webkit2gtk-driver). `.ci/run` installs all of them.

#![cfg(target_os = "linux")]

mod browse;
mod field_work;
mod keying;
mod one_app;
mod paper;
mod reports;
mod screens;
mod season;
mod server;
mod signing;

mod driver;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use driver::*;
use thirtyfour::prelude::*;

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
            Err(e) => {
                if Instant::now() >= deadline {
                    // Say what covers it: the element at the target's centre.
                    let over = driver
                        .execute(
                            "const r = document.querySelector(arguments[0]).getBoundingClientRect();
                             const o = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                             return `${JSON.stringify(r)} ${window.innerWidth}x${window.innerHeight} covered by ${o ? o.outerHTML.slice(0, 300) : 'nothing'}`;",
                            vec![serde_json::json!(css)],
                        )
                        .await
                        .map(|r| r.json().to_string())
                        .unwrap_or_default();
                    panic!("could not click {css}: {e}\n{over}");
                }
            }
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

/// Waits until the element's DOM property `prop` reads `want` (`hidden` → "true").
async fn wait_prop(driver: &WebDriver, css: &str, prop: &str, want: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let now = match driver.find(By::Css(css)).await {
            Ok(e) => e.prop(prop).await.ok().flatten(),
            Err(_) => None,
        };
        if now.as_deref() == Some(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css}.{prop} never became {want}; last: {now:?}"
        );
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

/// A picture for the 使用手册 (`ui/manual/<name>.jpg`): the app's window as WebDriver sees it,
/// as a JPEG at most 1200 px wide, so the manual shows the program as it is today.
async fn manual_shot(s: &Session, name: &str) {
    // At the usual size, whatever size the test runs at, then back.
    let was = s.driver.get_window_rect().await.unwrap();
    s.driver.set_window_rect(0, 0, 1360, 860).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let png = s.driver.screenshot_as_png().await.unwrap();
    s.driver
        .set_window_rect(was.x, was.y, was.width as u32, was.height as u32)
        .await
        .unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/manual");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.jpg"));
    let mut convert = Command::new("convert")
        .args(["png:-", "-resize", "1200x>", "-strip", "-quality", "78"])
        .arg(&path)
        .stdin(Stdio::piped())
        .spawn()
        .expect("ImageMagick's convert must be installed (Debian package imagemagick)");
    {
        use std::io::Write;
        convert.stdin.take().unwrap().write_all(&png).unwrap();
    }
    assert!(convert.wait().unwrap().success(), "manual picture {name}");
    assert!(
        std::fs::metadata(&path).unwrap().len() > 10_000,
        "{name} is empty"
    );
}

/// The tests share one machine-wide display and driver ports: run them one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Opens one of the administrative dialogs through the header's 管理 menu, as a user would.
async fn menu(driver: &WebDriver, item: &str) {
    click(driver, "#admin-menu").await;
    click(driver, item).await;
}

/// Sets a `<select>` (or any input) by value and fires `change`, as a user's pick would.
async fn choose(driver: &WebDriver, css: &str, value: &str) {
    let e = find(driver, css).await;
    driver
        .execute(
            // Reached first, as a person reaches the field (the header's 当前操作人 fills its list
            // then). Not a synthetic mousedown: WebKit opens a select's native menu for it, and
            // the menu later sets its own value.
            "arguments[0].dispatchEvent(new FocusEvent('focus'));
             arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
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

/// Clicks a checkbox until it is unchecked (a click toggles: one left checked by an earlier step
/// would be checked again).
async fn uncheck(driver: &WebDriver, css: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(e) = driver.find(By::Css(css)).await {
            if e.prop("checked").await.ok().flatten().as_deref() == Some("false") {
                return;
            }
        }
        click(driver, css).await;
        tokio::time::sleep(POLL).await;
        assert!(Instant::now() < deadline, "{css} could not be unchecked");
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

/// Waits until the village's count in `column` reads `want`: the table shown before a change
/// stays until the view's new counts arrive (on the server a moment later).
async fn village_count_becomes(driver: &WebDriver, village: i64, column: usize, want: i64) {
    let css = format!("#counts-table tr[data-village='{village}'] td:nth-child({column})");
    wait_text(driver, &css, |t| t.parse::<i64>() == Ok(want)).await;
}

const ADMIN: (&str, &str) = ("admin", "shiyu2022");

/// The administrator account, made with the core before the app starts (as after a first
/// start); returns the database's connection closed again.
fn make_admin(db: &Path) {
    let conn = huce_core::db::open(db, chrono::Local::now().naive_local()).unwrap();
    make_admin_on(&conn);
}

/// [`make_admin`] on an open database of either engine.
fn make_admin_on<'a>(db: impl Into<huce_core::sql::Db<'a>>) {
    huce_core::accounts::create_first_admin(
        db,
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
    find(driver, "body[data-loaded='yes']").await;
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
    find(driver, "body[data-loaded='yes']").await;
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

/// Adds a staff member to the inspection form's group by typing the name into the picker.
async fn pick_member(driver: &WebDriver, name: &str) {
    let input = find(driver, "#insp-group").await;
    input.send_keys(name).await.unwrap();
    wait_text(driver, "#insp-group-list li.on", |t| t.contains(name)).await;
    input.send_keys(Key::Enter).await.unwrap();
    wait_text(driver, "#insp-members", |t| t.contains(name)).await;
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

/// The first clerk of the town's 农业服务中心 (the one at the keyboard in the keying tests).
fn first_clerk(conn: &rusqlite::Connection) -> i64 {
    conn.query_row(
        "SELECT id FROM staff WHERE unit LIKE '%农业服务中心' ORDER BY id LIMIT 1",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

/// (#17, 4) A household found at the door: 新增农户 `name` with its toilet, then a second
/// toilet the lists missed; both recorded as 入户核查新增 (2 toilets, 3 change-log entries more
/// than before). Leaves the new household shown.
async fn add_found_household(d: &WebDriver, db: &Path, name: &str) {
    let logged = || -> i64 {
        rusqlite::Connection::open(db)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM change_log WHERE source = '入户核查新增'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    let before = logged();
    click(d, "#open-found").await;
    type_value(d, "#found-name", name).await;
    choose(d, "#found-tech", "three_compartment").await;
    type_value(d, "#found-year", "2019").await;
    click(d, "#found-save").await;
    wait_text(d, "#detail-name", |t| t == name).await;
    click(d, "#add-found-toilet").await;
    choose(d, "#found-tech", "double_urn").await;
    click(d, "#found-save").await;
    wait_text(d, "#detail", |t| t.contains("户厕（2 个）")).await;
    let toilets: i64 = rusqlite::Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM toilets t JOIN households h ON h.id = t.household_id
             WHERE h.head_name = ?1 AND t.baseline_source = 'field'",
            [name],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!((toilets, logged() - before), (2, 3));
}

/// (#17, 6) The district's own spot-check list: matched (one by household number, one by
/// name, one not found), kept as a sample in its order, its check sheets printed, and its form
/// opened as 区级抽查. Returns the sheets' text.
async fn district_sample(d: &WebDriver, db: &Path) -> String {
    let (first_id, second_name): (i64, String) = {
        let conn = rusqlite::Connection::open(db).unwrap();
        let first = conn
            .query_row(
                "SELECT id FROM households ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let second = conn
            .query_row(
                "SELECT h.head_name FROM households h
                 WHERE (SELECT count(*) FROM households x WHERE x.head_name = h.head_name) = 1
                 ORDER BY h.id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (first, second)
    };
    let folder = db.parent().unwrap();
    let list = folder.join("区级抽查名单.csv");
    std::fs::write(
        &list,
        format!("农户编号,户主\n{first_id},\n,{second_name}\n,查无此人\n"),
    )
    .unwrap();
    click(d, "#view-checks").await;
    click(d, "#checks-tab-samples").await;
    click(d, "#sample-district").await;
    type_value(d, "#district-path", list.to_str().unwrap()).await;
    click(d, "#district-check").await;
    wait_text(d, "#district-summary", |t| t.contains("对上 2 户")).await;
    wait_text(d, "#district-misses", |t| t.contains("查无此人")).await;
    click(d, "#district-keep").await;
    wait_text(d, "#sample-title", |t| t.contains("区里指定的抽查名单")).await;
    wait_prop(d, "#sample-reproduce", "hidden", "true").await;
    click(d, "#sample-print-sheets").await;
    check(d, "#print-kind-check_sheets").await;
    click(d, "#print-go").await;
    wait_text(d, "#print-result", |t| t.contains("已生成")).await;
    click(d, "#print-close").await;
    click(d, "#sample-enter").await;
    wait_prop(d, "#insp-kind", "value", "district_spot").await;
    click(d, "#insp-cancel").await;
    pdf_text_of(&folder.join("文书"), "现场核查表")
}

/// Stands in for the person at the system's file dialog, which WebDriver cannot reach: the next
/// save or open dialog the page asks for answers `path` at once. The button's own code runs
/// before and after it, and the app writes where the person would have chosen.
async fn answer_next_dialog(driver: &WebDriver, path: &Path) {
    let installed = driver
        .execute(
            "const tauri = window.__TAURI__;
             if (!tauri.__dialogStub) {
               const real = tauri.core.invoke.bind(tauri.core);
               const invoke = (cmd, args, options) => {
                 if (cmd.startsWith('plugin:dialog|') && window.__dialogAnswer !== undefined) {
                   const answer = window.__dialogAnswer;
                   window.__dialogAnswer = undefined;
                   return Promise.resolve(answer);
                 }
                 return real(cmd, args, options);
               };
               // Tauri's global object is frozen: put a copy with the stand-in in its place.
               window.__TAURI__ = { ...tauri, core: { ...tauri.core, invoke }, __dialogStub: invoke };
             }
             window.__dialogAnswer = arguments[0];
             return window.__TAURI__.core.invoke === window.__TAURI__.__dialogStub;",
            vec![serde_json::json!(path.to_str().unwrap())],
        )
        .await
        .unwrap();
    assert_eq!(
        installed.json(),
        &serde_json::json!(true),
        "the dialog stand-in is installed"
    );
}

/// A demo town made by the core in `<dir>/<folder>/huce.db` before the app starts; returns the
/// file and its connection (drop it before starting the app).
fn demo_database(
    dir: &Path,
    folder: &str,
    options: huce_core::demo::DemoOptions,
) -> (PathBuf, rusqlite::Connection) {
    let db = dir.join(folder).join("huce.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let mut conn = huce_core::db::open(&db, chrono::Local::now().naive_local()).unwrap();
    huce_core::demo::generate(&mut conn, options, "2026-11-29T09:00:00+08:00").unwrap();
    (db, conn)
}

/// The harness itself.
mod harness {
    use super::*;

    /// Tests start their displays side by side: each must get one of its own, and keep it.
    #[test]
    fn private_displays_started_together_are_distinct_and_stay_up() {
        let go = std::sync::Arc::new(std::sync::Barrier::new(4));
        let started: Vec<(String, Proc)> = (0..4)
            .map(|_| {
                let go = go.clone();
                std::thread::spawn(move || {
                    go.wait();
                    private_xvfb()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        let mut names: Vec<&str> = started.iter().map(|(n, _)| n.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 4, "one display each: {names:?}");
        std::thread::sleep(Duration::from_millis(500));
        for (name, mut proc) in started {
            assert!(
                proc.0.try_wait().unwrap().is_none(),
                "the Xvfb for {name} is still running"
            );
            // Each display takes a client (xdpyinfo-free: the socket answers).
            let n = name.trim_start_matches(':');
            assert!(
                std::os::unix::net::UnixStream::connect(format!("/tmp/.X11-unix/X{n}")).is_ok(),
                "{name} takes connections"
            );
        }
    }
}
