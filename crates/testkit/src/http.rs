//! Plain HTTP to the test server: the client, URL building with proper path escaping, and
//! turning Matrix error bodies into [`TestkitError::Matrix`].

use std::time::Duration;

use reqwest::{RequestBuilder, Url};
use serde::de::DeserializeOwned;

use crate::TestkitError;

pub(crate) fn client() -> Result<reqwest::Client, TestkitError> {
    reqwest::Client::builder()
        // A proxy from the environment must never see loopback test traffic.
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|source| TestkitError::Http {
            what: "building the HTTP client".into(),
            source,
        })
}

/// `base` plus `segments`, each escaped as one path segment (room IDs contain `!` and `:`).
pub(crate) fn url(base: &str, segments: &[&str]) -> Result<Url, TestkitError> {
    let invalid = |detail: String| TestkitError::Protocol {
        what: format!("URL {base}"),
        detail,
    };
    let mut url = Url::parse(base).map_err(|error| invalid(error.to_string()))?;
    url.path_segments_mut()
        .map_err(|()| invalid("cannot have a path".into()))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// Sends `request` and decodes a successful JSON answer; a Matrix error becomes
/// [`TestkitError::Matrix`] with its `errcode`.
pub(crate) async fn json<T: DeserializeOwned>(
    request: RequestBuilder,
    what: &str,
) -> Result<T, TestkitError> {
    let http = |source| TestkitError::Http {
        what: what.to_owned(),
        source,
    };
    let response = request.send().await.map_err(http)?;
    let status = response.status();
    let body = response.text().await.map_err(http)?;
    if !status.is_success() {
        return Err(matrix_error(what, status.as_u16(), &body));
    }
    serde_json::from_str(&body).map_err(|error| TestkitError::Protocol {
        what: what.to_owned(),
        detail: format!("{error} in {}", excerpt(&body)),
    })
}

fn matrix_error(what: &str, status: u16, body: &str) -> TestkitError {
    #[derive(serde::Deserialize)]
    struct MatrixError {
        errcode: String,
        #[serde(default)]
        error: String,
    }
    match serde_json::from_str::<MatrixError>(body) {
        Ok(MatrixError { errcode, error }) => TestkitError::Matrix {
            what: what.to_owned(),
            status,
            errcode,
            message: error,
        },
        Err(_) => TestkitError::Protocol {
            what: what.to_owned(),
            detail: format!("HTTP {status}: {}", excerpt(body)),
        },
    }
}

fn excerpt(body: &str) -> String {
    const LIMIT: usize = 300;
    match body.char_indices().nth(LIMIT) {
        Some((end, _)) => format!("{}…", &body[..end]),
        None => body.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_escaped_one_by_one() {
        let url = url(
            "http://127.0.0.1:8008",
            &["_matrix", "client", "v3", "rooms", "!a/b:c"],
        )
        .expect("a URL");
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8008/_matrix/client/v3/rooms/!a%2Fb:c"
        );
    }

    #[test]
    fn matrix_errors_keep_their_code_and_others_their_body() {
        let error = matrix_error("x", 400, r#"{"errcode":"M_USER_IN_USE","error":"taken"}"#);
        assert_eq!(error.errcode(), Some("M_USER_IN_USE"));
        let error = matrix_error("x", 502, "Bad gateway");
        assert!(error.errcode().is_none());
        assert!(error.to_string().contains("HTTP 502: Bad gateway"));
    }

    #[test]
    fn long_bodies_are_shortened() {
        let body = "é".repeat(1000);
        assert_eq!(excerpt(&body).chars().count(), 301);
    }
}
