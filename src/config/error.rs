//! The error type of configuration: one line per problem, naming the variable and the fix.

use std::fmt;

/// One configuration problem: the variable to change, what is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The canonical variable name (`FV_CLIENT_SECRET`), or `config.json`, `--config`,
    /// `--env-file` for problems with the files themselves.
    pub key: &'static str,
    /// What is wrong, quoting the value unless it is a secret.
    pub problem: String,
    /// What to do about it.
    pub fix: String,
}

impl ConfigError {
    pub(super) fn new(
        key: &'static str,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            key,
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} — {}", self.key, self.problem, self.fix)
    }
}

/// Every problem found, in the order the settings are listed; displays one line per problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}
