//! The offline release code: what a proctor types on exam day to unseal a session's tests when
//! the board cannot reach the central server.
//!
//! A code is 24 characters in six groups of four, e.g. `7K3M-QX9A-P2TD-W8RF-C4NB-HJ6E`:
//! 22 characters carry 110 random-looking bits (so the code cannot be guessed or found by trying:
//! 2^110 tries, and the package holds nothing that shortens that), 2 characters are a check.
//!
//! Alphabet: Crockford's base 32 (`0-9 A-Z` without `I L O U`). Typing is forgiving: lower case is
//! accepted, `I`/`L` read as `1`, `O` as `0`, spaces and dashes are ignored.
//!
//! The check is `sum((i + 1) * v_i) mod 1021` over the 22 data symbols (values 0-31), written as
//! two symbols. Because 22 * 31 < 1021, every single mistyped character and every swap of two
//! neighbouring different characters changes the sum, so it is always caught; other errors are
//! caught with probability 1020/1021.
//!
//! The code is derived by the issuer from its secret key, the package and the session
//! ([`derive()`]), so `ruji release-code` can print it again at any time without keeping state.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Crockford base 32.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Data symbols in a code.
pub const DATA_SYMBOLS: usize = 22;
/// Bytes of secret a code carries (110 bits, rounded up; the last byte keeps 6 bits).
pub const SECRET_BYTES: usize = 14;
const CHECK_MOD: u32 = 1021;

/// The secret a release code carries: 110 bits.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub [u8; SECRET_BYTES]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Why a typed code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Not 24 symbols after removing spaces and dashes.
    #[error("a release code has 24 characters (6 groups of 4); this one has {0}")]
    Length(usize),
    /// A character outside the alphabet.
    #[error("{0:?} is not a character of a release code")]
    Character(char),
    /// The check does not match: a typo.
    #[error("the code has a typo: check each group against the paper")]
    Check,
}

fn symbols_of(secret: &Secret) -> [u8; DATA_SYMBOLS] {
    let mut out = [0u8; DATA_SYMBOLS];
    let mut acc: u128 = 0;
    for b in secret.0 {
        acc = (acc << 8) | u128::from(b);
    }
    // 112 bits in acc; keep the top 110.
    acc >>= 2;
    for (i, s) in out.iter_mut().enumerate() {
        let shift = 5 * (DATA_SYMBOLS - 1 - i);
        *s = ((acc >> shift) & 31) as u8;
    }
    out
}

fn secret_of(symbols: &[u8; DATA_SYMBOLS]) -> Secret {
    let mut acc: u128 = 0;
    for &s in symbols {
        acc = (acc << 5) | u128::from(s);
    }
    acc <<= 2;
    let mut out = [0u8; SECRET_BYTES];
    for (i, b) in out.iter_mut().enumerate() {
        *b = (acc >> (8 * (SECRET_BYTES - 1 - i))) as u8;
    }
    Secret(out)
}

fn check(symbols: &[u8; DATA_SYMBOLS]) -> u32 {
    symbols
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as u32 + 1) * u32::from(v))
        .sum::<u32>()
        % CHECK_MOD
}

impl Secret {
    /// Keeps only the 110 bits a code can carry (the last 2 bits are zero).
    pub fn normalised(mut self) -> Secret {
        self.0[SECRET_BYTES - 1] &= 0xfc;
        self
    }
}

/// Writes `secret` as a code, `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`.
pub fn encode(secret: &Secret) -> String {
    let syms = symbols_of(secret);
    let c = check(&syms);
    let mut all: Vec<u8> = syms.to_vec();
    all.push((c / 32) as u8);
    all.push((c % 32) as u8);
    let chars: Vec<char> = all.iter().map(|&v| ALPHABET[v as usize] as char).collect();
    chars
        .chunks(4)
        .map(|g| g.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Reads a typed code.
pub fn decode(typed: &str) -> Result<Secret, CodeError> {
    let mut vals = Vec::with_capacity(24);
    for ch in typed.chars() {
        if ch.is_whitespace() || ch == '-' {
            continue;
        }
        let c = match ch.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            c => c,
        };
        let v = ALPHABET
            .iter()
            .position(|&a| a as char == c)
            .ok_or(CodeError::Character(ch))?;
        vals.push(v as u8);
    }
    if vals.len() != DATA_SYMBOLS + 2 {
        return Err(CodeError::Length(vals.len()));
    }
    let mut syms = [0u8; DATA_SYMBOLS];
    syms.copy_from_slice(&vals[..DATA_SYMBOLS]);
    let c = u32::from(vals[DATA_SYMBOLS]) * 32 + u32::from(vals[DATA_SYMBOLS + 1]);
    if c != check(&syms) {
        return Err(CodeError::Check);
    }
    Ok(secret_of(&syms))
}

/// The release secret of `session` in the package with `package_id` and `nonce` (random per
/// package, in its manifest), derived from the issuer's secret signing key bytes.
pub fn derive(issuer_secret: &[u8; 32], package_id: &str, nonce: &str, session: &str) -> Secret {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(issuer_secret).expect("any key length");
    for part in ["ruji release v1", package_id, nonce, session] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    let out = mac.finalize().into_bytes();
    let mut s = [0u8; SECRET_BYTES];
    s.copy_from_slice(&out[..SECRET_BYTES]);
    Secret(s).normalised()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secret(seed: u8) -> Secret {
        derive(&[seed; 32], "PKG", "n", "S1")
    }

    #[test]
    fn round_trips_and_reads_forgivingly() {
        let s = secret(7);
        let code = encode(&s);
        assert_eq!(code.len(), 29);
        assert_eq!(code.matches('-').count(), 5);
        assert_eq!(decode(&code).unwrap(), s);
        let sloppy = code.to_lowercase().replace('-', " ");
        assert_eq!(decode(&sloppy).unwrap(), s);
        assert_eq!(decode("ABCD"), Err(CodeError::Length(4)));
        assert_eq!(
            decode("ABCD-EFGH-JKMN-PQRS-TVWX-YZ0U"),
            Err(CodeError::Character('U'))
        );
    }

    #[test]
    fn sessions_and_packages_get_different_codes() {
        let k = [9u8; 32];
        let a = derive(&k, "PKG", "n", "S1");
        assert_ne!(a, derive(&k, "PKG", "n", "S2"));
        assert_ne!(a, derive(&k, "PKG2", "n", "S1"));
        assert_ne!(a, derive(&k, "PKG", "m", "S1"));
        assert_ne!(a, derive(&[8u8; 32], "PKG", "n", "S1"));
        assert_eq!(a, derive(&k, "PKG", "n", "S1"));
    }

    proptest! {
        #[test]
        fn every_single_typo_and_neighbour_swap_is_caught(seed in any::<[u8; 14]>(), pos in 0usize..24, delta in 1u8..32) {
            let s = Secret(seed).normalised();
            let code: Vec<u8> = encode(&s).bytes().filter(|&b| b != b'-').collect();
            let mut typo = code.clone();
            let v = ALPHABET.iter().position(|&a| a == typo[pos]).unwrap() as u8;
            typo[pos] = ALPHABET[((v + delta) % 32) as usize];
            prop_assert!(decode(std::str::from_utf8(&typo).unwrap()).is_err());
            if pos < 23 && code[pos] != code[pos + 1] {
                let mut swap = code.clone();
                swap.swap(pos, pos + 1);
                prop_assert!(decode(std::str::from_utf8(&swap).unwrap()).is_err());
            }
            prop_assert_eq!(decode(std::str::from_utf8(&code).unwrap()).unwrap(), s);
        }
    }
}
