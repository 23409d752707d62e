//! Deep links as the app takes them: those among its command-line arguments (a first or a
//! second launch), and the website addresses whose `https://` links the app opens besides the
//! prefixes its servers announce (Settings → Website links; docs/app.md, "Deep links"), which
//! are checked and stored in one normal form.

use crate::error::{DesktopError, DesktopResult};

/// Longest deep link accepted (from the UI or the command line).
pub const MAX_LINK_LEN: usize = 4096;

/// The deep links among command-line arguments: app-to-app URIs (`nextauth:…`) and `https://`
/// links (the SDK checks them against its accepted prefixes). At most four are kept.
pub fn links_from_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    args.into_iter()
        .map(|a| a.trim().to_owned())
        .filter(|a| {
            a.len() <= MAX_LINK_LEN
                && (a.starts_with(nextauth_sdk::config::DEFAULT_SCHEME)
                    && a[nextauth_sdk::config::DEFAULT_SCHEME.len()..].starts_with(':')
                    || a.starts_with("https://"))
        })
        .take(4)
        .collect()
}

/// Most website link prefixes the person may add.
pub const MAX_LINK_PREFIXES: usize = 20;
/// Longest website link prefix accepted.
pub const MAX_LINK_PREFIX_LEN: usize = 200;

/// A website link prefix as the app stores it: an `https://` address with a host, no user
/// name, query or fragment, its scheme and host in lower case and no trailing slash
/// (`https://Acme.example/app/` → `https://acme.example/app`). Anything else is refused
/// ([`crate::codes::BAD_REQUEST`]), naming the address.
pub fn normalise_prefix(input: &str) -> DesktopResult<String> {
    let text = input.trim();
    let refuse = |why: &str| {
        let shown: String = text.chars().take(80).collect();
        DesktopError::bad_request(format!("“{shown}” {why}"))
    };
    if text.len() > MAX_LINK_PREFIX_LEN {
        return Err(refuse("is too long for a website address"));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(refuse("contains spaces"));
    }
    if !text
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    {
        return Err(refuse("does not start with https://"));
    }
    if text[8..].starts_with(['/', '\\']) {
        return Err(refuse("is not a website address"));
    }
    let url = url::Url::parse(text).map_err(|_| refuse("is not a website address"))?;
    if url.scheme() != "https" || url.host_str().is_none_or(str::is_empty) {
        return Err(refuse("is not a website address"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("must not contain a user name"));
    }
    if url.query().is_some() || url.fragment().is_some() || text.contains(['?', '#']) {
        return Err(refuse("must not contain ? or #"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Every prefix of a settings update, normalised, duplicates dropped, in the given order.
pub fn normalise_prefixes(prefixes: &[String]) -> DesktopResult<Vec<String>> {
    if prefixes.len() > MAX_LINK_PREFIXES {
        return Err(DesktopError::bad_request(format!(
            "at most {MAX_LINK_PREFIXES} website addresses"
        )));
    }
    let mut out: Vec<String> = Vec::new();
    for prefix in prefixes {
        let prefix = normalise_prefix(prefix)?;
        if !out.contains(&prefix) {
            out.push(prefix);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes;

    #[test]
    fn website_link_prefixes_are_https_addresses() {
        for (input, stored) in [
            ("https://acme.example/app", "https://acme.example/app"),
            ("  https://Acme.Example/app/ ", "https://acme.example/app"),
            ("HTTPS://acme.example", "https://acme.example"),
            (
                "https://acme.example:8443/a/b",
                "https://acme.example:8443/a/b",
            ),
        ] {
            assert_eq!(normalise_prefix(input).as_deref(), Ok(stored), "{input}");
        }
        for input in [
            "",
            "http://acme.example/app",
            "nextauth:",
            "acme.example/app",
            "https://",
            "https:///app",
            "https://user:pw@acme.example/app",
            "https://acme.example/app?x=1",
            "https://acme.example/app#top",
            "https://acme example/app",
            "javascript:alert(1)",
        ] {
            let err = normalise_prefix(input).expect_err(input);
            assert_eq!(err.code, codes::BAD_REQUEST, "{input}");
        }
        assert_eq!(
            normalise_prefix(&format!("https://a.example/{}", "x".repeat(200))).map_err(|e| e.code),
            Err(codes::BAD_REQUEST)
        );
        assert_eq!(
            normalise_prefixes(&[
                "https://a.example/x/".into(),
                "https://a.example/x".into(),
                "https://b.example".into()
            ]),
            Ok(vec![
                "https://a.example/x".to_owned(),
                "https://b.example".to_owned()
            ]),
            "duplicates are dropped"
        );
        let many: Vec<String> = (0..=MAX_LINK_PREFIXES)
            .map(|i| format!("https://a{i}.example"))
            .collect();
        assert!(normalise_prefixes(&many).is_err());
    }

    #[test]
    fn only_links_are_taken_from_arguments() {
        let args = [
            "--verbose",
            "nextauth:AAEC",
            "https://example.org/q/AAEC",
            "http://plain.example",
            "nextauthx:zz",
            "/tmp/file.png",
        ]
        .map(String::from);
        assert_eq!(
            links_from_args(args),
            vec!["nextauth:AAEC", "https://example.org/q/AAEC"]
        );
    }
}
