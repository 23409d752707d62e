//! One schema source: the migrations are written for PostgreSQL (`crates/server/migrations/`)
//! and SQLite runs their SQLite dialect, made here by a few written rules.

use std::borrow::Cow;

use sqlx::migrate::{Migration, Migrator};

/// The SQLite form of PostgreSQL schema text. These rules are the only ways the two databases'
/// schemas may differ; a PostgreSQL-only construct they do not cover fails on SQLite (every
/// test runs the migrations there), which is the point: a difference is written down once.
pub fn sqlite_dialect(postgres: &str) -> String {
    let text = postgres
        .replace("BIGSERIAL PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT")
        .replace("''::bytea", "x''");
    replace_word(&replace_word(&text, "BYTEA", "BLOB"), "BIGINT", "INTEGER")
}

/// `text` with each whole-word `word` (not part of a longer name) replaced by `with`.
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_name) || after.is_some_and(is_name) {
            out.push_str(word);
        } else {
            out.push_str(with);
        }
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

/// The checksums SQLite databases already record for the first seven migrations. Until
/// 2026-12 those ran from hand-kept SQLite files (the same statements; other comments,
/// alignment and `BIGINT` spellings), and sqlx refuses a database whose applied migration's
/// checksum changed. SHA-384 of each file, as sqlx recorded it; `tests/migrations.rs` opens a
/// data directory of that version (`tests/fixtures/sqlx-migrator/`).
const SQLITE_RECORDED_CHECKSUMS: [(i64, &str); 7] = [
    (1, "a67d2b55164bf7cea4ebcc1df30d6bdc21a4d7410820e383bd17c56acecd6f8d2172ca647548a153983b08cd9c5957b7"),
    (2, "5a041b3a96d2398520cb4502cd40b1cd61a8020673d4f252f11b155edc4b8b78fe839850348daae64d5483a9b56cfc6e"),
    (3, "60f7df7c30d59cef350cd37ed3a6626424b9008b4df3164806b5794a507a89b2347017eb69048aaf8254bceb2472823e"),
    (4, "950b722bb99a5a6629fb7f280db9f317894c0e54d983a36f1745ceb46caeac8e66f233eb00951b7039c3bc994f455d3e"),
    (5, "c09224b39149ea9161a183c12cd4ac58794d7c0a80c78c41e5738a0d9ecb4a889adb74586112d25cb1a22b6f82fd274b"),
    (6, "e74cc64138e3cdfd500ad04dfcd47f0521dc320e455b90c4e03f49227ea8d54c4b3e5d50bf58ab983f05ec1a26ad180f"),
    (7, "f1784135fbc35e1942941043b382f1df9ffd3e2ec46c595b9a1639bc7439ae24979ae7f2b39cb88d8d3db33b6f310b75"),
];

/// The SQLite migrator: every PostgreSQL migration in SQLite's dialect, with the checksum
/// databases already record where there is one. A later migration's checksum is that of its
/// dialect text, so changing a rule after one has shipped means recording its checksum above.
pub fn sqlite_migrator(postgres: &Migrator) -> Migrator {
    let migrations = postgres
        .iter()
        .map(|m| {
            let mut sqlite = Migration::new(
                m.version,
                m.description.clone(),
                m.migration_type,
                Cow::Owned(sqlite_dialect(&m.sql)),
                m.no_tx,
            );
            if let Some((_, recorded)) = SQLITE_RECORDED_CHECKSUMS
                .iter()
                .find(|(version, _)| *version == m.version)
            {
                sqlite.checksum = Cow::Owned(
                    nextauth_protocol::from_hex(recorded).expect("a hex constant (tested)"),
                );
            }
            sqlite
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ignore_missing: postgres.ignore_missing,
        locking: postgres.locking,
        no_tx: postgres.no_tx,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dialect_rules_change_only_whole_words() {
        assert_eq!(
            sqlite_dialect(
                "id BIGSERIAL PRIMARY KEY, n BIGINT, b BYTEA DEFAULT ''::bytea, big_bigint BIGINTS"
            ),
            "id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER, b BLOB DEFAULT x'', big_bigint BIGINTS"
        );
    }

    #[test]
    fn the_recorded_checksums_are_sha384_in_lowercase_hex() {
        for (version, text) in SQLITE_RECORDED_CHECKSUMS {
            assert_eq!(text.len(), 96, "version {version}");
            assert!(text.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
            let bytes = nextauth_protocol::from_hex(text).expect("hex");
            assert_eq!(bytes.len(), 48, "SHA-384");
            assert_eq!(nextauth_protocol::hex(&bytes), text);
        }
    }
}
