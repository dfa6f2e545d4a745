//! 农村户厕问题摸排整改工作台 — the desktop shell. It opens the database, hands the core to the
//! commands and serves the static UI in `ui/`. All logic lives in `huce-core`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod error;
mod gate;
mod server_link;
mod state;

use tauri::Manager;

/// Puts the command gate in front of the generated handler: a call the session may not make is
/// refused before its arguments are read.
fn guarded<R: tauri::Runtime>(
    handler: impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static,
) -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    move |invoke| {
        let command = invoke.message.command().to_string();
        let webview = invoke.message.webview();
        let call = webview
            .try_state::<state::AppState>()
            .map(|s| s.session_for_call(std::time::Instant::now()));
        let (session, expired) = call.map_or((None, None), |c| (c.account, c.expired));
        let expired = expired.map(|(account, message)| {
            // The automatic logout is recorded off the window's thread (the database may be busy).
            let app = webview.app_handle().clone();
            tauri::async_runtime::spawn_blocking(move || {
                app.state::<state::AppState>().record_idle_logout(&account)
            });
            message
        });
        if let Err(mut e) = gate::check(session.as_ref(), &command) {
            if let (Some(message), "not_logged_in") = (expired, e.code.as_str()) {
                e = error::ApiError {
                    code: "session_expired".into(),
                    message,
                };
            }
            invoke.resolver.reject(e);
            return true;
        }
        handler(invoke)
    }
}

/// A window larger than the screen's work area (1360×860 on a 1366×768 laptop, or a size kept
/// from a bigger monitor) starts maximised, so its header is never off the screen.
fn fit_to_work_area(app: &tauri::AppHandle) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let (Ok(Some(monitor)), Ok(size)) = (window.current_monitor(), window.outer_size()) else {
        return;
    };
    if larger_than(
        (size.width, size.height),
        (
            monitor.work_area().size.width,
            monitor.work_area().size.height,
        ),
    ) {
        let _ = window.maximize();
    }
}

/// Whether a window of `size` (physical pixels) does not fit a work area of `area`.
fn larger_than(size: (u32, u32), area: (u32, u32)) -> bool {
    size.0 > area.0 || size.1 > area.1
}

fn main() {
    tauri::Builder::default()
        // First: a second start of the program brings this window to the front and ends.
        .plugin(tauri_plugin_single_instance::init(|app, args, cwd| {
            let Some(window) = app.get_webview_window("main") else {
                return;
            };
            let _ = window.unminimize();
            let _ = window.show();
            let _ = window.set_focus();
            // Which database the second start asked for: this one, or another (which has to
            // wait until this window is closed: one program window at a time).
            let open = app.state::<state::AppState>().path.clone();
            let asked = state::database_path_of(app, args.into_iter().skip(1))
                .map(|p| std::path::Path::new(&cwd).join(p));
            let same = |a: &std::path::Path, b: &std::path::Path| {
                a == b
                    || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
            };
            let message = match asked {
                Ok(p) if !same(&p, &open) => format!(
                    "本程序已经打开了数据库“{}”，就在这个窗口里。要打开“{}”，请先关闭本窗口再打开。",
                    open.display(),
                    p.display()
                ),
                _ => "本程序已经打开，就在这个窗口里。同一个数据库同时只能在一个窗口中使用。".into(),
            };
            let detail = serde_json::json!({ "message": message }).to_string();
            let _ = window.eval(format!(
                "document.dispatchEvent(new CustomEvent('huce:second-instance', {{ detail: {detail} }}))"
            ));
        }))
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        // The window's last size and place on this PC, restored at the next start.
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .setup(|app| {
            fit_to_work_area(app.handle());
            let path = state::database_path(app.handle())?;
            let state = state::AppState::open(path);
            app.manage(state);
            // The file's checks and the day's first backup run beside the window (#21): the
            // login waits only for the quick check, the header shows how far they are.
            let handle = app.handle().clone();
            std::thread::Builder::new()
                .name("checks-after-start".into())
                .spawn(move || handle.state::<state::AppState>().check_after_start())?;
            Ok(())
        })
        .invoke_handler(guarded(tauri::generate_handler![
            commands::app::app_info,
            commands::app::after_start_status,
            commands::app::vocabularies,
            commands::app::load_demo,
            commands::app::save_town_names,
            commands::households::village_tree,
            commands::households::list_households,
            commands::households::household_detail,
            commands::households::reveal_personal,
            commands::ledger_files::import_fields,
            commands::ledger_files::import_preview,
            commands::ledger_files::import_commit,
            commands::ledger_files::import_progress,
            commands::ledger_files::import_save_problems,
            commands::ledger_files::export_xlsx,
            commands::ledger_files::export_worklist,
            commands::ledger_files::export_templates,
            commands::ledger_files::save_export_template,
            commands::ledger_files::delete_export_template,
            commands::pending::pending_list,
            commands::pending::pending_villages,
            commands::pending::household_pending,
            commands::pending::correct_pending,
            commands::pending::leave_pending_empty,
            commands::pending::export_pending_xlsx,
            commands::field_work::staff_list,
            commands::field_work::save_staff,
            commands::field_work::problem_items,
            commands::field_work::save_problem_item,
            commands::field_work::correctable_fields,
            commands::field_work::store_photo,
            commands::field_work::photo_data,
            commands::field_work::preview_proposal,
            commands::field_work::save_inspection,
            commands::field_work::add_found_household,
            commands::field_work::add_found_toilet,
            commands::field_work::plan_photo_import,
            commands::field_work::import_photos,
            commands::field_work::field_file,
            commands::field_work::problem_ledger,
            commands::field_work::rectification_case,
            commands::field_work::decide_category,
            commands::field_work::move_case,
            commands::field_work::store_scan,
            commands::field_work::open_scan,
            commands::field_work::record_notice_delivery,
            commands::field_work::record_notice_receipt,
            commands::field_work::attach_acceptance_scan,
            commands::field_work::household_notices,
            commands::households::worklist_counts,
            commands::field_work::escalate_case,
            commands::field_work::record_escalation_reply,
            commands::auth::working_values,
            commands::documents::manual_sections,
            commands::documents::print_manual,
            commands::auth::save_working_values,
            commands::documents::document_settings,
            commands::documents::save_document_settings,
            commands::documents::print_document,
            commands::reports::progress_report,
            commands::reports::plan_phases,
            commands::reports::save_plan_phases,
            commands::reports::comparison,
            commands::reports::sample_list,
            commands::reports::recommended_sample_size,
            commands::reports::draw_sample,
            commands::reports::export_summary_docx,
            commands::reports::match_district_list,
            commands::reports::keep_district_list,
            commands::reports::reproduce_sample,
            commands::reports::sample_detail,
            commands::reports::export_report_xlsx,
            commands::auth::auth_status,
            commands::auth::create_first_admin,
            commands::auth::login,
            commands::auth::logout,
            commands::auth::change_password,
            commands::auth::account_list,
            commands::auth::save_account,
            commands::auth::unlock_account,
            commands::auth::audit_log,
            commands::auth::verify_audit,
            commands::auth::check_printed_anchor,
            commands::auth::save_idle_minutes,
            commands::auth::export_audit_xlsx,
            commands::backups::backup_list,
            commands::backups::backup_now,
            commands::backups::backup_to,
            commands::backups::restore_backup,
            commands::backups::inspect_backup,
            commands::backups::recover_database,
            commands::server::server_status,
            commands::server::server_test,
            commands::server::server_use,
            commands::server::server_leave,
            commands::server::server_retry,
            commands::signoffs::signoff_status,
            commands::signoffs::sign_results,
            commands::signoffs::unlock_result,
        ]))
        .run(tauri::generate_context!("../tauri.conf.json"))
        .expect("农村户厕问题摸排整改工作台无法启动");
}

#[cfg(test)]
mod window_tests {
    use super::larger_than;

    #[test]
    fn a_window_that_does_not_fit_the_work_area_is_maximised() {
        // 1360×860 at 100% on a 1366×768 laptop (its work area above the taskbar: 1366×728).
        assert!(larger_than((1360, 860), (1366, 728)));
        // The same window at 125% (1700×1075 physical) on a 1920×1080 monitor.
        assert!(larger_than((1700, 1075), (1920, 1040)));
        // It fits a 1920×1080 monitor at 100%: kept as it is.
        assert!(!larger_than((1360, 860), (1920, 1040)));
    }
}

#[cfg(test)]
mod ui_tests {
    /// The stylesheet's braces balance and never close more than they opened: a stray `}`
    /// drops the next rule, and an unclosed block (an `@media`) swallows every rule after it.
    #[test]
    fn styles_css_braces_balance() {
        let css = include_str!("../../ui/styles.css");
        let mut depth = 0i32;
        let mut in_comment = false;
        let mut chars = css.chars().peekable();
        let mut line = 1;
        while let Some(c) = chars.next() {
            match c {
                '\n' => line += 1,
                '/' if !in_comment && chars.peek() == Some(&'*') => {
                    in_comment = true;
                    chars.next();
                }
                '*' if in_comment && chars.peek() == Some(&'/') => {
                    in_comment = false;
                    chars.next();
                }
                '{' if !in_comment => depth += 1,
                '}' if !in_comment => {
                    depth -= 1;
                    assert!(depth >= 0, "ui/styles.css line {line}: a stray }}");
                }
                _ => {}
            }
        }
        assert_eq!(depth, 0, "ui/styles.css: {depth} block(s) left open");
    }
}
