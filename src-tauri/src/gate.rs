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
        "app_info" | "vocabularies" | "auth_status" | "login" | "create_first_admin"
        | "recover_database" => Public,
        // sign_results: the core asks for Review or SignResponsible by the step signed.
        "logout" | "change_password" | "import_progress" | "sign_results" => Session,
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
        | "verify_audit" => Needs(View),
        "load_demo" => Needs(LoadDemo),
        "reveal_personal" => Needs(ViewPersonal),
        "save_town_names"
        | "save_plan_phases"
        | "save_export_template"
        | "delete_export_template" => Needs(EditSettings),
        "import_fields" | "import_preview" | "import_commit" | "import_save_problems" => {
            Needs(Import)
        }
        "export_xlsx" | "export_templates" | "export_report_xlsx" => Needs(Export),
        "save_staff" | "save_problem_item" => Needs(EditLists),
        // Anyone who records results; the command itself asks for RecordInspection unless
        // the result is a 区级抽查.
        "store_photo" | "save_inspection" => Needs(RecordSpotCheck),
        "decide_category" | "move_case" => Needs(HandleCase),
        "document_settings" | "save_document_settings" | "print_document" => Needs(Print),
        "draw_sample" => Needs(DrawSample),
        "account_list" | "save_account" | "unlock_account" => Needs(ManageAccounts),
        "audit_log" | "export_audit_xlsx" => Needs(ViewAudit),
        "backup_list" | "backup_now" | "backup_to" => Needs(Backup),
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
    use huce_core::permissions::allowed;

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
        }
    }

    /// Every command as every role (and logged out): allowed exactly when the core's table says.
    #[test]
    fn every_command_as_every_role() {
        let (handler, _) = registered();
        let mut refused = 0;
        for c in &handler {
            let access = access(c).unwrap();
            let logged_out = check(None, c);
            assert_eq!(
                logged_out.is_ok(),
                access == Access::Public,
                "{c} logged out"
            );
            if let Err(e) = logged_out {
                assert_eq!(e.code, "not_logged_in", "{c}");
            }
            for role in Role::ALL {
                let got = check(Some(&account(*role)), c);
                let want = match access {
                    Access::Public | Access::Session => true,
                    Access::Needs(a) => allowed(*role, a),
                };
                assert_eq!(got.is_ok(), want, "{c} as {}", role.label());
                if let Err(e) = got {
                    refused += 1;
                    assert_eq!(e.code, "forbidden");
                    assert!(e.message.contains(role.label()), "{}", e.message);
                }
            }
        }
        assert!(refused > 20, "the matrix refuses something ({refused})");
        // Spot checks of the matrix through commands.
        let ok = |r: Role, c: &str| check(Some(&account(r)), c).is_ok();
        assert!(!ok(Role::Supervisor, "import_commit"));
        assert!(ok(Role::Supervisor, "draw_sample"));
        assert!(ok(Role::Supervisor, "save_inspection"));
        assert!(!ok(Role::Supervisor, "move_case"));
        assert!(!ok(Role::Leader, "save_inspection"));
        assert!(!ok(Role::Entry, "save_account"));
        assert!(ok(Role::Admin, "restore_backup"));
        assert!(!ok(Role::Reviewer, "restore_backup"));
    }
}
