//! The thin JWE glue no maintained crate offers: compact JWE with `alg: dir`
//! and `A256CBC-HS512` (RFC 7518 §5.2.5) or `A256GCM`, the two that Auth.js
//! and NextAuth v4 write. The ciphers are RustCrypto's; this file only splits
//! the token and feeds them the right bytes.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cbc::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha512;
use subtle::ConstantTimeEq;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enc {
    A256CbcHs512,
    A256Gcm,
}

impl Enc {
    pub fn key_len(self) -> usize {
        match self {
            Enc::A256CbcHs512 => 64,
            Enc::A256Gcm => 32,
        }
    }

    fn parse(name: &str) -> Option<Self> {
        match name {
            "A256CBC-HS512" => Some(Enc::A256CbcHs512),
            "A256GCM" => Some(Enc::A256Gcm),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Header {
    pub alg: String,
    pub enc: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub zip: Option<String>,
    #[serde(default)]
    pub crit: Option<serde_json::Value>,
}

/// A compact JWE split and decoded, not yet decrypted.
pub struct Compact<'a> {
    pub header: Header,
    pub enc: Enc,
    protected_b64: &'a str,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
    tag: Vec<u8>,
}

/// Why a JWE was refused (logged, never shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JweError {
    Malformed,
    UnsupportedHeader,
    Decrypt,
}

/// Splits `token`; only `alg: dir` with an `enc` in `allowed` passes.
pub fn parse<'a>(token: &'a str, allowed: &[Enc]) -> Result<Compact<'a>, JweError> {
    let mut parts = token.split('.');
    let (Some(h), Some(key), Some(iv), Some(ct), Some(tag), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(JweError::Malformed);
    };
    let b64 = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| JweError::Malformed);
    let header: Header = serde_json::from_slice(&b64(h)?).map_err(|_| JweError::Malformed)?;
    let enc = Enc::parse(&header.enc).filter(|e| allowed.contains(e));
    let Some(enc) = enc else {
        return Err(JweError::UnsupportedHeader);
    };
    // `dir` has no encrypted key; compression and critical extensions are never written by Auth.js.
    if header.alg != "dir" || !key.is_empty() || header.zip.is_some() || header.crit.is_some() {
        return Err(JweError::UnsupportedHeader);
    }
    Ok(Compact {
        header,
        enc,
        protected_b64: h,
        iv: b64(iv)?,
        ciphertext: b64(ct)?,
        tag: b64(tag)?,
    })
}

impl Compact<'_> {
    /// The plaintext, if `key` (of `enc.key_len()` bytes) authenticates it.
    pub fn decrypt(&self, key: &[u8]) -> Result<Vec<u8>, JweError> {
        if key.len() != self.enc.key_len() {
            return Err(JweError::Decrypt);
        }
        let aad = self.protected_b64.as_bytes();
        match self.enc {
            Enc::A256CbcHs512 => {
                let (mac_key, enc_key) = key.split_at(32);
                if self.iv.len() != 16 || self.tag.len() != 32 {
                    return Err(JweError::Malformed);
                }
                let al = ((aad.len() as u64) * 8).to_be_bytes();
                let mut mac = <Hmac<Sha512> as Mac>::new_from_slice(mac_key)
                    .map_err(|_| JweError::Decrypt)?;
                mac.update(aad);
                mac.update(&self.iv);
                mac.update(&self.ciphertext);
                mac.update(&al);
                let full = mac.finalize().into_bytes();
                // The tag is the first half of the HMAC, compared in constant time before decrypting.
                if !bool::from(full[..32].ct_eq(&self.tag)) {
                    return Err(JweError::Decrypt);
                }
                cbc::Decryptor::<aes::Aes256>::new_from_slices(enc_key, &self.iv)
                    .map_err(|_| JweError::Decrypt)?
                    .decrypt_padded_vec_mut::<Pkcs7>(&self.ciphertext)
                    .map_err(|_| JweError::Decrypt)
            }
            Enc::A256Gcm => {
                if self.iv.len() != 12 || self.tag.len() != 16 {
                    return Err(JweError::Malformed);
                }
                let cipher =
                    aes_gcm::Aes256Gcm::new_from_slice(key).map_err(|_| JweError::Decrypt)?;
                let mut msg = self.ciphertext.clone();
                msg.extend_from_slice(&self.tag);
                cipher
                    .decrypt(
                        aes_gcm::Nonce::from_slice(&self.iv),
                        Payload { msg: &msg, aad },
                    )
                    .map_err(|_| JweError::Decrypt)
            }
        }
    }
}

/// RFC 7638 thumbprint of a symmetric key, as `jose.calculateJwkThumbprint`
/// computes it for `{kty: "oct", k}` with SHA-(key bits): Auth.js's `kid`.
pub fn oct_thumbprint(key: &[u8]) -> String {
    use sha2::Digest;
    let json = format!(r#"{{"k":"{}","kty":"oct"}}"#, URL_SAFE_NO_PAD.encode(key));
    match key.len() * 8 {
        512 => URL_SAFE_NO_PAD.encode(sha2::Sha512::digest(json.as_bytes())),
        384 => URL_SAFE_NO_PAD.encode(sha2::Sha384::digest(json.as_bytes())),
        _ => URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(json.as_bytes())),
    }
}

/// HKDF-SHA256, the derivation Auth.js and NextAuth v4 use (via `@panva/hkdf`).
pub fn hkdf_sha256(secret: &[u8], salt: &[u8], info: &str, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    // 64 bytes is far below HKDF-SHA256's limit of 8160: expand cannot fail.
    let _ = hkdf::Hkdf::<sha2::Sha256>::new(Some(salt), secret).expand(info.as_bytes(), &mut out);
    out
}
