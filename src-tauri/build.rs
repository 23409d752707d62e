//! Generates the Tauri context (config, capabilities, embedded UI) at build time.
//!
//! The UI is embedded from `ui/dist`, which `npm run build` (in `ui/`) produces. When it is
//! missing, a placeholder page is written there so that `cargo build --workspace` still works
//! on a machine without Node; the placeholder says how to build the real UI.

use std::path::Path;

fn main() {
    let dist = Path::new("../ui/dist");
    if !dist.join("index.html").exists() {
        let _ = std::fs::create_dir_all(dist);
        let _ = std::fs::write(
            dist.join("index.html"),
            "<!doctype html><meta charset=utf-8><title>nextAuth</title>\
             <p>The user interface was not built. Run <code>npm ci &amp;&amp; npm run build</code> \
             in <code>ui/</code>, then build the app again.</p>",
        );
        println!(
            "cargo:warning=ui/dist was missing: a placeholder page is embedded. \
             Run `npm ci && npm run build` in ui/ (scripts/build-app.sh) and rebuild."
        );
    }
    // Rebuild (and re-embed the UI) whenever the built UI changes.
    println!("cargo:rerun-if-changed=../ui/dist");
    tauri_build::build();
}
