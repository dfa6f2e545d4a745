//! The office's screens (#16): the main path at today's size, at 1366×768 (a work area of about
//! 1366×728) and at 1366×768 with Windows scaling at 125% (about 1093×575 CSS pixels). Every header
//! control and view tab, and every open dialog's buttons, must be inside the window and not
//! covered (`getBoundingClientRect` against the viewport, `elementFromPoint` at the centre).
//! Screenshots of every view at each size go to tests/output/ for a person to look at.

use super::*;

/// What is outside the viewport or covered among the visible elements matching `css`.
async fn unreachable(d: &WebDriver, css: &str) -> Vec<String> {
    let found = d
        .execute(
            "const out = [];
             for (const e of document.querySelectorAll(arguments[0])) {
               if (!e.offsetParent && getComputedStyle(e).position !== 'fixed') continue; // not shown
               const r = e.getBoundingClientRect();
               if (r.width === 0 || r.height === 0) continue;
               const name = (e.id ? '#' + e.id : e.tagName.toLowerCase()) + ' “' + (e.textContent || e.value || '').trim().slice(0, 12) + '”';
               if (r.left < 0 || r.top < 0 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5) {
                 out.push(name + ' outside ' + innerWidth + '×' + innerHeight + ' at ' + [r.left, r.top, r.right, r.bottom].map(Math.round).join(','));
                 continue;
               }
               const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
               if (!hit || !(hit === e || e.contains(hit) || hit.contains(e))) {
                 out.push(name + ' covered by ' + (hit ? (hit.id ? '#' + hit.id : hit.tagName.toLowerCase() + '.' + hit.className) : 'nothing'));
               }
             }
             return out;",
            vec![serde_json::json!(css)],
        )
        .await
        .unwrap();
    serde_json::from_value(found.json().clone()).unwrap()
}

async fn assert_reachable(d: &WebDriver, css: &str, at: &str) {
    let bad = unreachable(d, css).await;
    assert!(bad.is_empty(), "at {at}, not reachable: {bad:#?}");
}

const HEADER: &str =
    ".app-header button, .app-header select, .app-header .view-tab, .app-header .demo-badge";

#[tokio::test(flavor = "multi_thread")]
async fn every_view_and_dialog_fits_the_offices_screens() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (db, conn) = demo_database(dir.path(), "屏幕", huce_core::demo::DemoOptions::default());
    drop(conn);
    make_admin(&db);
    let s = start_app(&db).await;
    let d = &s.driver;
    log_in(d, ADMIN.0, ADMIN.1).await;
    find(d, "[data-node^='village:']").await;

    // The 使用手册 opens from the app, with a picture for every task, and prints.
    click(d, "#open-manual").await;
    find(d, "#manual-dialog[open]").await;
    wait_text(d, "#manual-body", |t| {
        t.contains("一、第一次打开和登录账户") && t.contains("八、备份")
    })
    .await;
    let pictures: (i64, i64) = serde_json::from_value(
        d.execute(
            "const imgs = [...document.querySelectorAll('#manual-body img')];
             await Promise.all(imgs.map((i) => i.decode().catch(() => null)));
             return [imgs.length, imgs.filter((i) => i.naturalWidth > 0).length];",
            vec![],
        )
        .await
        .unwrap()
        .json()
        .clone(),
    )
    .unwrap();
    assert_eq!(pictures.0, 8, "a picture for each task");
    assert_eq!(pictures.1, 8, "every picture loads");
    screenshot(&s, "e2e-manual.png").await;
    click(d, "#manual-open").await; // no PDF viewer on a test machine
    click(d, "#manual-print").await;
    let done = wait_text(d, "#manual-done", |t| t.contains("已生成")).await;
    let pdf = std::fs::read_dir(db.parent().unwrap().join("文书"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("使用手册"))
        .unwrap_or_else(|| panic!("the manual's PDF: {done}"));
    let words = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let words = String::from_utf8_lossy(&words.stdout).replace(['\n', ' '], "");
    for w in [
        "工作台使用手册",
        "三、录入核查",
        "五、打印告知单、验收单和签字背书表",
        "八、备份",
    ] {
        assert!(words.contains(w), "{w}: {words}");
    }
    assert!(!words.contains("缺失"), "every picture is printed");
    let images = Command::new("pdfimages")
        .arg("-list")
        .arg(&pdf)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&images.stdout)
        .lines()
        .skip(2)
        .count();
    assert!(listed >= 8, "the pictures are in the PDF: {listed}");
    click(d, "#manual-close").await;

    // Today's size; 1366×768 (its work area); 1366×768 at 125%; 1920×1080 at 150% and 125%.
    for (w, h, name) in [
        (1360, 860, "1360x860"),
        (1366, 728, "1366x768"),
        (1093, 575, "1366x768-125"),
        (1280, 690, "1920x1080-150"),
        (1536, 824, "1920x1080-125"),
    ] {
        d.set_window_rect(0, 0, w, h).await.unwrap();
        // The webview takes its new size a moment after the window does.
        let deadline = Instant::now() + WAIT;
        loop {
            let inner: (i64, i64) = serde_json::from_value(
                d.execute("return [innerWidth, innerHeight];", vec![])
                    .await
                    .unwrap()
                    .json()
                    .clone(),
            )
            .unwrap();
            if (inner.0 - w as i64).abs() <= 20 && (inner.1 - h as i64).abs() <= 60 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the window is {inner:?} for {w}×{h}"
            );
            tokio::time::sleep(POLL).await;
        }
        for (tab, view) in [
            ("#view-households", "households"),
            ("#view-ledger", "ledger"),
            ("#view-progress", "progress"),
            ("#view-checks", "checks"),
        ] {
            click(d, tab).await;
            tokio::time::sleep(Duration::from_millis(600)).await;
            assert_reachable(d, HEADER, &format!("{name} {view}")).await;
            let overflow: i64 = serde_json::from_value(
                d.execute(
                    "return document.documentElement.scrollWidth - innerWidth;",
                    vec![],
                )
                .await
                .unwrap()
                .json()
                .clone(),
            )
            .unwrap();
            if overflow > 0 {
                let wide = d
                    .execute(
                        "return [...document.querySelectorAll('body *')]
                           .filter((e) => e.offsetParent && e.getBoundingClientRect().right > innerWidth + 1
                             && e.parentElement.getBoundingClientRect().right <= innerWidth + 1)
                           .slice(0, 8)
                           .map((e) => (e.id || e.tagName) + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));",
                        vec![],
                    )
                    .await
                    .unwrap();
                panic!(
                    "{name} {view}: the page is {overflow} px wider than the window: {:?}",
                    wide.json()
                );
            }
            screenshot(&s, &format!("e2e-size-{name}-{view}.png")).await;
        }
        // The 管理 menu's items are reachable when it is open.
        click(d, "#admin-menu").await;
        assert_reachable(d, "#admin-menu-items button", &format!("{name} 管理菜单")).await;
        click(d, "#admin-menu").await;

        // Dialogs keep their buttons on screen (they scroll inside themselves).
        click(d, "#view-households").await;
        menu(d, "#open-settings").await;
        find(d, "#settings-dialog[open]").await;
        assert_reachable(
            d,
            "#settings-dialog .dialog-buttons button",
            &format!("{name} 设置"),
        )
        .await;
        screenshot(&s, &format!("e2e-size-{name}-settings.png")).await;
        click(d, "#settings-cancel").await;

        click(d, "#open-print").await;
        find(d, "#print-dialog[open]").await;
        assert_reachable(
            d,
            "#print-dialog .dialog-buttons button",
            &format!("{name} 打印"),
        )
        .await;
        screenshot(&s, &format!("e2e-size-{name}-print.png")).await;
        click(d, "#print-close").await;

        click(d, "[data-node^='village:']").await;
        find(d, ".hh-row:not(.loading)").await;
        // The first listed household with a toilet, found in one go (the virtual list may
        // redraw its rows between two WebDriver calls).
        let index = d
            .execute(
                "const r = [...document.querySelectorAll('.hh-row:not(.loading)')]
                   .find((r) => r.querySelector('.c-toilets').textContent !== '0');
                 return r ? r.dataset.index : null;",
                vec![],
            )
            .await
            .unwrap()
            .json()
            .as_str()
            .expect("a household with a toilet")
            .to_string();
        click(d, &format!(".hh-row[data-index='{index}'] .c-name")).await;
        click(d, "#inspect-household").await;
        find(d, "#inspection-dialog[open]").await;
        assert_reachable(
            d,
            "#inspection-dialog .dialog-buttons button",
            &format!("{name} 录入核查"),
        )
        .await;
        screenshot(&s, &format!("e2e-size-{name}-inspection.png")).await;
        // Dates are shown and typed as 年-月-日, whatever the webview's locale.
        let date = find(d, "#insp-date").await;
        assert_eq!(date.attr("type").await.unwrap().as_deref(), Some("text"));
        let shown = date.prop("value").await.unwrap().unwrap_or_default();
        assert!(
            shown.len() == 10 && shown.as_bytes()[4] == b'-' && shown.as_bytes()[7] == b'-',
            "the form's date reads {shown}"
        );
        type_value(d, "#insp-date", "2022/9/20").await;
        wait_prop(d, "#insp-date", "value", "2022-09-20").await;
        click(d, "#insp-cancel").await;

        // The other dialogs of the main path, opened as a user would.
        for (open, dialog, via_menu) in [
            ("#open-staff", "#staff-dialog", true),
            ("#open-items", "#items-dialog", true),
            ("#open-accounts", "#accounts-dialog", true),
            ("#open-audit", "#audit-dialog", true),
            ("#open-import", "#import-dialog", false),
            ("#open-export", "#export-dialog", false),
            ("#open-signoff", "#signoff-dialog", false),
            ("#open-manual", "#manual-dialog", false),
            ("#open-photo-import", "#photo-import-dialog", true),
            ("#open-found", "#found-dialog", false),
        ] {
            if via_menu {
                menu(d, open).await;
            } else {
                click(d, open).await;
            }
            find(d, &format!("{dialog}[open]")).await;
            tokio::time::sleep(Duration::from_millis(400)).await;
            assert_reachable(
                d,
                &format!("{dialog} .dialog-buttons button"),
                &format!("{name} {dialog}"),
            )
            .await;
            d.execute(
                "for (const x of document.querySelectorAll('dialog[open]')) x.close();",
                vec![],
            )
            .await
            .unwrap();
        }
        click(d, "#view-progress").await;
        click(d, "#progress-phases-edit").await;
        find(d, "#phases-dialog[open]").await;
        assert_reachable(
            d,
            "#phases-dialog .dialog-buttons button",
            &format!("{name} 工作阶段"),
        )
        .await;
        click(d, "#phases-cancel").await;
        click(d, "#view-households").await;

        menu(d, "#open-backup").await;
        assert_reachable(
            d,
            "dialog[open] .dialog-buttons button",
            &format!("{name} 备份"),
        )
        .await;
        d.execute(
            "for (const x of document.querySelectorAll('dialog[open]')) x.close();",
            vec![],
        )
        .await
        .unwrap();
    }
    s.driver.clone().quit().await.unwrap();
}
