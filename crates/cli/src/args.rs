//! Command-line parsing with clap (derive; `env` for the variables). Options may come before or
//! after the command (`global`), as they always could.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

/// What INPUT may be, for the top-level help and the commands that take one.
const INPUT_HELP: &str = "\
INPUT is a deep link (https://…), an app-to-app URI (nextauth:…, under \"Can't scan?\" on the
website), the QR bytes as hex, or an image file (PNG, JPEG) with the code.";

/// The authenticator on the command line: enrol, log in, approve, manage accounts.
#[derive(Debug, Parser)]
#[command(
    name = "nextauth",
    version,
    after_help = INPUT_HELP
)]
struct Cli {
    #[command(flatten)]
    options: GlobalOptions,
    #[command(subcommand)]
    command: Option<CommandArgs>,
}

/// The options every command takes (before or after the command).
#[derive(Debug, Args)]
struct GlobalOptions {
    /// Data directory [default: ~/.local/share/nextauth]
    #[arg(
        long,
        value_name = "DIR",
        env = "NEXTAUTH_DATA",
        hide_env_values = true,
        global = true
    )]
    data: Option<PathBuf>,
    /// Answer confirmations with yes without asking
    #[arg(long, global = true, overrides_with = "deny")]
    yes: bool,
    /// Answer confirmations with no without asking
    #[arg(long, global = true, overrides_with = "yes")]
    deny: bool,
    /// The account to use when several fit
    #[arg(long, value_name = "ID", global = true)]
    account: Option<String>,
    /// Answer PIN questions (the PIN to set at enrolment, the current one for `pin change`)
    #[arg(
        long,
        value_name = "PIN",
        env = "NEXTAUTH_PIN",
        hide_env_values = true,
        global = true
    )]
    pin: Option<String>,
    /// The new PIN for `pin change`
    #[arg(
        long,
        value_name = "PIN",
        env = "NEXTAUTH_NEW_PIN",
        hide_env_values = true,
        global = true
    )]
    new_pin: Option<String>,
    /// Text for the website at login
    #[arg(long, value_name = "TEXT", global = true)]
    user_input: Option<String>,
    /// The number the browser shows, when the login asks for it
    #[arg(long, value_name = "N", global = true)]
    number: Option<String>,
    /// Answer "This was not me": deny and report the login to the server
    #[arg(long, global = true)]
    not_me: bool,
    /// After a login to a continuous server, keep the session until Ctrl-C
    #[arg(long, global = true)]
    stay: bool,
    /// Print results as JSON
    #[arg(long, global = true)]
    json: bool,
    /// Accept deep links under this https prefix (repeatable)
    #[arg(long = "link-prefix", value_name = "URL", global = true)]
    link_prefixes: Vec<String>,
    /// Also trust this CA (DER or PEM) for wss:// servers (repeatable)
    #[arg(long = "ca", value_name = "FILE", global = true)]
    ca_files: Vec<PathBuf>,
    /// How many history entries `history` shows
    #[arg(long, value_name = "N", default_value_t = 50, global = true)]
    limit: u32,
}

#[derive(Debug, Subcommand)]
enum CommandArgs {
    /// Create an account from an enrol code
    ///
    /// Creates an account from a website's sign-up (enrol) code. The terminal shows the
    /// website's visual hash as coloured blocks: compare it with the picture next to the code on
    /// the website before you confirm. If the website asks for a PIN, you choose one (typed
    /// twice) unless --pin gives it.
    #[command(visible_alias = "enroll", after_help = INPUT_HELP)]
    Enrol {
        /// The enrol code
        #[arg(value_name = "INPUT")]
        input: String,
    },
    /// Log in (or approve a transaction) with a login or transaction code
    ///
    /// Logs a browser in with a website's login code, or approves (declines) a transaction with
    /// its code. Before you answer, the terminal shows the website, the browser and the address
    /// that asks, as the app does: approve only if that is you.
    #[command(visible_alias = "approve", after_help = INPUT_HELP)]
    Login {
        /// The login or transaction code
        #[arg(value_name = "INPUT")]
        input: String,
    },
    /// List accounts
    ///
    /// Lists the accounts in this data directory: id, name, website, last login.
    Accounts,
    /// Show the history, newest first (--limit N entries, 50)
    ///
    /// Shows what happened, newest first (logins, approvals, enrolments, errors); --limit N
    /// entries (50).
    History,
    /// Show messages from servers
    ///
    /// Shows the messages websites sent to your accounts.
    Messages,
    /// Delete an account (on the server too)
    ///
    /// Deletes the account ACCOUNT (an id from `nextauth accounts`) here and on its website.
    Delete {
        /// The account's id
        #[arg(value_name = "ACCOUNT")]
        account: String,
    },
    /// PIN commands: `pin change`
    #[command(subcommand_required = true, arg_required_else_help = true)]
    Pin {
        #[command(subcommand)]
        command: PinCommand,
    },
    /// Stay connected and handle push messages as they arrive (Ctrl-C to stop)
    ///
    /// Stays connected to every account's website and answers push logins as they arrive
    /// (asking you, or with --yes/--deny). Ctrl-C stops.
    Listen,
    /// Log in as the app itself (AppLogin) and print a token for AUDIENCE
    ///
    /// Logs the only account in as the app itself (AppLogin: the server must allow it and keep
    /// sessions alive with pings) and prints a token for AUDIENCE, your backend (its URL, say).
    /// The token is signed by the server, names the account, its user and AUDIENCE, and is
    /// valid for a few minutes: the backend checks it with the server's public key, or with the
    /// server's REST call apptokens/check, which also says whether the session is still logged
    /// in. Without --stay the session ends when the command does. Treat the token as a
    /// password. --json prints {token, audience, expiresAt}.
    #[command(name = "app-login")]
    AppLogin {
        /// Who the token is for (your backend)
        #[arg(value_name = "AUDIENCE")]
        audience: String,
    },
    /// QR code commands: `qr decode FILE...`
    #[command(subcommand_required = true, arg_required_else_help = true)]
    Qr {
        #[command(subcommand)]
        command: QrCommand,
    },
    /// Print the shell completion script for SHELL
    ///
    /// Prints the completion script of SHELL (bash, zsh, fish, elvish, powershell), generated
    /// from this command line, for example
    /// `nextauth completions bash > ~/.local/share/bash-completion/completions/nextauth`.
    Completions {
        /// The shell
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
enum PinCommand {
    /// Change the PIN (--pin OLD --new-pin NEW, or prompts)
    ///
    /// Changes the PIN of every account that has one; each website checks the old PIN first.
    /// Without --pin and --new-pin it asks (the new one twice).
    Change,
}

#[derive(Debug, Subcommand)]
enum QrCommand {
    /// Print the payload of the QR code in each image file
    ///
    /// Prints the payload of the QR code in each image file as hex (or `none`).
    Decode {
        /// Image files (PNG, JPEG)
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
    },
}

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
    /// AppLogin and a token for an audience.
    AppLogin(String),
    /// Decode QR images.
    QrDecode(Vec<PathBuf>),
    /// Print the completion script of a shell.
    Completions(clap_complete::Shell),
    /// No command: print the help.
    Help,
}

/// Parsed options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Data directory (`--data` or `NEXTAUTH_DATA`).
    pub data: Option<PathBuf>,
    /// Some(true) = --yes, Some(false) = --deny (the last one given), None = ask.
    pub answer: Option<bool>,
    /// --account.
    pub account: Option<String>,
    /// --pin or `NEXTAUTH_PIN`.
    pub pin: Option<String>,
    /// --new-pin or `NEXTAUTH_NEW_PIN`.
    pub new_pin: Option<String>,
    /// --user-input.
    pub user_input: Option<String>,
    /// --number.
    pub number: Option<String>,
    /// --not-me.
    pub not_me: bool,
    /// --stay.
    pub stay: bool,
    /// --json.
    pub json: bool,
    /// --link-prefix values.
    pub link_prefixes: Vec<String>,
    /// --ca files.
    pub ca_files: Vec<PathBuf>,
}

/// Parses the command line (with the program name first, as `std::env::args_os` gives it).
///
/// # Errors
///
/// clap's error: a usage mistake, or the request for help or the version (those print to
/// standard output and are no failure: `clap::Error::use_stderr` is false).
pub fn parse<I, T>(args: I) -> Result<(Options, Command), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = Cli::try_parse_from(args)?;
    let o = cli.options;
    let answer = match (o.yes, o.deny) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let options = Options {
        data: o.data,
        answer,
        account: o.account,
        pin: o.pin,
        new_pin: o.new_pin,
        user_input: o.user_input,
        number: o.number,
        not_me: o.not_me,
        stay: o.stay,
        json: o.json,
        link_prefixes: o.link_prefixes,
        ca_files: o.ca_files,
    };
    let command = match cli.command {
        None => Command::Help,
        Some(CommandArgs::Enrol { input }) => Command::Enrol(input),
        Some(CommandArgs::Login { input }) => Command::Login(input),
        Some(CommandArgs::Accounts) => Command::Accounts,
        Some(CommandArgs::History) => Command::History(o.limit),
        Some(CommandArgs::Messages) => Command::Messages,
        Some(CommandArgs::Delete { account }) => Command::Delete(account),
        Some(CommandArgs::Pin {
            command: PinCommand::Change,
        }) => Command::PinChange,
        Some(CommandArgs::Listen) => Command::Listen,
        Some(CommandArgs::AppLogin { audience }) => Command::AppLogin(audience),
        Some(CommandArgs::Qr {
            command: QrCommand::Decode { files },
        }) => Command::QrDecode(files),
        Some(CommandArgs::Completions { shell }) => Command::Completions(shell),
    };
    Ok((options, command))
}

/// The general help, as `nextauth --help` prints it.
pub fn long_help() -> String {
    Cli::command().render_long_help().to_string()
}

/// The completion script of `shell` for this command line.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "nextauth", &mut script);
    script
}

/// A usage mistake in one line (clap's first paragraph, without its `error: `), for
/// `nextauth: …` on standard error.
pub fn one_line(err: &clap::Error) -> String {
    let text = err.render().to_string();
    let first: Vec<&str> = text
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .map(str::trim)
        .collect();
    let first = first.join(" ");
    let first = first.strip_prefix("error: ").unwrap_or(&first);
    format!("{first} (try --help)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<(Options, Command), clap::Error> {
        parse(std::iter::once("nextauth").chain(args.iter().copied()))
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// docs/man/nextauth*.1 are this definition's (`NEXTAUTH_UPDATE_MAN=1` rewrites them).
    #[test]
    fn man_pages() {
        nextauth_e2e::man::check(Cli::command());
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
        assert_eq!(p(&["history"]).unwrap().1, Command::History(50));
        assert_eq!(p(&["pin", "change"]).unwrap().1, Command::PinChange);
        assert_eq!(p(&["enroll", "x"]).unwrap().1, Command::Enrol("x".into()));
        assert_eq!(p(&["approve", "x"]).unwrap().1, Command::Login("x".into()));
        assert_eq!(
            p(&["qr", "decode", "a.png", "b.png"]).unwrap().1,
            Command::QrDecode(vec!["a.png".into(), "b.png".into()])
        );
        assert_eq!(p(&[]).unwrap().1, Command::Help);
        // The last of --yes / --deny counts.
        assert_eq!(
            p(&["--yes", "--deny", "accounts"]).unwrap().0.answer,
            Some(false)
        );
        assert_eq!(
            p(&["--deny", "--yes", "accounts"]).unwrap().0.answer,
            Some(true)
        );
        let (o, _) = p(&["--ca", "a.pem", "--ca", "b.der", "accounts"]).unwrap();
        assert_eq!(o.ca_files, vec![PathBuf::from("a.pem"), "b.der".into()]);
        // clap: a repeatable option given on both sides of the command keeps the values after
        // it (the hand-written parser collected both).
        let (o, _) = p(&["--ca", "a.pem", "accounts", "--ca", "b.der"]).unwrap();
        assert_eq!(o.ca_files, vec![PathBuf::from("b.der")]);
    }

    #[test]
    fn each_command_has_its_own_help() {
        for (args, usage, words) in [
            (&["enrol", "--help"][..], "nextauth enrol", "visual hash"),
            (
                &["login", "--help"][..],
                "nextauth login",
                "approve only if",
            ),
            (&["help", "history"][..], "nextauth history", "newest first"),
            (&["pin", "change", "-h"][..], "nextauth pin change", "PIN"),
            (
                &["qr", "decode", "--help"][..],
                "nextauth qr decode",
                "FILE",
            ),
        ] {
            let err = p(args).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp, "{args:?}");
            assert!(!err.use_stderr());
            let text = err.render().to_string();
            assert!(
                text.contains(&format!("Usage: {usage}")) && text.contains(words),
                "{args:?}: {text}"
            );
        }
        // Before the command, --help is the general help (the hand-written parser gave the
        // command's; `nextauth help login` and `nextauth login --help` do that).
        for args in [&["--help"][..], &["help"], &["--help", "login"]] {
            let text = p(args).unwrap_err().render().to_string();
            assert!(
                text.contains("Usage: nextauth [OPTIONS] [COMMAND]"),
                "{text}"
            );
        }
        assert!(long_help().contains("enrol"));
    }

    #[test]
    fn completion_scripts_know_the_commands_and_options() {
        assert_eq!(
            p(&["completions", "bash"]).unwrap().1,
            Command::Completions(clap_complete::Shell::Bash)
        );
        for shell in [clap_complete::Shell::Bash, clap_complete::Shell::Zsh] {
            let script = String::from_utf8(completions(shell)).unwrap();
            for word in ["enrol", "approve", "decode", "--ca", "--link-prefix"] {
                assert!(script.contains(word), "{shell}: {word}");
            }
        }
        assert!(p(&["completions", "cmd.exe"]).is_err());
    }

    #[test]
    fn mistakes_are_reported() {
        for args in [
            &["--bogus"][..],
            &["enrol"],
            &["accounts", "extra"],
            &["--limit", "x", "history"],
            &["qr", "decode"],
            &["fly"],
        ] {
            let err = p(args).unwrap_err();
            assert!(err.use_stderr(), "{args:?}");
            assert_eq!(err.exit_code(), 2, "{args:?}");
            assert_eq!(one_line(&err).lines().count(), 1, "{args:?}");
        }
    }
}
