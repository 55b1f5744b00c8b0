//! Loading vector files and the small helpers every section's checks share.
//! Everything is derived from each file's own `credentials` and `inputs`.

use messaging::config::Env;
use messaging::pusher::encryption::{MasterKey, NONCE_LEN};
use messaging::pusher::json;
use messaging::pusher::sign::Token;
use messaging::pusher::{Pusher, PusherConfig};
use serde_json::Value;
use std::fmt::Debug;
use std::path::{Path, PathBuf};

pub type Check = Result<(), String>;

pub struct VectorFile {
    pub path: PathBuf,
    pub root: Value,
}

/// `PUSHER_VECTORS` (colon-separated; relative paths resolve against the
/// crate root), else the shared set A.
pub fn vector_files() -> Vec<VectorFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let list = std::env::var("PUSHER_VECTORS")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "../shared/pusher/vectors-a.json".to_owned());
    list.split(':')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let path = root.join(p.trim());
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading vector file {}: {e}", path.display()));
            let root: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("parsing vector file {}: {e}", path.display()));
            VectorFile { path, root }
        })
        .collect()
}

/// The credentials a file's vectors were produced with.
pub struct Credentials {
    pub app_id: String,
    pub token: Token,
    pub master_key: Option<MasterKey>,
    pub pusher: Pusher,
}

impl Credentials {
    pub fn from_file(file: &VectorFile) -> Result<Self, String> {
        let c = &file.root["credentials"];
        let app_id = text(c, "app_id")?;
        let key = text(c, "key")?;
        let secret = text(c, "secret")?;
        let cluster = c["cluster"].as_str().unwrap_or("mt1").to_owned();
        let master_b64 = c["encryption_master_key_base64"].as_str();
        let master_key = match master_b64 {
            Some(b64) => Some(MasterKey::from_base64(b64).map_err(|e| format!("master key {e}"))?),
            None => None,
        };
        if let (Some(b64), Some(hex_key)) = (master_b64, c["encryption_master_key_hex"].as_str()) {
            let from_b64 = hex::encode(b64_decode(b64)?);
            eq(
                "credentials.encryption_master_key_hex",
                &from_b64.as_str(),
                &hex_key,
            )?;
        }
        let mut pairs = vec![
            ("PUSHER_APP_ID", app_id.as_str()),
            ("PUSHER_SECRET", secret.as_str()),
            ("NEXT_PUBLIC_PUSHER_KEY", key.as_str()),
            ("NEXT_PUBLIC_PUSHER_CLUSTER", cluster.as_str()),
        ];
        if let Some(b64) = master_b64 {
            pairs.push(("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", b64));
        }
        let config = PusherConfig::from_env(&Env::from_pairs(pairs)).map_err(|e| e.to_string())?;
        Ok(Self {
            app_id,
            token: Token::new(key, secret),
            master_key,
            pusher: Pusher::new(config),
        })
    }
}

pub fn text(value: &Value, field: &str) -> Result<String, String> {
    value[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("`{field}` is not a string: {}", value[field]))
}

pub fn eq<T: PartialEq + Debug + ?Sized>(field: &str, ours: &T, expected: &T) -> Check {
    if ours == expected {
        Ok(())
    } else {
        Err(format!("{field}: ours {ours:?} != expected {expected:?}"))
    }
}

/// Fails on keys this checker does not know, so nothing is silently skipped.
pub fn only_keys(value: &Value, known: &[&str], what: &str) -> Check {
    let map = value
        .as_object()
        .ok_or_else(|| format!("{what} is not an object"))?;
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(format!(
            "{what} has a field this test does not know: `{unknown}`"
        )),
        None => Ok(()),
    }
}

pub fn b64_decode(s: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| format!("bad base64 {s:?}: {e}"))
}

pub fn nonce_from_b64(s: &str) -> Result<[u8; NONCE_LEN], String> {
    b64_decode(s)?
        .try_into()
        .map_err(|_| format!("nonce {s:?} is not {NONCE_LEN} bytes"))
}

/// Node's `data` argument as our API's `data` (JSON text sent as is):
/// Node sends strings as given and `JSON.stringify`s anything else, except
/// on encrypted channels, where it always stringifies before sealing.
pub fn our_data(node_data: &Value, encrypted: bool) -> String {
    match node_data {
        Value::String(s) if !encrypted => s.clone(),
        other => json::stringify(other),
    }
}

/// The vectors' placeholders: `<N channels>` is N valid channel names and
/// `<N-char anything>` is N letters `a`.
pub fn expand(value: &Value) -> Value {
    let Some(s) = value.as_str() else {
        return match value {
            Value::Array(items) => Value::Array(items.iter().map(expand).collect()),
            other => other.clone(),
        };
    };
    let Some(inner) = s.strip_prefix('<').and_then(|r| r.strip_suffix('>')) else {
        return value.clone();
    };
    if let Some(n) = inner
        .strip_suffix(" channels")
        .and_then(|n| n.parse::<usize>().ok())
    {
        return Value::Array(
            (0..n)
                .map(|i| Value::String(format!("channel-{i}")))
                .collect(),
        );
    }
    if let Some((n, _)) = inner.split_once("-char ") {
        if let Ok(n) = n.parse::<usize>() {
            return Value::String("a".repeat(n));
        }
    }
    value.clone()
}

/// Node accepts one channel name or an array of them.
pub fn channel_list(value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("channel {v} is not a string"))
            })
            .collect(),
        other => Err(format!(
            "channels {other} are neither a string nor an array"
        )),
    }
}
