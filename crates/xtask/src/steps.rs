//! Named, timed steps with a closing summary, and the helpers that run external programs.
//!
//! Every subcommand reports through [`Steps`] so a developer (or a CI log) sees what ran, how
//! long it took and what failed, in the same shape everywhere.

use std::{
    io::Read,
    process::{Child, Command, ExitStatus, Output, Stdio},
    time::{Duration, Instant},
};

use crate::Error;

#[derive(Debug)]
enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
}

#[derive(Debug)]
struct Record {
    name: String,
    duration: Duration,
    outcome: Outcome,
}

/// The steps of one subcommand, in the order they ran.
#[derive(Debug)]
pub struct Steps {
    records: Vec<Record>,
    started: Instant,
}

impl Steps {
    pub fn new() -> Self {
        Self {
            records: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Runs `step`, announcing it and its duration; the error is recorded and returned.
    pub fn run<T>(
        &mut self,
        name: &str,
        step: impl FnOnce() -> Result<T, Error>,
    ) -> Result<T, Error> {
        println!("\n==> {name}");
        let started = Instant::now();
        let result = step();
        let duration = started.elapsed();
        let outcome = match &result {
            Ok(_) => {
                println!("<== {name}: ok ({})", seconds(duration));
                Outcome::Passed
            }
            Err(error) => {
                println!("<== {name}: FAILED ({}): {error}", seconds(duration));
                Outcome::Failed(error.to_string())
            }
        };
        self.records.push(Record {
            name: name.to_owned(),
            duration,
            outcome,
        });
        result
    }

    pub fn skip(&mut self, name: &str, reason: &str) {
        println!("\n--- {name}: skipped ({reason})");
        self.records.push(Record {
            name: name.to_owned(),
            duration: Duration::ZERO,
            outcome: Outcome::Skipped(reason.to_owned()),
        });
    }

    pub fn failed_names(&self) -> Vec<String> {
        self.records
            .iter()
            .filter(|record| matches!(record.outcome, Outcome::Failed(_)))
            .map(|record| record.name.clone())
            .collect()
    }

    pub fn print_summary(&self, title: &str) {
        let width = self
            .records
            .iter()
            .map(|record| record.name.len())
            .max()
            .unwrap_or(0);
        println!("\n==> {title} summary");
        for record in &self.records {
            let (status, detail) = match &record.outcome {
                Outcome::Passed => ("ok", String::new()),
                Outcome::Failed(error) => ("FAILED", format!("  {}", first_line(error))),
                Outcome::Skipped(reason) => ("skipped", format!("  {reason}")),
            };
            println!(
                "    {:<width$}  {:>8}  {status}{detail}",
                record.name,
                seconds(record.duration)
            );
        }
        let failed = self.failed_names();
        let verdict = if failed.is_empty() {
            "all steps passed"
        } else {
            "some steps FAILED"
        };
        println!("    {verdict} in {}", seconds(self.started.elapsed()));
    }

    /// Prints the summary under `title` and gives the command's outcome: `result` (what the
    /// pipeline returned) when it failed outside any step, else the steps' verdict.
    pub fn finish(&self, title: &str, result: Result<(), Error>) -> Result<(), Error> {
        self.print_summary(title);
        match result {
            // An error outside any step has not been shown yet.
            Err(error) if self.failed_names().is_empty() => Err(error),
            // Each failure was printed by its step and in the summary.
            _ => self.verdict(),
        }
    }

    /// Ok when no step failed; otherwise an error naming the failed steps.
    pub fn verdict(&self) -> Result<(), Error> {
        let failed = self.failed_names();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(Error::StepsFailed(failed))
        }
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

pub fn program_name(command: &Command) -> String {
    command.get_program().to_string_lossy().into_owned()
}

/// Runs `command` with inherited standard streams; failure when it exits non-zero.
pub fn status(command: &mut Command, what: &str) -> Result<(), Error> {
    let status = command.status().map_err(|source| Error::Spawn {
        program: program_name(command),
        source,
    })?;
    check(status, what)
}

pub fn check(status: ExitStatus, what: &str) -> Result<(), Error> {
    if status.success() {
        Ok(())
    } else {
        Err(Error::Failed {
            what: what.to_owned(),
            code: status.code(),
        })
    }
}

/// Whether `command` starts and exits successfully, without showing its output.
pub fn succeeds(command: &mut Command) -> bool {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Runs `command` capturing its output; a command still running after `timeout` is killed.
/// Only for commands with little output: the pipes are read once the command has ended.
pub fn output_within(command: &mut Command, timeout: Duration) -> Result<Output, Error> {
    let program = program_name(command);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Spawn {
            program: program.clone(),
            source,
        })?;
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                kill(&mut child);
                return Err(Error::Missing(format!(
                    "`{program}` did not finish within {} s and was stopped",
                    timeout.as_secs()
                )));
            }
            Err(source) => {
                kill(&mut child);
                return Err(Error::Io {
                    context: format!("waiting for `{program}`"),
                    source,
                });
            }
        }
    };
    Ok(Output {
        status,
        stdout: drain(child.stdout.take()),
        stderr: drain(child.stderr.take()),
    })
}

fn kill(child: &mut Child) {
    // Already gone is fine; there is nothing else to do about a failure here.
    let _ = child.kill();
    let _ = child.wait();
}

fn drain(pipe: Option<impl Read>) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Some(mut pipe) = pipe {
        // A read error leaves what was read so far, which is all a diagnostic needs.
        let _ = pipe.read_to_end(&mut bytes);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_steps_are_named_in_the_verdict() {
        let mut steps = Steps::new();
        assert!(steps.run("fine", || Ok(())).is_ok());
        steps.skip("lint", "--no-lint");
        let failure: Result<(), Error> = steps.run("broken", || Err(Error::Missing("nope".into())));
        assert!(failure.is_err());
        assert_eq!(steps.failed_names(), vec!["broken".to_owned()]);
        assert!(matches!(steps.verdict(), Err(Error::StepsFailed(names)) if names == ["broken"]));
    }

    #[test]
    fn a_slow_command_is_stopped_at_its_timeout() {
        let started = Instant::now();
        let result = output_within(Command::new("sleep").arg("30"), Duration::from_millis(300));
        assert!(result.is_err());
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn output_is_captured() {
        let output = output_within(Command::new("echo").arg("hello"), Duration::from_secs(10))
            .expect("echo runs");
        assert!(output.status.success());
        assert_eq!(output.stdout, b"hello\n");
    }

    #[test]
    fn a_missing_program_is_reported_by_name() {
        let error = status(&mut Command::new("estafette-no-such-program"), "nothing")
            .err()
            .map(|error| error.to_string());
        assert!(error.is_some_and(|message| message.contains("estafette-no-such-program")));
    }
}
