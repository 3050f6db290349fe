//! Tauri's build step: validates `tauri.conf.json`, checks the icons and the capability files, and
//! prepares the context `tauri::generate_context!` embeds.
fn main() {
    tauri_build::build();
}
