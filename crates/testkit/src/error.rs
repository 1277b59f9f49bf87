//! The one error type of the kit. Messages carry what a developer needs to act on a failure
//! without opening files: the failing step, and the end of Synapse's or the installer's output.

use std::path::PathBuf;

use crate::install::SYNAPSE_VERSION;

/// Everything that can go wrong while installing, running or using the test homeserver.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestkitError {
    #[error("no cache directory on this system: set ESTAFETTE_CACHE_DIR")]
    NoCacheDir,

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "installing Synapse {SYNAPSE_VERSION} failed at `{step}` (full log: {}):\n{tail}",
        log.display()
    )]
    Install {
        step: String,
        log: PathBuf,
        tail: String,
    },

    #[error("{} does not hold a homeserver made by estafette-testkit", .0.display())]
    NotAKitServer(PathBuf),

    #[error(
        "{} already holds a homeserver: use Homeserver::start_existing, or an empty directory",
        .0.display()
    )]
    AlreadyInitialised(PathBuf),

    #[error("Synapse exited during start-up ({status}); end of its output:\n{tail}")]
    ExitedEarly { status: String, tail: String },

    #[error("Synapse did not answer within {seconds} s; end of its output:\n{tail}")]
    StartTimeout { seconds: u64, tail: String },

    #[error("the homeserver is not running")]
    NotRunning,

    #[error("{what}: {source}")]
    Http {
        what: String,
        #[source]
        source: reqwest::Error,
    },

    /// The server answered with a Matrix error (`errcode` such as `M_USER_IN_USE`).
    #[error("{what}: HTTP {status} {errcode}: {message}")]
    Matrix {
        what: String,
        status: u16,
        errcode: String,
        message: String,
    },

    #[error("{what}: unexpected response: {detail}")]
    Protocol { what: String, detail: String },

    #[error("a background task of the kit failed: {0}")]
    Task(String),

    #[error("the sound server: {0}")]
    Sound(String),
}

impl TestkitError {
    /// The Matrix error code, when the server refused a request.
    pub fn errcode(&self) -> Option<&str> {
        match self {
            Self::Matrix { errcode, .. } => Some(errcode),
            _ => None,
        }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_error_code_is_exposed_for_branching() {
        let error = TestkitError::Matrix {
            what: "registering alice".into(),
            status: 400,
            errcode: "M_USER_IN_USE".into(),
            message: "User ID already taken.".into(),
        };
        assert_eq!(error.errcode(), Some("M_USER_IN_USE"));
        assert!(
            error
                .to_string()
                .contains("registering alice: HTTP 400 M_USER_IN_USE")
        );
        assert_eq!(TestkitError::NotRunning.errcode(), None);
    }
}
