//! End-to-end encrypted channels (`private-encrypted-*`): the per-channel
//! key and NaCl secretbox (XSalsa20-Poly1305, tweetnacl's layout: tag then
//! ciphertext), pure: the nonce is an argument.

use super::error::PusherError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

pub const NONCE_LEN: usize = 24;

/// The app's 32-byte encryption master key.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Standard base64 of exactly 32 bytes. The error never echoes the input.
    pub fn from_base64(encoded: &str) -> Result<Self, &'static str> {
        let bytes = B64
            .decode(encoded.trim())
            .map_err(|_| "is not valid base64")?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "must decode to exactly 32 bytes")?;
        Ok(Self(bytes))
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// `sha256(utf8(channel_name) || master_key)`: the key pusher-js receives as
/// `shared_secret` and the key each event on the channel is sealed with.
pub fn shared_secret(channel_name: &str, master_key: &MasterKey) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(channel_name.as_bytes());
    hasher.update(master_key.0);
    hasher.finalize().into()
}

/// The JSON Pusher carries as the event's `data` on an encrypted channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedData {
    pub nonce: String,
    pub ciphertext: String,
}

/// Seals `plaintext` (the event's data, already a JSON string) and returns
/// `{"nonce":"<b64>","ciphertext":"<b64>"}` as the Node library does.
pub fn seal(
    shared_secret: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    plaintext: &str,
) -> Result<String, PusherError> {
    let cipher = XSalsa20Poly1305::new(Key::from_slice(shared_secret));
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(nonce), plaintext.as_bytes())
        .map_err(|_| PusherError::Encryption)?;
    let sealed = SealedData {
        nonce: B64.encode(nonce),
        ciphertext: B64.encode(ciphertext),
    };
    serde_json::to_string(&sealed).map_err(|_| PusherError::Encryption)
}

/// Opens what [`seal`] produced, as pusher-js does; `None` when the data is
/// not sealed data or not sealed with this key.
pub fn open(shared_secret: &[u8; 32], sealed_json: &str) -> Option<String> {
    let sealed: SealedData = serde_json::from_str(sealed_json).ok()?;
    let nonce: [u8; NONCE_LEN] = B64.decode(sealed.nonce).ok()?.try_into().ok()?;
    let ciphertext = B64.decode(sealed.ciphertext).ok()?;
    let cipher = XSalsa20Poly1305::new(Key::from_slice(shared_secret));
    let plain = cipher
        .decrypt(Nonce::from_slice(&nonce), ciphertext.as_slice())
        .ok()?;
    String::from_utf8(plain).ok()
}

/// A fresh random nonce from the thread-local CSPRNG (seeded by the OS).
pub fn random_nonce() -> [u8; NONCE_LEN] {
    rand::random()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master() -> MasterKey {
        MasterKey::from_bytes(std::array::from_fn(|i| i as u8))
    }

    #[test]
    fn master_keys_must_be_32_bytes_of_base64() {
        let key = MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
        assert_eq!(key, master());
        assert!(MasterKey::from_base64("AAEC").is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
        assert_eq!(format!("{key:?}"), "MasterKey(<redacted>)");
    }

    #[test]
    fn sealed_data_opens_with_the_same_key_only() {
        let key = shared_secret("private-encrypted-x", &master());
        let sealed = seal(&key, &[7; NONCE_LEN], r#"{"a":"é"}"#).unwrap();
        assert_eq!(open(&key, &sealed).as_deref(), Some(r#"{"a":"é"}"#));
        let other = shared_secret("private-encrypted-y", &master());
        assert_eq!(open(&other, &sealed), None);
        assert_eq!(open(&key, "junk"), None);
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(random_nonce(), random_nonce());
    }
}
