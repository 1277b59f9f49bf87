//! Waiting for an asynchronous world (a server, a second client, a UI) to reach a state.

use std::time::Duration;

/// Polls `probe` every 100 ms until it returns `Some`; panics with `what` after `patience`.
/// For tests: a state that never comes is a failure worth a clear message, and so is a probe
/// that never returns (it is cut off at the deadline too).
pub async fn eventually<T, F, Fut>(what: &str, patience: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + patience;
    let mut checked = false;
    loop {
        match tokio::time::timeout_at(deadline, probe()).await {
            Ok(Some(value)) => return value,
            Ok(None) => checked = true,
            // The deadline fell during a check: a hung check only when none ever answered.
            Err(_) if checked => panic!("timed out after {patience:?} waiting for {what}"),
            Err(_) => panic!(
                "timed out after {patience:?} waiting for {what} (the check itself never returned)"
            ),
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {patience:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
