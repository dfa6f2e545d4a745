//! The command gate: every call from the webview passes here before its arguments are even
//! read. Each command is mapped to what it needs — nothing (the login screen), a session, or an
//! [`Action`] the session's role must be allowed (the core's permission table). A command
//! missing from the map is refused, so a new command cannot slip through unguarded.

use huce_core::accounts::Account;
use huce_core::permissions::Action;

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Before login: the login screen and the frame.
    Public,
    /// Any logged-in account.
    Session,
    Needs(Action),
}

/// What each command needs.
pub fn access(command: &str) -> Option<Access> {
    use Access::*;
    use Action::*;
    Some(match command {
        // recover_database only acts when the file was found damaged at start (no login is
        // possible then: the accounts are in the damaged file).
        "app_info" | "after_start_status" | "vocabularies" | "auth_status" | "login"
        | "create_first_admin" | "recover_database" => Public,
        // Which database this PC works on: before login too (the first PC on an empty server
        // has no account there); server_use and server_leave check themselves that nothing is
        // open, the open database has no accounts, or an administrator is logged in.
        "server_status" | "server_test" | "server_use" | "server_leave" | "server_retry" => Public,
        // sign_results: the core asks for Review or SignResponsible by the step signed.
        "logout" | "change_password" | "import_progress" | "sign_results" => Session,
        // The 使用手册 is for everyone who logs in.
        "manual_sections" | "print_manual" => Session,
        "check_printed_anchor" => Needs(View),
        "save_idle_minutes" | "save_working_values" => Needs(EditSettings),
        "working_values" => Needs(View),
        "signoff_status" => Needs(View),
        "unlock_result" => Needs(Review),
        "village_tree"
        | "list_households"
        | "household_detail"
        | "staff_list"
        | "problem_items"
        | "correctable_fields"
        | "photo_data"
        | "preview_proposal"
        | "field_file"
        | "problem_ledger"
        | "rectification_case"
        | "progress_report"
        | "plan_phases"
        | "comparison"
        | "sample_list"
        | "recommended_sample_size"
        | "sample_detail"
        | "reproduce_sample"
        | "verify_audit"
        | "pending_list"
        | "pending_villages"
        | "household_pending"
        | "household_notices"
        | "worklist_counts"
        | "open_scan" => Needs(View),
        "correct_pending" | "leave_pending_empty" => Needs(CorrectLedger),
        "export_pending_xlsx" => Needs(Export),
        "load_demo" => Needs(LoadDemo),
        "reveal_personal" => Needs(ViewPersonal),
        "save_town_names"
        | "save_plan_phases"
        | "save_export_template"
        | "delete_export_template"
        | "save_document_settings" => Needs(EditSettings),
        "import_fields" | "import_preview" | "import_commit" | "import_save_problems" => {
            Needs(Import)
        }
        "export_xlsx"
        | "export_templates"
        | "export_report_xlsx"
        | "export_worklist"
        | "export_summary_docx" => Needs(Export),
        "save_staff" | "save_problem_item" => Needs(EditLists),
        // Anyone who records results; the core asks for RecordInspection for a 村级自查
        // and for case handling when the form decides a category or closes on the spot.
        "store_photo" | "save_inspection" => Needs(RecordSpotCheck),
        "add_found_household" | "add_found_toilet" | "plan_photo_import" | "import_photos" => {
            Needs(RecordInspection)
        }
        "decide_category"
        | "move_case"
        | "store_scan"
        | "record_notice_delivery"
        | "record_notice_receipt"
        | "attach_acceptance_scan"
        | "escalate_case"
        | "record_escalation_reply" => Needs(HandleCase),
        "document_settings" | "print_document" => Needs(Print),
        "draw_sample" | "match_district_list" | "keep_district_list" => Needs(DrawSample),
        "account_list" | "save_account" | "unlock_account" => Needs(ManageAccounts),
        "audit_log" | "export_audit_xlsx" => Needs(ViewAudit),
        "backup_list" | "backup_now" => Needs(Backup),
        // A copy of the whole database off the PC is an export of personal data.
        "backup_to" => Needs(ExportPersonal),
        "restore_backup" | "inspect_backup" => Needs(Restore),
        _ => return None,
    })
}

/// Lets a command through, or says why not.
pub fn check(session: Option<&Account>, command: &str) -> Result<(), ApiError> {
    let Some(access) = access(command) else {
        return Err(ApiError {
            code: "forbidden".into(),
            message: format!("程序不认识操作“{command}”，已拒绝。请更新程序。"),
        });
    };
    // A password an administrator set is changed before anything else is done.
    if let Some(who) = session.filter(|a| a.must_change_password) {
        if access != Access::Public && !matches!(command, "change_password" | "logout") {
            return Err(ApiError {
                code: "must_change_password".into(),
                message: format!(
                    "{}的密码是管理员设置的，请先修改成只有自己知道的密码，再继续使用。",
                    who.display_name
                ),
            });
        }
    }
    match access {
        Access::Public => Ok(()),
        Access::Session => session
            .map(|_| ())
            .ok_or_else(|| huce_core::Error::NotLoggedIn.into()),
        Access::Needs(action) => {
            let who = session.ok_or(huce_core::Error::NotLoggedIn)?;
            Ok(who.require(action)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huce_core::model::Role;

    /// The commands registered with Tauri (main.rs) and granted to the webview (build.rs),
    /// read from the sources so a new command cannot be left out of this test.
    fn registered() -> (Vec<String>, Vec<String>) {
        let main = include_str!("main.rs");
        let build = include_str!("../build.rs");
        let handler: Vec<String> = main
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("commands::") && l.ends_with(','))
            .map(|l| {
                l.trim_end_matches(',')
                    .rsplit("::")
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let start = build
            .find(".commands(&[")
            .expect("build.rs lists the commands");
        let granted: Vec<String> = build[start..]
            .lines()
            .skip(1)
            .map(str::trim)
            .take_while(|l| l.starts_with('"'))
            .map(|l| l.trim_end_matches(',').trim_matches('"').to_string())
            .collect();
        (handler, granted)
    }

    #[test]
    fn every_command_is_registered_granted_and_mapped() {
        let (mut handler, mut granted) = registered();
        assert!(handler.len() > 40, "{handler:?}");
        handler.sort();
        granted.sort();
        assert_eq!(
            handler, granted,
            "main.rs and build.rs list the same commands"
        );
        for c in &handler {
            assert!(access(c).is_some(), "command {c} has no entry in the gate");
        }
        assert!(check(None, "no_such_command").is_err());
    }

    /// The webview loads nothing remote: the CSP names no origin but the app and its IPC.
    #[test]
    fn the_csp_allows_no_remote_origin() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
        let csp = conf["app"]["security"]["csp"]
            .as_str()
            .expect("a CSP is set");
        for part in csp.split(';') {
            for source in part.split_whitespace().skip(1) {
                assert!(
                    ["'self'", "'none'", "data:", "ipc:", "http://ipc.localhost"].contains(&source),
                    "{source} in {part:?}"
                );
            }
        }
        assert!(csp.contains("default-src 'self'"));
    }

    fn account(role: Role) -> Account {
        Account {
            id: 1,
            username: "t".into(),
            display_name: "测试".into(),
            role,
            staff_id: None,
            active: true,
            locked_until: None,
            must_change_password: false,
        }
    }

    /// Who may call each command, written out by hand from what each role is for (DOMAIN.md),
    /// not derived from `access` or the core's table: 公 = also before login; otherwise the
    /// roles 管 录 审 领 督 (管理员 录入员 审核人 镇领导 督导).
    const EXPECTED: &[(&str, &str)] = &[
        // The frame and the login screen.
        ("app_info", "公"),
        ("after_start_status", "公"),
        ("vocabularies", "公"),
        ("auth_status", "公"),
        ("login", "公"),
        ("create_first_admin", "公"),
        ("recover_database", "公"),
        ("server_status", "公"),
        ("server_test", "公"),
        ("server_use", "公"),
        ("server_leave", "公"),
        ("server_retry", "公"),
        // Any logged-in account.
        ("logout", "管录审领督"),
        ("change_password", "管录审领督"),
        ("import_progress", "管录审领督"),
        ("sign_results", "管录审领督"),
        ("manual_sections", "管录审领督"),
        ("print_manual", "管录审领督"),
        // Reading, for everyone who logs in.
        ("village_tree", "管录审领督"),
        ("list_households", "管录审领督"),
        ("household_detail", "管录审领督"),
        ("staff_list", "管录审领督"),
        ("problem_items", "管录审领督"),
        ("correctable_fields", "管录审领督"),
        ("photo_data", "管录审领督"),
        ("preview_proposal", "管录审领督"),
        ("field_file", "管录审领督"),
        ("problem_ledger", "管录审领督"),
        ("rectification_case", "管录审领督"),
        ("progress_report", "管录审领督"),
        ("plan_phases", "管录审领督"),
        ("comparison", "管录审领督"),
        ("sample_list", "管录审领督"),
        ("recommended_sample_size", "管录审领督"),
        ("sample_detail", "管录审领督"),
        ("reproduce_sample", "管录审领督"),
        ("signoff_status", "管录审领督"),
        ("verify_audit", "管录审领督"),
        ("pending_list", "管录审领督"),
        ("pending_villages", "管录审领督"),
        ("household_pending", "管录审领督"),
        ("household_notices", "管录审领督"),
        ("worklist_counts", "管录审领督"),
        ("working_values", "管录审领督"),
        ("open_scan", "管录审领督"),
        ("export_pending_xlsx", "管录审领督"),
        ("check_printed_anchor", "管录审领督"),
        ("export_xlsx", "管录审领督"),
        ("export_worklist", "管录审领督"),
        ("export_summary_docx", "管录审领督"),
        ("export_templates", "管录审领督"),
        ("export_report_xlsx", "管录审领督"),
        ("document_settings", "管录审领督"),
        ("print_document", "管录审领督"),
        ("backup_list", "管录审领督"),
        ("backup_now", "管录审领督"),
        // Full ID and phone numbers: the roles that key in and check the data.
        ("reveal_personal", "管录审"),
        ("correct_pending", "管录审"),
        ("leave_pending_empty", "管录审"),
        // Results: village self-checks and town re-checks by the office; spot checks also by 督导.
        ("store_photo", "管录审督"),
        ("save_inspection", "管录审督"),
        ("add_found_household", "管录审"),
        ("add_found_toilet", "管录审"),
        ("plan_photo_import", "管录审"),
        ("import_photos", "管录审"),
        ("decide_category", "管录审"),
        ("move_case", "管录审"),
        ("store_scan", "管录审"),
        ("record_notice_delivery", "管录审"),
        ("record_notice_receipt", "管录审"),
        ("attach_acceptance_scan", "管录审"),
        ("escalate_case", "管录审"),
        ("record_escalation_reply", "管录审"),
        ("draw_sample", "管审督"),
        ("match_district_list", "管审督"),
        ("keep_district_list", "管审督"),
        ("unlock_result", "审"),
        ("audit_log", "管审领督"),
        ("export_audit_xlsx", "管审领督"),
        // The administrator's: data in and out in full, settings, lists, accounts, restores.
        ("load_demo", "管"),
        ("import_fields", "管"),
        ("import_preview", "管"),
        ("import_commit", "管"),
        ("import_save_problems", "管"),
        ("save_town_names", "管"),
        ("save_plan_phases", "管"),
        ("save_export_template", "管"),
        ("delete_export_template", "管"),
        ("save_document_settings", "管"),
        ("save_idle_minutes", "管"),
        ("save_working_values", "管"),
        ("save_staff", "管"),
        ("save_problem_item", "管"),
        ("account_list", "管"),
        ("save_account", "管"),
        ("unlock_account", "管"),
        ("backup_to", "管"),
        ("restore_backup", "管"),
        ("inspect_backup", "管"),
    ];

    fn short(r: Role) -> char {
        match r {
            Role::Admin => '管',
            Role::Entry => '录',
            Role::Reviewer => '审',
            Role::Leader => '领',
            Role::Supervisor => '督',
        }
    }

    /// Every command as every role (and logged out) against the hand-written table.
    #[test]
    fn every_command_as_every_role() {
        let (mut handler, _) = registered();
        handler.sort();
        let mut listed: Vec<String> = EXPECTED.iter().map(|(c, _)| c.to_string()).collect();
        listed.sort();
        assert_eq!(
            handler, listed,
            "every registered command is in the hand-written table, and nothing else"
        );
        for (command, who) in EXPECTED {
            let public = who.contains('公');
            let logged_out = check(None, command);
            assert_eq!(logged_out.is_ok(), public, "{command} logged out");
            if let Err(e) = logged_out {
                assert_eq!(e.code, "not_logged_in", "{command}");
            }
            for role in Role::ALL {
                let got = check(Some(&account(*role)), command);
                let want = public || who.contains(short(*role));
                assert_eq!(got.is_ok(), want, "{command} as {}", role.label());
                if let Err(e) = got {
                    assert_eq!(e.code, "forbidden", "{command}");
                    assert!(e.message.contains(role.label()), "{}", e.message);
                }
            }
        }
    }

    /// A password an administrator set: nothing but logging out and changing it goes through.
    #[test]
    fn a_password_to_change_blocks_everything_else() {
        let mut a = account(Role::Admin);
        a.must_change_password = true;
        for (command, who) in EXPECTED {
            let got = check(Some(&a), command);
            if who.contains('公') || *command == "change_password" || *command == "logout" {
                assert!(got.is_ok(), "{command}");
            } else {
                let e = got.unwrap_err();
                assert_eq!(e.code, "must_change_password", "{command}");
            }
        }
    }

    /// The capability file grants the webview exactly the registered commands (and the two
    /// file dialogs), nothing more and nothing less.
    #[test]
    fn the_capability_grants_exactly_the_registered_commands() {
        let cap: serde_json::Value =
            serde_json::from_str(include_str!("../../capabilities/main.json")).unwrap();
        let mut granted: Vec<String> = Vec::new();
        let mut plugins: Vec<String> = Vec::new();
        for p in cap["permissions"]
            .as_array()
            .expect("a list of permissions")
        {
            let p = p.as_str().expect("plain permission names");
            match p.strip_prefix("allow-") {
                Some(c) => granted.push(c.replace('-', "_")),
                None => plugins.push(p.to_string()),
            }
        }
        let (mut handler, _) = registered();
        handler.sort();
        granted.sort();
        assert_eq!(granted, handler, "capabilities/main.json against main.rs");
        plugins.sort();
        assert_eq!(
            plugins,
            ["dialog:allow-open", "dialog:allow-save"],
            "no plugin permission beyond the file dialogs (the opener runs from Rust)"
        );
    }
}
