//! File chunks on the wire: base64 for the bytes, SHA-256 (lower-case hex) for the whole.
//!
//! Both ends use these, so the agent and the app agree on the alphabet and the digest form.

use crate::protocol::{ErrorCode, RpcError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Standard base64 with padding.
pub fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes standard base64; bad input is an `InvalidParams` error.
pub fn decode(text: &str) -> Result<Vec<u8>, RpcError> {
    STANDARD
        .decode(text)
        .map_err(|e| RpcError::new(ErrorCode::InvalidParams, format!("bad base64: {e}")))
}

/// Raw length of a base64 text, without decoding it (to check limits first).
pub fn decoded_len(text: &str) -> usize {
    let pad = text.bytes().rev().take_while(|&b| b == b'=').count().min(2);
    (text.len() / 4 * 3).saturating_sub(pad)
}

/// A running SHA-256 over a file's bytes.
#[derive(Debug, Clone, Default)]
pub struct Checksum(Sha256);

impl Checksum {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest as 64 lower-case hex digits.
    pub fn finish_hex(self) -> String {
        to_hex(&self.0.finalize())
    }
}

/// SHA-256 of `bytes` as 64 lower-case hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// Whether `text` is a SHA-256 in our form (64 hex digits; upper case accepted).
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_predicts_length() {
        for n in 0..20 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37) as u8).collect();
            let text = encode(&bytes);
            assert_eq!(decoded_len(&text), n as usize);
            assert_eq!(decode(&text).unwrap(), bytes);
        }
        assert_eq!(
            decode("@@@").unwrap_err().kind(),
            Some(ErrorCode::InvalidParams)
        );
    }

    #[test]
    fn sha256_matches_the_known_digest() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(sha256_hex(b"abc"), abc);
        let mut c = Checksum::new();
        c.update(b"a");
        c.update(b"bc");
        assert_eq!(c.finish_hex(), abc);
        assert!(is_sha256_hex(abc));
        assert!(!is_sha256_hex("abc"));
    }
}
