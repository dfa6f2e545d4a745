//! Builds the Tauri context from the root `tauri.conf.json` and the root `capabilities/`,
//! and generates one permission per app command so the capability lists exactly what the UI uses.

fn main() {
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    println!("cargo:rerun-if-changed=../capabilities");
    println!("cargo:rerun-if-changed=../ui");
    println!("cargo:rerun-if-changed=../assets/icons");
    let attrs = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .capabilities_path_pattern("../capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(&[
            "app_info",
            "vocabularies",
            "load_demo",
            "save_town_names",
            "village_tree",
            "list_households",
            "household_detail",
            "import_fields",
            "import_preview",
            "import_commit",
            "import_progress",
            "import_save_problems",
            "export_xlsx",
            "export_templates",
            "save_export_template",
            "delete_export_template",
            "staff_list",
            "save_staff",
            "problem_items",
            "save_problem_item",
            "correctable_fields",
            "store_photo",
            "photo_data",
            "preview_proposal",
            "save_inspection",
            "field_file",
            "problem_ledger",
            "rectification_case",
            "decide_category",
            "move_case",
            "document_settings",
            "save_document_settings",
            "print_document",
            "progress_report",
            "plan_phases",
            "save_plan_phases",
            "comparison",
            "sample_list",
            "recommended_sample_size",
            "draw_sample",
            "sample_detail",
            "export_report_xlsx",
            "auth_status",
            "create_first_admin",
            "login",
            "logout",
            "change_password",
            "account_list",
            "save_account",
            "unlock_account",
            "audit_log",
            "verify_audit",
            "export_audit_xlsx",
        ]));
    tauri_build::try_build(attrs).expect("failed to build the Tauri context");
}
