//! Printing results and failures, as text or as one JSON object per line.

use std::process::ExitCode;

use estafette_core::ErrorCode;
use serde::Serialize;
use serde_json::json;

/// A reason to exit with a non-zero code.
#[derive(Debug)]
pub struct Failure {
    pub code: String,
    pub message: String,
    pub exit_code: u8,
}

impl Failure {
    pub fn other(code: &str, message: impl std::fmt::Display) -> Self {
        Self {
            code: code.to_owned(),
            message: message.to_string(),
            exit_code: 1,
        }
    }

    pub fn with_exit_code(mut self, exit_code: u8) -> Self {
        self.exit_code = exit_code;
        self
    }
}

impl From<estafette_core::Error> for Failure {
    fn from(error: estafette_core::Error) -> Self {
        Self {
            code: error.code().as_str().to_owned(),
            message: error.to_string(),
            exit_code: 1,
        }
    }
}

macro_rules! failure_from_domain_error {
    ($($error:ty),*) => {$(
        impl From<$error> for Failure {
            fn from(error: $error) -> Self {
                estafette_core::Error::from(error).into()
            }
        }
    )*};
}
failure_from_domain_error!(
    estafette_core::secrets::SecretsError,
    estafette_core::rooms::RoomError,
    estafette_core::timeline::TimelineError,
    estafette_core::media::MediaError,
    estafette_core::auth::AuthError
);

#[derive(Debug)]
pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    /// Prints one record: its JSON form, or the given text.
    pub fn record(&self, value: &impl Serialize, text: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string(value) {
                Ok(line) => println!("{line}"),
                Err(error) => eprintln!("error: could not encode the output: {error}"),
            }
        } else {
            println!("{}", text());
        }
    }

    pub fn fail(&self, failure: &Failure) -> ExitCode {
        if self.json {
            eprintln!(
                "{}",
                json!({ "error": { "code": failure.code, "message": failure.message } })
            );
        } else {
            eprintln!("error: {} [{}]", failure.message, failure.code);
        }
        ExitCode::from(failure.exit_code)
    }
}
