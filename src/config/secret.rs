//! Secrets in config: a key may be given inline (`url = "..."`), by
//! environment variable name (`url_env = "VAR"`) or by file
//! (`url_file = "/run/credentials/earshot/slack"`). Resolution happens once,
//! at load, and the value is held in a [`SecretString`] whose `Debug`
//! prints `[REDACTED]`, so it cannot reach logs, errors or Debug output.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

/// A secret written inline in the config file, as deserialized: its
/// `Debug` prints `[REDACTED]`, so a config struct holding one can derive
/// `Debug` safely.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct InlineSecret(String);

impl InlineSecret {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for InlineSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// The three ways to give one secret, as read from a config table.
#[derive(Debug, Default, Deserialize)]
pub struct SecretSpec {
    pub inline: Option<String>,
    pub env: Option<String>,
    pub file: Option<PathBuf>,
}

/// Why a secret could not be resolved; `key` is the spelling the admin
/// used (`url_env`, `url_file`, `url`).
#[derive(Debug)]
pub struct SecretError {
    pub key: String,
    pub reason: String,
}

impl SecretSpec {
    pub fn is_given(&self) -> bool {
        self.inline.is_some() || self.env.is_some() || self.file.is_some()
    }

    /// Resolves the secret named `base` (e.g. "url"). Exactly one of the
    /// three forms may be given. `lookup_env` is injected so tests and
    /// reloads read the same snapshot of the environment.
    pub fn resolve(
        &self,
        base: &str,
        lookup_env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<SecretString>, SecretError> {
        let given = [self.inline.is_some(), self.env.is_some(), self.file.is_some()].iter().filter(|g| **g).count();
        if given > 1 {
            return Err(SecretError {
                key: base.to_string(),
                reason: format!("give only one of `{base}`, `{base}_env` and `{base}_file`"),
            });
        }
        if let Some(v) = &self.inline {
            return Ok(Some(SecretString::from(v.clone())));
        }
        if let Some(var) = &self.env {
            return match lookup_env(var) {
                Some(v) if !v.trim().is_empty() => Ok(Some(SecretString::from(v.trim().to_string()))),
                Some(_) => Err(SecretError {
                    key: format!("{base}_env"),
                    reason: format!("environment variable {var} is empty"),
                }),
                None => Err(SecretError {
                    key: format!("{base}_env"),
                    reason: format!("environment variable {var} is not set"),
                }),
            };
        }
        if let Some(path) = &self.file {
            let path = expand_credentials_dir(path, lookup_env);
            return match std::fs::read_to_string(&path) {
                Ok(v) if !v.trim().is_empty() => Ok(Some(SecretString::from(v.trim().to_string()))),
                Ok(_) => Err(SecretError {
                    key: format!("{base}_file"),
                    reason: format!("file {} is empty", path.display()),
                }),
                Err(e) => Err(SecretError {
                    key: format!("{base}_file"),
                    reason: format!("cannot read {}: {e}", path.display()),
                }),
            };
        }
        Ok(None)
    }
}

/// A relative `*_file` path is read from systemd's `$CREDENTIALS_DIRECTORY`
/// when that is set (`LoadCredential=`), else relative to the working dir.
fn expand_credentials_dir(path: &std::path::Path, lookup_env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if path.is_relative() {
        if let Some(dir) = lookup_env("CREDENTIALS_DIRECTORY") {
            return PathBuf::from(dir).join(path);
        }
    }
    path.to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn inline_env_and_file_resolve() {
        let spec = SecretSpec { inline: Some("s3cret".into()), ..Default::default() };
        assert_eq!(spec.resolve("url", &no_env).unwrap().unwrap().expose_secret(), "s3cret");

        let spec = SecretSpec { env: Some("HOOK".into()), ..Default::default() };
        let env = |k: &str| (k == "HOOK").then(|| "https://hooks.example/x".to_string());
        assert_eq!(spec.resolve("url", &env).unwrap().unwrap().expose_secret(), "https://hooks.example/x");

        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("hook");
        std::fs::write(&p, "from-file\n").unwrap();
        let spec = SecretSpec { file: Some(p), ..Default::default() };
        assert_eq!(spec.resolve("url", &no_env).unwrap().unwrap().expose_secret(), "from-file");
    }

    #[test]
    fn missing_env_var_names_the_key_and_variable() {
        let spec = SecretSpec { env: Some("NOPE_NOT_SET".into()), ..Default::default() };
        let err = spec.resolve("url", &no_env).unwrap_err();
        assert_eq!(err.key, "url_env");
        assert!(err.reason.contains("NOPE_NOT_SET"), "{}", err.reason);
    }

    #[test]
    fn two_forms_at_once_are_refused() {
        let spec = SecretSpec { inline: Some("a".into()), env: Some("B".into()), file: None };
        assert!(spec.resolve("token", &no_env).is_err());
    }

    #[test]
    fn debug_never_shows_the_value() {
        let spec = SecretSpec { inline: Some("hunter2".into()), ..Default::default() };
        let secret = spec.resolve("url", &no_env).unwrap().unwrap();
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
