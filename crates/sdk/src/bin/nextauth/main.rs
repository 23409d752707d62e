//! `nextauth`: the command-line tool of nextauth-rs.
//!
//! ```text
//! nextauth qr decode FILE...    read the QR code in each PNG/JPEG file, print its bytes as hex
//! nextauth help | --help        usage
//! ```
//!
//! The argument parser is hand-written on purpose (no dependency); each subcommand lives in its
//! own module.

mod qr;

use std::process::ExitCode;

const USAGE: &str = "\
usage: nextauth <command> [args]

commands:
  qr decode FILE...   read the QR code in each PNG or JPEG file; prints `FILE: <hex>` for
                      the code found, or `FILE: none`; exit status 0 when every file was read
  help                show this help
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["help"] | ["--help"] | ["-h"] => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        ["qr", rest @ ..] => qr::run(rest),
        [other, ..] => usage_error(&format!("unknown command '{other}'")),
    }
}

/// Prints `msg` and the usage to stderr; exit status 2.
pub(crate) fn usage_error(msg: &str) -> ExitCode {
    eprint!("nextauth: {msg}\n\n{USAGE}");
    ExitCode::from(2)
}
