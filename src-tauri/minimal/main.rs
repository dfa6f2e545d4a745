//! A minimal Tauri 2 app (one window, one static page, no plugins, no database): the startup
//! benchmark's anchor (#21), built from the same Tauri as the workbench in the same run.

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!("minimal/tauri.conf.json"))
        .expect("the minimal app runs");
}
