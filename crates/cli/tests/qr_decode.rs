//! End-to-end tests of `nextauth qr decode` (the real binary on generated PNG files).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes a grey PNG.
fn write_png(path: &Path, w: usize, h: usize, data: &[u8]) {
    let file = std::fs::File::create(path).expect("create png");
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w as u32, h as u32);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let mut wr = enc.write_header().expect("png header");
    wr.write_image_data(data).expect("png data");
}

/// A byte-mode code of `payload`, 6 px per module, with a quiet zone, on white.
fn code_image(payload: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut bits = qrcode::bits::Bits::new(qrcode::Version::Normal(5));
    bits.push_byte_data(payload).expect("fits");
    bits.push_terminator(qrcode::EcLevel::M).expect("fits");
    let code = qrcode::QrCode::with_bits(bits, qrcode::EcLevel::M).expect("encode");
    let n = code.width();
    let colors = code.to_colors();
    let m = 6;
    let side = (n + 8) * m + 40;
    let mut img = vec![255u8; side * side];
    for y in 0..n {
        for x in 0..n {
            if colors[y * n + x] == qrcode::Color::Dark {
                for dy in 0..m {
                    for dx in 0..m {
                        img[(20 + (y + 4) * m + dy) * side + 20 + (x + 4) * m + dx] = 0;
                    }
                }
            }
        }
    }
    (side, side, img)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nextauth-cli-qr-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn decode_prints_hex_per_file_and_none_without_code() {
    let dir = temp_dir("ok");
    let payload: Vec<u8> = (0..=255u8).rev().step_by(3).take(80).collect(); // binary
    let (w, h, img) = code_image(&payload);
    let with_code = dir.join("code.png");
    write_png(&with_code, w, h, &img);
    let blank = dir.join("blank.png");
    write_png(&blank, 64, 48, &[200u8; 64 * 48]);

    let out = Command::new(env!("CARGO_BIN_EXE_nextauth"))
        .args(["qr", "decode"])
        .arg(&with_code)
        .arg(&blank)
        .output()
        .expect("run nextauth");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hex: String = payload.iter().map(|b| format!("{b:02x}")).collect();
    let expected = format!(
        "{}: {hex}\n{}: none\n",
        with_code.display(),
        blank.display()
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn unreadable_files_fail_but_the_others_are_still_read() {
    let dir = temp_dir("err");
    let blank = dir.join("blank.png");
    write_png(&blank, 32, 32, &[255u8; 32 * 32]);
    let not_image = dir.join("text.png");
    std::fs::write(&not_image, b"hello").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_nextauth"))
        .args(["qr", "decode"])
        .arg(dir.join("missing.png"))
        .arg(&not_image)
        .arg(&blank)
        .output()
        .expect("run nextauth");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}: none\n", blank.display())
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing.png") && err.contains("text.png"),
        "stderr: {err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["qr"][..],
        &["qr", "decode"],
        &["frobnicate"],
        &["qr", "encode", "x"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_nextauth"))
            .args(args)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_nextauth"))
        .arg("--help")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("qr decode FILE..."));
}
