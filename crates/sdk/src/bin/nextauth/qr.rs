//! `nextauth qr ...`: QR code subcommands.

use std::io::Write;
use std::process::ExitCode;

/// `nextauth qr <subcommand>`.
pub(crate) fn run(args: &[&str]) -> ExitCode {
    match args {
        ["decode", files @ ..] if !files.is_empty() => decode(files),
        ["decode"] => crate::usage_error("qr decode: no FILE given"),
        [other, ..] => crate::usage_error(&format!("unknown qr command '{other}'")),
        [] => crate::usage_error("qr: missing command (decode)"),
    }
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Prints `FILE: <hex>` or `FILE: none` per file; exit 0 if every file was read, 1 otherwise
/// (unreadable files are reported on stderr and do not stop the others).
fn decode(files: &[&str]) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    for &file in files {
        let result = std::fs::read(file)
            .map_err(|e| e.to_string())
            .and_then(|bytes| nextauth_qr::decode_file(&bytes).map_err(|e| e.to_string()));
        let line = match result {
            Ok(Some(payload)) => format!("{file}: {}", hex(&payload)),
            Ok(None) => format!("{file}: none"),
            Err(e) => {
                failed = true;
                eprintln!("nextauth: {file}: {e}");
                continue;
            }
        };
        if writeln!(out, "{line}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::hex;

    #[test]
    fn hex_is_lower_case_and_padded() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
        assert_eq!(hex(&[]), "");
    }
}
