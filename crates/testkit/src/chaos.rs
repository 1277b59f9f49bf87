//! Random but replayable timings for fault runs: when to kill a server or a client. Each run
//! prints its seed; `ESTAFETTE_CHAOS_SEED` replays a failing run's schedule.

use std::time::Duration;

use rand::{Rng, SeedableRng, rngs::StdRng};

pub const SEED_VARIABLE: &str = "ESTAFETTE_CHAOS_SEED";

#[derive(Debug)]
pub struct Chaos {
    rng: StdRng,
}

impl Chaos {
    /// Seeded from `ESTAFETTE_CHAOS_SEED` when set, else at random; says which on stderr.
    pub fn from_env(what: &str) -> Self {
        let seed = std::env::var(SEED_VARIABLE)
            .ok()
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| rand::rng().random());
        eprintln!("{what}: chaos seed {seed} ({SEED_VARIABLE}={seed} replays this schedule)");
        Self {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// A duration drawn evenly from `low..=high`.
    pub fn between(&mut self, low: Duration, high: Duration) -> Duration {
        let (low, high) = (
            low.as_millis() as u64,
            high.as_millis().max(low.as_millis()) as u64,
        );
        Duration::from_millis(self.rng.random_range(low..=high))
    }
}

/// How many cycles a fault run makes: `variable` when it holds a number, else `short`, the
/// test command's short form.
pub fn cycles(variable: &str, short: usize) -> usize {
    std::env::var(variable)
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(short)
}
