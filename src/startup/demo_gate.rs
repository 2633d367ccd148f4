//! Whether demo mode can run in this build. A production build (`--no-default-features`) has
//! no stand-in for Filevine, and demo mode there would leave the app without an identity
//! provider, so start-up refuses it with a one-line error that names the fix.

use super::StartupError;

/// `Ok` when this build has the stand-in. Callers pass `cfg!(feature = "demo")`; taking the
/// flag as an argument lets the default build, the only one CI compiles, test both answers.
pub(super) fn available(built_with_demo: bool) -> Result<(), StartupError> {
    if built_with_demo {
        Ok(())
    } else {
        Err(StartupError::NoDemo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_with_the_stand_in_runs_the_demo() {
        assert!(available(true).is_ok());
    }

    #[test]
    fn a_build_without_the_stand_in_refuses_demo_mode_with_one_line_naming_the_fix() {
        let err = available(false).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let message = err.to_string();
        assert!(!message.contains('\n'), "{message}");
        for fix in [
            "`demo` feature",
            "FV_CLIENT_ID",
            "FV_CLIENT_SECRET",
            "FV_SECRET_KEY",
            "default features",
        ] {
            assert!(message.contains(fix), "{fix} missing from: {message}");
        }
    }
}
