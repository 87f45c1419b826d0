//! Board sessions, signed rather than stored: the cookie carries its expiry,
//! a random id and the responder's name, MACed with a key derived from the
//! API token (HMAC-SHA256). Nothing is kept on the server, a restart keeps
//! people logged in, and changing the token logs everybody out. The CSRF
//! token of a session is a MAC of its id, so a form can only be posted by a
//! page the board rendered for that session. HTTP Basic with the token as
//! password is accepted too (for scripts and curl); its CSRF token is the
//! MAC of a fixed id.
//!
//! Pure: no axum, no clock (callers pass `now`).

use axum::http::{header, HeaderMap};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::http::auth::{constant_time_eq, hex};

/// The session cookie's name.
pub const COOKIE: &str = "earshot_board";
/// How long a login lasts.
pub const LIFETIME_SECS: i64 = 12 * 3600;
/// The longest responder name, in characters.
pub const MAX_NAME_CHARS: usize = 40;

/// The signing key, derived from the API token.
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key([REDACTED])")
    }
}

impl Key {
    pub fn from_token(token: &SecretString) -> Key {
        let mut mac = hmac(token.expose_secret().as_bytes());
        mac.update(b"earshot board session key v1");
        Key(mac.finalize().into_bytes().into())
    }

    fn sign(&self, parts: &[&[u8]]) -> String {
        let mut mac = hmac(&self.0);
        for p in parts {
            mac.update(p);
            mac.update(b"\n");
        }
        hex(&mac.finalize().into_bytes())
    }
}

fn hmac(key: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length")
}

/// Who is looking at the board, and the CSRF token their forms carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The responder's name, recorded as the actor of their moves.
    pub name: String,
    id: String,
}

impl Session {
    /// The token every POST form of this session carries.
    pub fn csrf(&self, key: &Key) -> String {
        key.sign(&[b"csrf", self.id.as_bytes()])
    }

    /// Whether `given` is this session's CSRF token (constant time).
    pub fn csrf_ok(&self, key: &Key, given: &str) -> bool {
        constant_time_eq(self.csrf(key).as_bytes(), given.as_bytes())
    }
}

/// A new session for `name`, valid for [`LIFETIME_SECS`] from `now` (unix
/// seconds): the cookie value `expiry.id.hex(name).mac`.
pub fn issue(key: &Key, name: &str, now: i64) -> String {
    let expiry = (now + LIFETIME_SECS).to_string();
    let id = hex(&rand::random::<[u8; 16]>());
    let name = hex(name.as_bytes());
    let mac = key.sign(&[expiry.as_bytes(), id.as_bytes(), name.as_bytes()]);
    format!("{expiry}.{id}.{name}.{mac}")
}

/// The session a cookie value stands for, if its MAC holds and it has not
/// expired at `now`.
pub fn verify(key: &Key, value: &str, now: i64) -> Option<Session> {
    let mut parts = value.split('.');
    let (expiry, id, name, mac) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let expected = key.sign(&[expiry.as_bytes(), id.as_bytes(), name.as_bytes()]);
    if !constant_time_eq(expected.as_bytes(), mac.as_bytes()) || expiry.parse::<i64>().ok()? <= now {
        return None;
    }
    let name = String::from_utf8(unhex(name)?).ok()?;
    Some(Session { name, id: id.to_string() })
}

/// The session of HTTP Basic credentials whose password is the token; the
/// user name (when valid) becomes the responder's name.
pub fn basic(headers: &HeaderMap, token: &SecretString) -> Option<Session> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    if !constant_time_eq(password.as_bytes(), token.expose_secret().as_bytes()) {
        return None;
    }
    let name = responder_name(user).unwrap_or_else(|_| "web".to_string());
    Some(Session { name, id: "basic".to_string() })
}

/// Whether a request offers HTTP Basic credentials (right or wrong).
pub fn offers_basic(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Basic ") || v.starts_with("basic "))
}

/// The session cookie's value in a request, if any.
pub fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// `Set-Cookie` for a session: only sent back to the board, not readable by
/// scripts, never sent on cross-site requests; `Secure` behind HTTPS.
pub fn set_cookie(value: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/board; Max-Age={LIFETIME_SECS}; HttpOnly; SameSite=Strict{secure}")
}

/// `Set-Cookie` that ends the session in the browser.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/board; Max-Age=0; HttpOnly; SameSite=Strict")
}

/// A responder's name as typed at login: trimmed, empty means `web`;
/// letters, digits, spaces and `. _ @ -`, at most [`MAX_NAME_CHARS`].
pub fn responder_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Ok("web".to_string());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("name: at most {MAX_NAME_CHARS} characters"));
    }
    if !name.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '_' | '@' | '-')) {
        return Err("name: only letters, digits, spaces and . _ @ -".to_string());
    }
    Ok(name.to_string())
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// Standard base64 (with or without padding), as HTTP Basic uses it.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let s = s.trim_end_matches('=').as_bytes();
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.chunks(4) {
        let mut acc = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            acc |= value(*c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn key(token: &str) -> Key {
        Key::from_token(&SecretString::from(token))
    }

    #[test]
    fn a_session_verifies_until_it_expires() {
        let k = key("t0ken");
        let value = issue(&k, "Dana R.", 1000);
        let s = verify(&k, &value, 1000).expect("valid");
        assert_eq!(s.name, "Dana R.");
        assert!(verify(&k, &value, 1000 + LIFETIME_SECS).is_none(), "expired");
        assert!(verify(&key("other"), &value, 1000).is_none(), "a new token ends old sessions");
    }

    #[test]
    fn tampered_sessions_are_refused() {
        let k = key("t0ken");
        let value = issue(&k, "dana", 1000);
        let parts: Vec<&str> = value.split('.').collect();
        let forged_name = format!("{}.{}.{}.{}", parts[0], parts[1], hex(b"admin"), parts[3]);
        let longer = format!("{}.{}.{}.{}", i64::MAX, parts[1], parts[2], parts[3]);
        for bad in [forged_name.as_str(), longer.as_str(), "", "a.b.c", &format!("{value}.x")] {
            assert!(verify(&k, bad, 1000).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn csrf_tokens_belong_to_one_session() {
        let k = key("t0ken");
        let a = verify(&k, &issue(&k, "dana", 0), 0).unwrap();
        let b = verify(&k, &issue(&k, "dana", 0), 0).unwrap();
        assert!(a.csrf_ok(&k, &a.csrf(&k)));
        assert!(!a.csrf_ok(&k, &b.csrf(&k)));
        assert!(!a.csrf_ok(&k, ""));
    }

    #[test]
    fn basic_auth_takes_the_token_as_password() {
        let token = SecretString::from("t0ken");
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            basic(&h, &token)
        };
        // "dana:t0ken", "dana:wrong", ":t0ken"
        assert_eq!(with("Basic ZGFuYTp0MGtlbg==").map(|s| s.name), Some("dana".to_string()));
        assert_eq!(with("Basic ZGFuYTp3cm9uZw=="), None);
        assert_eq!(with("Basic OnQwa2Vu").map(|s| s.name), Some("web".to_string()));
        assert_eq!(with("Bearer t0ken"), None);
        assert_eq!(with("Basic !!!"), None);
    }

    #[test]
    fn base64_round_trips_every_length() {
        assert_eq!(base64_decode("").unwrap(), b"");
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert_eq!(base64_decode("YWI=").unwrap(), b"ab");
        assert_eq!(base64_decode("YWJj").unwrap(), b"abc");
        assert_eq!(base64_decode("YWJjZA").unwrap(), b"abcd");
        assert_eq!(base64_decode("Y"), None);
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; earshot_board=v.a.l.ue; b=2"));
        assert_eq!(cookie(&h), Some("v.a.l.ue"));
        assert!(set_cookie("x", false).contains("HttpOnly; SameSite=Strict"));
        assert!(set_cookie("x", true).ends_with("; Secure"));
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(responder_name("  Dana  ").unwrap(), "Dana");
        assert_eq!(responder_name("").unwrap(), "web");
        assert!(responder_name("<b>").is_err());
        assert!(responder_name(&"x".repeat(41)).is_err());
    }
}
