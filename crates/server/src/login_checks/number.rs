//! Number matching: the browser shows a number, the app asks the person for it, and the number
//! chosen travels inside the request the account signs (docs/protocol.md 9.2).

use nextauth_protocol::messages::NumberChallenge;
use ring::rand::SecureRandom;

use crate::store::servers::{NumberInput, NumberMatching, ServerSettings};
use crate::store::StoreError;

/// Why a number is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occasion {
    /// A code the person scanned (or a link they opened) from the browser they use.
    Scan,
    /// A push login or a transaction: someone else may have started it.
    Push,
}

/// Whether `settings` ask for a number on `occasion`.
pub fn wanted(settings: &ServerSettings, occasion: Occasion) -> bool {
    match settings.number_matching {
        NumberMatching::Off => false,
        NumberMatching::Push => occasion == Occasion::Push,
        NumberMatching::Always => true,
    }
}

fn random_below(rng: &dyn SecureRandom, n: u32) -> Result<u32, StoreError> {
    // Rejection sampling: no bias towards small numbers.
    let limit = u32::MAX - u32::MAX % n;
    loop {
        let v = u32::from_be_bytes(nextauth_protocol::crypto::random_array(rng)?);
        if v < limit {
            return Ok(v % n);
        }
    }
}

/// A fresh number of `len` digits (leading zeros allowed).
pub fn new_number(rng: &dyn SecureRandom, len: u8) -> Result<String, StoreError> {
    (0..len)
        .map(|_| random_below(rng, 10).map(|d| char::from(b'0' + d as u8)))
        .collect()
}

/// A new number of `len` digits other than `previous`: after a wrong guess the browser must
/// show a different number (an equal one, drawn once in 10^len, would also not be announced
/// to the page as new).
pub fn new_number_other_than(
    rng: &dyn SecureRandom,
    len: u8,
    previous: Option<&str>,
) -> Result<String, StoreError> {
    // Bounded, for a length with one number only (0 digits): then it cannot differ.
    let mut fresh = new_number(rng, len)?;
    for _ in 0..64 {
        if previous != Some(fresh.as_str()) {
            break;
        }
        fresh = new_number(rng, len)?;
    }
    Ok(fresh)
}

/// A new number when the server wants one at `occasion`, else none.
pub fn new_if_wanted(
    rng: &dyn SecureRandom,
    settings: &ServerSettings,
    occasion: Occasion,
) -> Result<Option<String>, StoreError> {
    wanted(settings, occasion)
        .then(|| new_number(rng, settings.number_length))
        .transpose()
}

/// What the app is asked: the number typed, or picked among it and two others (in a random
/// order, the others distinct from it).
pub fn challenge(
    settings: &ServerSettings,
    expected: &str,
    rng: &dyn SecureRandom,
) -> Result<NumberChallenge, StoreError> {
    let len = u8::try_from(expected.len()).unwrap_or(settings.number_length);
    if settings.number_input == NumberInput::Type {
        return Ok(NumberChallenge::Type(len));
    }
    let mut choices = vec![expected.to_owned()];
    while choices.len() < 3 {
        let other = new_number(rng, len)?;
        if !choices.contains(&other) {
            choices.push(other);
        }
    }
    let right = random_below(rng, 3)? as usize;
    choices.swap(0, right);
    Ok(NumberChallenge::Choose(choices))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_number_after_a_wrong_guess_differs_from_the_old_one() {
        let rng = ring::rand::SystemRandom::new();
        for _ in 0..500 {
            let fresh = new_number_other_than(&rng, 1, Some("7")).unwrap();
            assert_eq!(fresh.len(), 1);
            assert_ne!(fresh, "7");
        }
        assert_eq!(new_number_other_than(&rng, 0, Some("")).unwrap(), "");
    }

    #[test]
    fn numbers_have_their_length_and_choices_hold_the_right_one_once() {
        let rng = ring::rand::SystemRandom::new();
        let mut settings = ServerSettings::new("x", "ws://x/sigmai");
        for len in 2..=6 {
            let n = new_number(&rng, len).unwrap();
            assert_eq!(n.len(), usize::from(len));
            assert!(n.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_eq!(
            challenge(&settings, "42", &rng).unwrap(),
            NumberChallenge::Type(2)
        );
        settings.number_input = NumberInput::Choose;
        let mut positions = [0; 3];
        for _ in 0..60 {
            let NumberChallenge::Choose(choices) = challenge(&settings, "42", &rng).unwrap() else {
                panic!("choices")
            };
            assert_eq!(choices.len(), 3);
            assert_eq!(choices.iter().filter(|c| *c == "42").count(), 1);
            positions[choices.iter().position(|c| c == "42").unwrap()] += 1;
        }
        assert!(
            positions.iter().all(|p| *p > 0),
            "the right one is not always first"
        );
    }

    #[test]
    fn the_policy_decides_when() {
        let mut s = ServerSettings::new("x", "ws://x/sigmai");
        assert!(wanted(&s, Occasion::Push) && !wanted(&s, Occasion::Scan));
        s.number_matching = NumberMatching::Always;
        assert!(wanted(&s, Occasion::Push) && wanted(&s, Occasion::Scan));
        s.number_matching = NumberMatching::Off;
        assert!(!wanted(&s, Occasion::Push) && !wanted(&s, Occasion::Scan));
    }
}
