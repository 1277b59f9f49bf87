//! `cargo xtask run|test|bench`: the one entry point developers and CI use to set up the
//! machine, lint, and run tests and benchmarks against a real Synapse and Secret Service.
//!
//! This file owns argument parsing and dispatch only; each subcommand lives in its module.
//! Standard library only, so that the task runner builds in seconds on a clean clone.

mod bench;
mod deps;
mod desktop;
mod env;
mod proof;
mod run;
mod steps;
mod test;

use std::{
    ffi::OsString,
    fmt,
    path::{Path, PathBuf},
    process::ExitCode,
};

const USAGE: &str = "\
Usage: cargo xtask <command> [options] [-- <args>]

Commands:
  test [--no-lint] [-- <test runner args>]
        Install missing system packages and Synapse, check formatting and clippy, then run
        every test inside a throw-away D-Bus session with an unlocked gnome-keyring.
        --no-lint skips rustfmt and clippy.
  run [-- <demo args>]
        Build the UI and the app and launch it. Without ESTAFETTE_HOMESERVER, first start
        the demo homeserver (alice, bob, charlie; password estafette-demo), shown on the
        sign-in screen and stopped when the app exits.
  bench <name> [-- <cargo bench args>]
        Run a benchmark in the same environment as the tests. Benchmarks: core, media, app, load, call.
  proof [--quick]
        Run the long forms of the safety proofs (fuzzing 10^7 cases, 20 server crashes and
        10 client kills under the ledger, hostile content and secrets in the real app) and
        write their figures to bench-results/proof.json. --quick runs the short forms.
  bindings
        Regenerate ui/src/lib/bindings.ts from the app's Rust commands and types.
  help  Show this text.
";

/// Everything that stops a subcommand, with enough context to act on it.
#[derive(Debug)]
pub enum Error {
    /// The command line did not make sense.
    Usage(String),
    /// A program could not be started at all (usually: not installed).
    Spawn {
        program: String,
        source: std::io::Error,
    },
    /// A program ran and reported failure.
    Failed { what: String, code: Option<i32> },
    /// The machine lacks something xtask cannot install by itself.
    Missing(String),
    /// A file-system operation failed.
    Io {
        context: String,
        source: std::io::Error,
    },
    /// One or more steps failed; each was reported as it happened.
    StepsFailed(Vec<String>),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(message) => write!(f, "{message}\n\n{USAGE}"),
            Self::Spawn { program, source } => write!(f, "could not start `{program}`: {source}"),
            Self::Failed {
                what,
                code: Some(code),
            } => write!(f, "{what} failed (exit code {code})"),
            Self::Failed { what, code: None } => write!(f, "{what} was killed by a signal"),
            Self::Missing(message) => f.write_str(message),
            Self::Io { context, source } => write!(f, "{context}: {source}"),
            Self::StepsFailed(names) => write!(f, "failed: {}", names.join(", ")),
        }
    }
}

impl std::error::Error for Error {}

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
enum Task {
    Test {
        lint: bool,
        passthrough: Vec<String>,
    },
    Run {
        passthrough: Vec<String>,
    },
    Bench {
        name: String,
        passthrough: Vec<String>,
    },
    Proof {
        quick: bool,
    },
    Bindings,
    Help,
}

fn parse(args: Vec<String>) -> Result<Task, Error> {
    let (own, passthrough) = match args.iter().position(|arg| arg == "--") {
        Some(at) => (args[..at].to_vec(), args[at + 1..].to_vec()),
        None => (args, Vec::new()),
    };
    let mut own = own.into_iter();
    let command = own.next();
    let rest: Vec<String> = own.collect();
    let unexpected = |rest: &[String]| match rest.first() {
        Some(arg) => Err(Error::Usage(format!(
            "unexpected argument `{arg}` (arguments for the underlying tool go after `--`)"
        ))),
        None => Ok(()),
    };
    match command.as_deref() {
        None | Some("help" | "--help" | "-h") => Ok(Task::Help),
        Some("test") => {
            let mut lint = true;
            let mut others = Vec::new();
            for arg in rest {
                if arg == "--no-lint" {
                    lint = false;
                } else {
                    others.push(arg);
                }
            }
            unexpected(&others)?;
            Ok(Task::Test { lint, passthrough })
        }
        Some("proof") => {
            let quick = rest.iter().any(|arg| arg == "--quick");
            let others: Vec<String> = rest.into_iter().filter(|arg| arg != "--quick").collect();
            unexpected(&others)?;
            unexpected(&passthrough)?;
            Ok(Task::Proof { quick })
        }
        Some("bindings") => {
            unexpected(&rest)?;
            Ok(Task::Bindings)
        }
        Some("run") => {
            unexpected(&rest)?;
            Ok(Task::Run { passthrough })
        }
        Some("bench") => {
            let Some((name, others)) = rest.split_first() else {
                return Err(Error::Usage(format!(
                    "`bench` needs a benchmark name: {}",
                    bench::NAMES.join(", ")
                )));
            };
            unexpected(others)?;
            Ok(Task::Bench {
                name: name.clone(),
                passthrough,
            })
        }
        Some(other) => Err(Error::Usage(format!("unknown command `{other}`"))),
    }
}

/// The workspace root: xtask always works from there, wherever it was started.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .map_or_else(|| manifest_dir.to_path_buf(), Path::to_path_buf)
}

fn main() -> ExitCode {
    let args: Result<Vec<String>, OsString> = std::env::args_os()
        .skip(1)
        .map(OsString::into_string)
        .collect();
    let task = match args {
        Ok(args) => parse(args),
        Err(arg) => Err(Error::Usage(format!("argument {arg:?} is not valid UTF-8"))),
    };
    let root = workspace_root();
    let result = task.and_then(|task| match task {
        Task::Help => {
            print!("{USAGE}");
            Ok(())
        }
        Task::Test { lint, passthrough } => test::run(&root, lint, &passthrough),
        Task::Run { passthrough } => run::run(&root, &passthrough),
        Task::Proof { quick } => proof::run(&root, quick),
        Task::Bindings => desktop::write_bindings(&root),
        Task::Bench { name, passthrough } => bench::run(&root, &name, &passthrough),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn test_takes_no_lint_and_passes_the_rest_through() {
        let task = parse(args("test --no-lint -- -p estafette-testkit --no-capture"));
        assert_eq!(
            task.ok(),
            Some(Task::Test {
                lint: false,
                passthrough: args("-p estafette-testkit --no-capture")
            })
        );
    }

    #[test]
    fn a_runner_flag_before_the_separator_is_refused_with_a_hint() {
        let error = parse(args("test -p core"))
            .err()
            .map(|error| error.to_string());
        assert!(error.is_some_and(|message| message.contains("after `--`")));
    }

    #[test]
    fn bench_needs_a_name() {
        assert!(matches!(parse(args("bench")), Err(Error::Usage(_))));
        assert_eq!(
            parse(args("bench core")).ok(),
            Some(Task::Bench {
                name: "core".into(),
                passthrough: vec![]
            })
        );
    }

    #[test]
    fn no_command_means_help_and_unknown_ones_are_refused() {
        assert_eq!(parse(vec![]).ok(), Some(Task::Help));
        assert!(matches!(parse(args("deploy")), Err(Error::Usage(_))));
    }

    #[test]
    fn the_workspace_root_holds_the_workspace_manifest() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(workspace_root().join("crates").is_dir());
    }
}
