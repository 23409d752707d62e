//! Reed-Solomon correction through the decoder the reader uses (rqrr, with the syndrome patch of
//! vendor/rqrr/PATCHED.md): a code with a few wrong modules in its data still reads exactly, and
//! one with too many is refused rather than read wrong.

#[path = "support/corpus.rs"]
mod corpus;

use qrcode::EcLevel;

/// Decodes a module matrix (`true` = dark) as the reader's sampler hands it to rqrr.
fn decode(size: usize, dark: &[bool]) -> Option<Vec<u8>> {
    let grid = rqrr::SimpleGrid::from_func(size, |x, y| dark[y * size + x]);
    let mut out = Vec::new();
    rqrr::Grid::new(grid).decode_to(&mut out).ok().map(|_| out)
}

/// The side of the square of modules `[9, size - 9)` in both directions: away from the finder,
/// format and version areas and the timing lines, so only data and error-correction codewords
/// (and alignment patterns, which the decoder skips) are hit.
fn inner_side(code: &corpus::Code) -> usize {
    code.size - 18
}

/// Flips `count` (at most `inner_side²`) distinct modules of the inner square, chosen by `rng`.
fn flip_data_modules(code: &mut corpus::Code, count: usize, rng: &mut corpus::Rng) {
    let (size, side) = (code.size, inner_side(code));
    assert!(count <= side * side);
    let mut flipped = std::collections::HashSet::new();
    while flipped.len() < count {
        let (x, y) = (9 + rng.below(side), 9 + rng.below(side));
        if flipped.insert((x, y)) {
            code.dark[y * size + x] ^= true;
        }
    }
}

#[test]
fn a_few_wrong_modules_are_corrected_at_every_version_and_level() {
    let mut rng = corpus::Rng::new(0x005e_edec);
    for version in 2..=13 {
        for (ec, wrong) in [(EcLevel::L, 2), (EcLevel::M, 4), (EcLevel::H, 8)] {
            let payload = rng.bytes(12);
            let mut code = corpus::code_for(&payload, version, ec);
            assert_eq!(decode(code.size, &code.dark), Some(payload.clone()));
            flip_data_modules(&mut code, wrong, &mut rng);
            assert_eq!(
                decode(code.size, &code.dark),
                Some(payload),
                "version {version} {ec:?} with {wrong} wrong modules"
            );
        }
    }
}

#[test]
fn a_code_damaged_beyond_its_correction_is_refused_not_misread() {
    let mut rng = corpus::Rng::new(0xbad_c0de);
    for version in 2..=13 {
        let payload = rng.bytes(20);
        let mut code = corpus::code_for(&payload, version, EcLevel::L);
        let half = inner_side(&code).pow(2) / 2;
        flip_data_modules(&mut code, half, &mut rng);
        let read = decode(code.size, &code.dark);
        assert!(
            read.is_none() || read == Some(payload),
            "version {version} misread"
        );
    }
}
