//! Command-line parsing (by hand: a handful of options does not need a parser crate).

use std::path::PathBuf;

/// Usage text.
pub const USAGE: &str = "\
Usage: nextauth [OPTIONS] <COMMAND>

Commands:
  enrol INPUT          create an account from an enrol code
  login INPUT          log in (or approve a transaction) with a login or transaction code
  accounts             list accounts
  history [--limit N]  show the history, newest first
  messages             show messages from servers
  delete ACCOUNT       delete an account (on the server too)
  pin change           change the PIN (--pin OLD --new-pin NEW, or prompts)
  listen               stay connected and handle push messages as they arrive (Ctrl-C to stop)
  qr decode FILE...    print the payload of the QR code in each image file

INPUT is a deep link (https://…), an app-to-app URI (nextauth:…), the QR bytes as hex, or
an image file with the QR code.

Options:
  --data DIR           data directory [env: NEXTAUTH_DATA] [default: ~/.local/share/nextauth]
  --yes | --deny       answer confirmations without asking
  --account ID         the account to use when several fit
  --pin PIN            answer PIN questions [env: NEXTAUTH_PIN]
  --new-pin PIN        the new PIN for `pin change` [env: NEXTAUTH_NEW_PIN]
  --user-input TEXT    text for the website at login
  --stay               after a login to a continuous server, keep the session until Ctrl-C
  --json               print results as JSON
  --link-prefix URL    accept deep links under this https prefix (repeatable)
  --ca FILE            also trust this CA (DER or PEM) for wss:// servers (repeatable)
  -h, --help           print this help
  -V, --version        print the version
";

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Enrol from INPUT.
    Enrol(String),
    /// Log in (or approve) from INPUT.
    Login(String),
    /// List accounts.
    Accounts,
    /// Show history.
    History(u32),
    /// Show messages.
    Messages,
    /// Delete an account.
    Delete(String),
    /// Change the PIN.
    PinChange,
    /// Wait for push messages.
    Listen,
    /// Decode QR images.
    QrDecode(Vec<PathBuf>),
    /// Print usage.
    Help,
    /// Print the version.
    Version,
}

/// Parsed options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Data directory.
    pub data: Option<PathBuf>,
    /// Some(true) = --yes, Some(false) = --deny, None = ask.
    pub answer: Option<bool>,
    /// --account.
    pub account: Option<String>,
    /// --pin.
    pub pin: Option<String>,
    /// --new-pin.
    pub new_pin: Option<String>,
    /// --user-input.
    pub user_input: Option<String>,
    /// --stay.
    pub stay: bool,
    /// --json.
    pub json: bool,
    /// --link-prefix values.
    pub link_prefixes: Vec<String>,
    /// --ca files.
    pub ca_files: Vec<PathBuf>,
}

/// Parses arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<(Options, Command), String> {
    let mut opts = Options::default();
    let mut words: Vec<String> = Vec::new();
    let mut limit = 50u32;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or(format!("{what} needs a value"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok((opts, Command::Help)),
            "-V" | "--version" => return Ok((opts, Command::Version)),
            "--data" => opts.data = Some(PathBuf::from(value("--data")?)),
            "--yes" => opts.answer = Some(true),
            "--deny" => opts.answer = Some(false),
            "--account" => opts.account = Some(value("--account")?),
            "--pin" => opts.pin = Some(value("--pin")?),
            "--new-pin" => opts.new_pin = Some(value("--new-pin")?),
            "--user-input" => opts.user_input = Some(value("--user-input")?),
            "--stay" => opts.stay = true,
            "--json" => opts.json = true,
            "--link-prefix" => opts.link_prefixes.push(value("--link-prefix")?),
            "--ca" => opts.ca_files.push(PathBuf::from(value("--ca")?)),
            "--limit" => {
                limit = value("--limit")?
                    .parse()
                    .map_err(|_| "--limit needs a number".to_owned())?
            }
            s if s.starts_with('-') && s.len() > 1 => {
                return Err(format!("unknown option {s} (try --help)"))
            }
            _ => words.push(arg),
        }
    }
    let mut words = words.into_iter();
    let command = match words.next().as_deref() {
        Some("enrol" | "enroll") => Command::Enrol(words.next().ok_or("enrol needs INPUT")?),
        Some("login" | "approve") => Command::Login(words.next().ok_or("login needs INPUT")?),
        Some("accounts") => Command::Accounts,
        Some("history") => Command::History(limit),
        Some("messages") => Command::Messages,
        Some("delete") => Command::Delete(words.next().ok_or("delete needs ACCOUNT")?),
        Some("pin") => match words.next().as_deref() {
            Some("change") => Command::PinChange,
            _ => return Err("usage: nextauth pin change".into()),
        },
        Some("listen") => Command::Listen,
        Some("qr") => match words.next().as_deref() {
            Some("decode") => {
                let files: Vec<PathBuf> = words.by_ref().map(PathBuf::from).collect();
                if files.is_empty() {
                    return Err("qr decode needs FILE...".into());
                }
                Command::QrDecode(files)
            }
            _ => return Err("usage: nextauth qr decode FILE...".into()),
        },
        Some(other) => return Err(format!("unknown command {other} (try --help)")),
        None => Command::Help,
    };
    if let Some(extra) = words.next() {
        return Err(format!("unexpected argument {extra}"));
    }
    Ok((opts, command))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<(Options, Command), String> {
        parse(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn commands_and_options() {
        let (o, c) = p(&[
            "--data",
            "/d",
            "login",
            "nextauth:AAAA",
            "--yes",
            "--pin=1234",
            "--json",
        ])
        .unwrap();
        assert_eq!(c, Command::Login("nextauth:AAAA".into()));
        assert_eq!(
            (o.data, o.answer, o.pin.as_deref(), o.json),
            (Some("/d".into()), Some(true), Some("1234"), true)
        );
        assert_eq!(
            p(&["history", "--limit", "5"]).unwrap().1,
            Command::History(5)
        );
        assert_eq!(p(&["pin", "change"]).unwrap().1, Command::PinChange);
        assert_eq!(
            p(&["qr", "decode", "a.png", "b.png"]).unwrap().1,
            Command::QrDecode(vec!["a.png".into(), "b.png".into()])
        );
        assert_eq!(p(&[]).unwrap().1, Command::Help);
    }

    #[test]
    fn mistakes_are_reported() {
        assert!(p(&["--bogus"]).is_err());
        assert!(p(&["enrol"]).is_err());
        assert!(p(&["accounts", "extra"]).is_err());
        assert!(p(&["--limit", "x", "history"]).is_err());
        assert!(p(&["qr", "decode"]).is_err());
        assert!(p(&["fly"]).is_err());
    }
}
