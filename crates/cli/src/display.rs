//! What the terminal shows a person before they answer: the website's visual hash as coloured
//! blocks (to compare with the picture next to the website's code), and who asks for a login
//! (browser and address), as the app shows them.

use nextauth_protocol::crypto::HASH_LEN;
use nextauth_protocol::vash::{grid, PALETTE};

/// The visual hash as 8 rows of 8 cells. With `colour`, each cell is two spaces on its colour
/// (24-bit ANSI), as the website draws it; without (not a terminal, or `NO_COLOR`), each cell
/// is its palette index as a hex digit, the same 64 cells in words a person can read out.
pub fn visual_hash(hash: &[u8; HASH_LEN], colour: bool) -> String {
    let mut out = String::new();
    for row in grid(hash) {
        out.push_str("    ");
        for cell in row {
            if colour {
                let [r, g, b] = PALETTE[usize::from(cell)];
                out.push_str(&format!("\x1b[48;2;{r};{g};{b}m  \x1b[0m"));
            } else {
                out.push_str(&format!("{cell:x} "));
            }
        }
        out.push('\n');
    }
    out
}

/// Whether to draw in colour on standard error: a terminal, and `NO_COLOR` not set.
pub fn colour_on_stderr() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// "Firefox on Linux" from a user agent (the app's wording), the raw string when unknown.
pub fn describe_agent(ua: &str) -> String {
    if ua.is_empty() {
        return "unknown browser".into();
    }
    let has = |s: &str| ua.contains(s);
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find(|(mark, _)| has(mark))
    .map(|(_, name)| name);
    let os = [
        ("Windows", "Windows"),
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iOS"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(mark, _)| has(mark))
    .map(|(_, name)| name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_owned(),
        (None, _) if ua.chars().count() > 60 => {
            format!("{}…", ua.chars().take(57).collect::<String>())
        }
        (None, _) => ua.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_visual_hash_has_the_64_cells_of_the_hash() {
        let mut hash = [0u8; HASH_LEN];
        hash[0] = 0x2f; // cells 0 and 1: red, navy
        let plain = visual_hash(&hash, false);
        let rows: Vec<&str> = plain.lines().collect();
        assert_eq!(rows.len(), 8);
        assert_eq!(rows[0].trim(), "2 f 0 0 0 0 0 0");
        assert!(rows.iter().all(|r| r.split_whitespace().count() == 8));
        let coloured = visual_hash(&hash, true);
        assert_eq!(coloured.matches("\x1b[48;2;").count(), 64);
        assert!(coloured.starts_with("    \x1b[48;2;230;25;75m  \x1b[0m\x1b[48;2;0;0;117m  "));
    }

    #[test]
    fn user_agents_read_as_the_app_says_them() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
        assert_eq!(describe_agent(chrome), "Chrome on Linux");
        assert_eq!(describe_agent("curl/8.5.0"), "curl");
        assert_eq!(describe_agent(""), "unknown browser");
        assert_eq!(describe_agent("SomeBot"), "SomeBot");
    }
}
