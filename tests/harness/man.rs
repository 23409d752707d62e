//! The man pages of `nextauth` and `nextauth-server`, generated from their clap definitions
//! (clap_mangen) and committed under docs/man/: one page for the command and one for each
//! subcommand (`nextauth-enrol.1`, `nextauth-pin-change.1`…). A unit test of each binary calls
//! [`check`], which fails when a committed page differs from the definition; run it with
//! `NEXTAUTH_UPDATE_MAN=1` to write them instead.

use std::path::{Path, PathBuf};

/// The directory of the committed pages.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/man")
}

/// Every page of `command` and its subcommands: file name and roff text.
pub fn render(command: clap::Command) -> Vec<(String, Vec<u8>)> {
    fn walk(command: clap::Command, pages: &mut Vec<(String, Vec<u8>)>) {
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub.clone(), pages);
        }
        let man = clap_mangen::Man::new(command);
        let mut text = Vec::new();
        man.render(&mut text).expect("render to memory");
        pages.push((man.get_filename(), text));
    }
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let mut pages = Vec::new();
    walk(command, &mut pages);
    pages.sort();
    pages
}

/// Compares the committed pages with `command`'s (or writes them with `NEXTAUTH_UPDATE_MAN`).
///
/// # Panics
///
/// When a page is missing or differs, naming the command to run.
pub fn check(command: clap::Command) {
    let dir = dir();
    let update = std::env::var_os("NEXTAUTH_UPDATE_MAN").is_some();
    let mut stale = Vec::new();
    for (name, text) in render(command) {
        let path = dir.join(&name);
        if update {
            std::fs::create_dir_all(&dir).expect("create docs/man");
            std::fs::write(&path, &text).expect("write a man page");
        } else if std::fs::read(&path).ok().as_deref() != Some(text.as_slice()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "docs/man/{{{}}} differ from the command-line definition: \
         regenerate with `NEXTAUTH_UPDATE_MAN=1 cargo test --workspace --lib --bins man_pages`",
        stale.join(",")
    );
}
