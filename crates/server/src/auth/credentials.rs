//! Who the user is: the login ([`Credentials`]: a user name and the argon2 hash of its
//! password), the generated login kept in the state folder ([`load_or_generate`]), and
//! HTTP Basic `Authorization` values checked against the login.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::lock;

/// Name of the file in the state folder that keeps a generated login.
pub const GENERATED_AUTH_FILE: &str = "auth.json";

/// Longest Basic `Authorization` value (base64, without its padding) that is decoded.
const MAX_BASIC_BASE64: usize = 8192;

/// Basic values verified recently, whose digests are kept.
const VERIFIED_BASIC_KEPT: usize = 16;

/// Decoder of Basic credentials: the standard alphabet; the `=` padding and the unused
/// low bits of the last character are not checked.
const BASIC_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A user name and the argon2 hash (PHC string) of its password.
#[derive(Clone)]
pub struct Credentials {
    username: String,
    password_hash: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Hashes `password` with argon2 (a fresh random salt); the password itself is not kept.
    pub fn new(username: &str, password: &str) -> anyhow::Result<Credentials> {
        if username.is_empty() || password.is_empty() {
            anyhow::bail!("auth: the user name and the password must not be empty");
        }
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no random numbers: {e}"))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
        Ok(Credentials {
            username: username.to_owned(),
            password_hash: hash.to_string(),
        })
    }

    /// Credentials from a stored argon2 PHC string (checked to be one).
    pub fn from_hash(username: &str, password_hash: &str) -> anyhow::Result<Credentials> {
        PasswordHash::new(password_hash)
            .map_err(|e| anyhow::anyhow!("not an argon2 password hash: {e}"))?;
        Ok(Credentials {
            username: username.to_owned(),
            password_hash: password_hash.to_owned(),
        })
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The argon2 hash of the password (PHC string).
    pub fn password_hash(&self) -> &str {
        &self.password_hash
    }

    /// Whether `username` and `password` match; constant-time, and slow on purpose (argon2).
    pub fn verify(&self, username: &str, password: &str) -> bool {
        // Hash both names so that the comparison does not depend on their lengths.
        let user_ok: bool = Sha256::digest(username.as_bytes())
            .ct_eq(&Sha256::digest(self.username.as_bytes()))
            .into();
        let password_ok = PasswordHash::new(&self.password_hash).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        });
        user_ok & password_ok
    }
}

/// What the state folder keeps of a generated login.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StoredLogin {
    username: String,
    password_hash: String,
}

/// The login kept in `<state_dir>/auth.json`, or a new one: user `admin` and a random
/// password, whose hash is written there. The password is returned only when it was
/// just generated (to be shown once); it is never stored.
pub fn load_or_generate(state_dir: &Path) -> anyhow::Result<(Credentials, Option<String>)> {
    let path = state_dir.join(GENERATED_AUTH_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let stored: StoredLogin = serde_json::from_slice(&bytes).map_err(|e| {
                anyhow::anyhow!("{GENERATED_AUTH_FILE} in the state folder is invalid ({e}); delete it to generate a new password")
            })?;
            Ok((
                Credentials::from_hash(&stored.username, &stored.password_hash)?,
                None,
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let password = random_password(20)?;
            let credentials = Credentials::new("admin", &password)?;
            let stored = StoredLogin {
                username: credentials.username.clone(),
                password_hash: credentials.password_hash.clone(),
            };
            // Owner-only from its first byte (a new file of write_atomically).
            cloud_torrent_engine::write_atomically(&path, &serde_json::to_vec_pretty(&stored)?)?;
            Ok((credentials, Some(password)))
        }
        Err(e) => Err(anyhow::anyhow!(
            "cannot read {GENERATED_AUTH_FILE} in the state folder: {e}"
        )),
    }
}

fn random_password(len: usize) -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut buf = [0u8; 32];
        getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no random numbers: {e}"))?;
        for b in buf {
            // Rejection sampling keeps every character equally likely.
            let limit = 256 - 256 % ALPHABET.len();
            if (b as usize) < limit && out.len() < len {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

/// The value after `Basic ` in an `Authorization` header.
pub(super) fn basic_value(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, rest) = value.split_at_checked(6)?;
    scheme
        .eq_ignore_ascii_case(b"basic ")
        .then(|| rest.trim_ascii())
}

/// `base64(user:password)` → (user, password).
fn decode_basic(value: &[u8]) -> Option<(String, String)> {
    let unpadded = value
        .strip_suffix(b"==")
        .or_else(|| value.strip_suffix(b"="))
        .unwrap_or(value);
    if unpadded.len() > MAX_BASIC_BASE64 {
        return None;
    }
    let decoded = BASIC_BASE64.decode(value).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Keyed digests of the Basic `Authorization` values verified last, so that scripts
/// do not pay argon2 on every request. The key is random and never stored.
pub(super) struct VerifiedBasic {
    key: [u8; 32],
    digests: Mutex<VecDeque<[u8; 32]>>,
}

impl VerifiedBasic {
    pub(super) fn new() -> VerifiedBasic {
        let mut key = [0u8; 32];
        if getrandom::fill(&mut key).is_err() {
            // Without randomness the cache is keyed by the time: still never stored anywhere.
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos();
            key = Sha256::digest(t.to_le_bytes()).into();
        }
        VerifiedBasic {
            key,
            digests: Mutex::new(VecDeque::new()),
        }
    }

    fn digest(&self, value: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(value);
        h.finalize().into()
    }

    /// Whether the Basic `Authorization` value `value` was verified recently.
    pub(super) fn is_known(&self, value: &[u8]) -> bool {
        let digest = self.digest(value);
        lock(&self.digests)
            .iter()
            .fold(false, |found, d| found | bool::from(d.ct_eq(&digest)))
    }

    /// Whether the Basic `Authorization` value `value` carries `credentials`, checked
    /// by `checks`; a value found right is remembered.
    pub(super) async fn verify(
        &self,
        checks: &PasswordChecks,
        credentials: &Credentials,
        value: &[u8],
    ) -> Result<bool, Busy> {
        let Some((user, password)) = decode_basic(value) else {
            return Ok(false);
        };
        let ok = checks.verify(credentials, user, password).await?;
        if ok {
            let digest = self.digest(value);
            let mut digests = lock(&self.digests);
            if digests.len() >= VERIFIED_BASIC_KEPT {
                digests.pop_front();
            }
            digests.push_back(digest);
        }
        Ok(ok)
    }
}

/// Checks that may wait for a turn, per check that may run; beyond them the answer
/// is 503 at once.
const WAITING_PER_CHECK: usize = 4;

/// Too many password checks are running or waiting: try again shortly.
#[derive(Debug)]
pub(super) struct Busy;

/// Runs password checks, a few at a time (setting `passwordChecks`: each argon2 check
/// takes about 19 MiB and tens of milliseconds of a core, so more at once would only
/// trade memory for nothing), each on a thread of its own (not the blocking pool
/// that file transfers use).
pub(super) struct PasswordChecks {
    turns: Arc<tokio::sync::Semaphore>,
    /// Most checks running or waiting.
    capacity: usize,
    queued: AtomicUsize,
}

/// Counts a check as queued or running until it is dropped (also when the request
/// that waits for it goes away).
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl PasswordChecks {
    /// At most `at_once` checks running, and four times as many waiting.
    pub(super) fn new(at_once: usize) -> PasswordChecks {
        let at_once = at_once.max(1);
        PasswordChecks {
            turns: Arc::new(tokio::sync::Semaphore::new(at_once)),
            capacity: at_once * (1 + WAITING_PER_CHECK),
            queued: AtomicUsize::new(0),
        }
    }

    /// Whether `user` and `password` are `credentials`' pair.
    pub(super) async fn verify(
        &self,
        credentials: &Credentials,
        user: String,
        password: String,
    ) -> Result<bool, Busy> {
        if self.queued.fetch_add(1, Ordering::SeqCst) >= self.capacity {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            return Err(Busy);
        }
        let _queued = Queued(&self.queued);
        let turn = self.turns.clone().acquire_owned().await.map_err(|_| Busy)?;
        let credentials = credentials.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("password-check".into())
            .spawn(move || {
                let ok = credentials.verify(&user, &password);
                drop(turn);
                let _ = tx.send(ok);
            })
            .map_err(|_| Busy)?;
        Ok(rx.await.unwrap_or(false))
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose;

    use super::*;

    #[test]
    fn basic_values_decode_to_user_and_password() {
        let pair = |user: &str, password: &str| Some((user.to_owned(), password.to_owned()));
        assert_eq!(decode_basic(b"dXNlcjpwYXNz"), pair("user", "pass"));
        assert_eq!(decode_basic(b"YTpi"), pair("a", "b"));
        assert_eq!(decode_basic(b"YTpiYw=="), pair("a", "bc"));
        assert_eq!(decode_basic(b"YTpiY2Q="), pair("a", "bcd"));
        // Only the first colon separates: passwords may contain colons.
        assert_eq!(decode_basic(b"dXNlcjpwYTpzcw=="), pair("user", "pa:ss"));
        // Padding left out.
        assert_eq!(decode_basic(b"YTpiYw"), pair("a", "bc"));
        // Not base64, too short, no colon ("user"), not UTF-8 (0xff 0x3a).
        assert_eq!(decode_basic(b"!!!!"), None);
        assert_eq!(decode_basic(b"Y"), None);
        assert_eq!(decode_basic(b"dXNlcg=="), None);
        assert_eq!(decode_basic(b"/zo="), None);
        let long = BASIC_BASE64.encode(format!("user:{}", "p".repeat(7000)));
        assert_eq!(decode_basic(long.as_bytes()), None, "longer than the limit");
    }

    #[test]
    fn credentials_verify_only_the_right_pair() {
        let c = Credentials::new("alice", "s3cret").unwrap();
        assert!(c.password_hash().starts_with("$argon2"));
        assert!(!c.password_hash().contains("s3cret"));
        assert!(c.verify("alice", "s3cret"));
        assert!(!c.verify("alice", "s3cret "));
        assert!(!c.verify("bob", "s3cret"));
        assert!(!c.verify("", ""));
        let again = Credentials::from_hash("alice", c.password_hash()).unwrap();
        assert!(again.verify("alice", "s3cret"));
        assert!(Credentials::from_hash("alice", "plain").is_err());
        assert!(!format!("{c:?}").contains("argon2"));
    }

    #[tokio::test]
    async fn basic_values_are_verified_against_the_login() {
        let c = Credentials::new("alice", "s3cret").unwrap();
        let verified = VerifiedBasic::new();
        let checks = PasswordChecks::new(2);
        let right = general_purpose::STANDARD.encode("alice:s3cret");
        let wrong = general_purpose::STANDARD.encode("alice:guess");
        assert!(!verified.is_known(right.as_bytes()));
        assert!(
            verified
                .verify(&checks, &c, right.as_bytes())
                .await
                .unwrap()
        );
        assert!(verified.is_known(right.as_bytes()), "remembered");
        assert!(
            !verified
                .verify(&checks, &c, wrong.as_bytes())
                .await
                .unwrap()
        );
        assert!(!verified.is_known(wrong.as_bytes()));
        assert!(!verified.verify(&checks, &c, b"not base64").await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn password_checks_beyond_the_queue_are_refused_at_once() {
        let c = Credentials::new("alice", "s3cret").unwrap();
        let checks = PasswordChecks::new(2);
        let all = (0..40).map(|_| checks.verify(&c, "alice".into(), "guess".into()));
        let answers = futures::future::join_all(all).await;
        let busy = answers.iter().filter(|a| a.is_err()).count();
        assert_eq!(answers.len() - busy, 2 * (1 + WAITING_PER_CHECK));
        assert!(answers.iter().flatten().all(|ok| !ok));
    }

    #[test]
    fn generated_login_is_stored_hashed_and_reused() {
        let dir = std::env::temp_dir().join(format!("ct-auth-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let _ = std::fs::remove_file(dir.join(GENERATED_AUTH_FILE));
        let (first, password) = load_or_generate(&dir).unwrap();
        let password = password.expect("a new password");
        assert!(password.len() >= 20);
        let stored = std::fs::read_to_string(dir.join(GENERATED_AUTH_FILE)).unwrap();
        assert!(!stored.contains(&password));
        let (second, again) = load_or_generate(&dir).unwrap();
        assert!(again.is_none(), "printed only once");
        assert!(second.verify("admin", &password));
        assert_eq!(first.password_hash(), second.password_hash());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
