//! `cargo xtask test`: set the machine up, lint, then run every test of the workspace inside
//! the keyring session (see `env`). What CI runs, so it must work on a fresh machine.

use std::{path::Path, process::Command};

use crate::{
    Error, deps, desktop,
    env::{self, KeyringSession},
    run,
    steps::{self, Steps, succeeds},
};

pub fn run(root: &Path, lint: bool, passthrough: &[String]) -> Result<(), Error> {
    let mut steps = Steps::new();
    let result = pipeline(&mut steps, root, lint, passthrough);
    steps.finish("xtask test", result)
}

fn pipeline(
    steps: &mut Steps,
    root: &Path,
    lint: bool,
    passthrough: &[String],
) -> Result<(), Error> {
    install_prerequisites(steps, root)?;
    steps.run("tauri-driver", desktop::ensure_tauri_driver)?;
    steps.run("ui packages", || desktop::install_ui_packages(root))?;
    // The app embeds `ui/dist` at compile time: clippy and the tests need it built.
    steps.run("ui build", || desktop::build_ui(root))?;
    if lint {
        // Lint failures do not stop the run: the tests' verdict is worth having as well.
        let _ = steps.run("rustfmt", || {
            cargo_status(
                root,
                &["fmt", "--all", "--", "--check"],
                "cargo fmt --check",
            )
        });
        let _ = steps.run("clippy", || {
            let args = [
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ];
            cargo_status(root, &args, "cargo clippy")
        });
        let _ = steps.run("ui type check", || desktop::check_ui(root));
    } else {
        steps.skip("rustfmt", "--no-lint");
        steps.skip("clippy", "--no-lint");
        steps.skip("ui type check", "--no-lint");
    }
    let _ = steps.run("ui unit tests", || desktop::test_ui(root));
    // The end-to-end tests launch these binaries.
    steps.run("app build", || desktop::build_app(root, "dev", &[]))?;
    steps.run("demo build", || desktop::build_demo(root))?;
    let session = keyring_session(steps, root)?;
    let runner = Runner::detect();
    steps.run(runner.name(), || {
        let mut command = session.command(root, "cargo", &runner.test_args(passthrough));
        steps::status(&mut command, "the tests")
    })?;
    let selects_packages = doc_test_args(passthrough).len() > 3;
    if runner == Runner::Nextest && !selects_packages {
        // nextest does not run doc tests. A run narrowed to some packages (possibly binaries
        // without a library, where `--doc` is an error) leaves them to the full run.
        steps.run("doc tests", || {
            let mut command = session.command(root, "cargo", &doc_test_args(passthrough));
            steps::status(&mut command, "the doc tests")
        })?;
    }
    Ok(())
}

/// System packages, then Synapse, so that no test has to install anything itself.
pub fn install_prerequisites(steps: &mut Steps, root: &Path) -> Result<(), Error> {
    let packages = deps::required(root);
    steps.run("system packages", || deps::ensure(&packages))?;
    steps.run("synapse virtualenv", || {
        let cache = env::cache_dir_outside()?;
        println!("cache: {}", cache.display());
        let mut command = run::demo_server_command(root, &["--install-only".to_owned()]);
        command.env("ESTAFETTE_CACHE_DIR", cache);
        steps::status(&mut command, "installing Synapse")
    })
}

/// A fresh keyring session, checked to answer before anything relies on it.
pub fn keyring_session(steps: &mut Steps, root: &Path) -> Result<KeyringSession, Error> {
    steps.run("secret service", || {
        let session = KeyringSession::create()?;
        session.probe(root)?;
        println!(
            "Synapse cache inside the session: {}",
            session.cache_dir().display()
        );
        Ok(session)
    })
}

fn cargo_status(root: &Path, args: &[&str], what: &str) -> Result<(), Error> {
    steps::status(Command::new("cargo").args(args).current_dir(root), what)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Runner {
    Nextest,
    CargoTest,
}

impl Runner {
    fn detect() -> Self {
        if succeeds(Command::new("cargo").args(["nextest", "--version"])) {
            Self::Nextest
        } else {
            Self::CargoTest
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Nextest => "tests (nextest)",
            Self::CargoTest => "tests (cargo test)",
        }
    }

    fn test_args(self, passthrough: &[String]) -> Vec<String> {
        let mut args: Vec<String> = match self {
            Self::Nextest => vec!["nextest".into(), "run".into()],
            Self::CargoTest => vec!["test".into()],
        };
        if !selects_packages(passthrough) {
            args.push("--workspace".into());
        }
        args.extend_from_slice(passthrough);
        args
    }
}

/// `cargo test --doc` for the same packages; other runner flags may not apply to it.
fn doc_test_args(passthrough: &[String]) -> Vec<String> {
    let mut args = vec!["test".to_owned(), "--doc".to_owned()];
    if !selects_packages(passthrough) {
        args.push("--workspace".into());
    }
    args.extend(package_args(passthrough));
    args
}

/// Cargo's own arguments: those before a `--` that hands the rest to the test binaries.
fn cargo_part(args: &[String]) -> &[String] {
    let end = args
        .iter()
        .position(|arg| arg == "--")
        .unwrap_or(args.len());
    &args[..end]
}

/// Whether the caller chose packages (then `--workspace` must not widen the selection).
fn selects_packages(args: &[String]) -> bool {
    cargo_part(args).iter().any(|arg| {
        arg == "--workspace"
            || arg == "--all"
            || arg == "--package"
            || arg.starts_with("--package=")
            || arg.starts_with("-p")
    })
}

/// The package-selection arguments among `args`, with their values.
fn package_args(args: &[String]) -> Vec<String> {
    let mut selected = Vec::new();
    let mut words = cargo_part(args).iter();
    while let Some(arg) = words.next() {
        match arg.as_str() {
            "-p" | "--package" | "--exclude" => {
                selected.push(arg.clone());
                selected.extend(words.next().cloned());
            }
            "--workspace" | "--all" => selected.push(arg.clone()),
            other
                if other.starts_with("--package=")
                    || other.starts_with("--exclude=")
                    || (other.starts_with("-p") && other.len() > 2) =>
            {
                selected.push(arg.clone());
            }
            _ => {}
        }
    }
    selected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn the_whole_workspace_is_tested_unless_packages_are_chosen() {
        assert_eq!(
            Runner::Nextest.test_args(&[]),
            words("nextest run --workspace")
        );
        assert_eq!(
            Runner::CargoTest.test_args(&words("-p estafette-testkit")),
            words("test -p estafette-testkit")
        );
        assert_eq!(
            Runner::Nextest.test_args(&words("--exclude estafette-cli")),
            words("nextest run --workspace --exclude estafette-cli")
        );
    }

    #[test]
    fn doc_tests_keep_only_the_package_selection() {
        let passthrough = words("-p estafette-core --no-capture some_test -- --exact -p x");
        assert_eq!(
            doc_test_args(&passthrough),
            words("test --doc -p estafette-core")
        );
        assert_eq!(
            doc_test_args(&words("--no-capture")),
            words("test --doc --workspace")
        );
        assert_eq!(
            doc_test_args(&words("--package=a -pb --exclude c")),
            words("test --doc --package=a -pb --exclude c")
        );
    }
}
