//! `cargo xtask proof`: the long forms of the safety proofs (issue 11) that the test command
//! runs short, and their figures in `bench-results/proof.json`. Each proof is an ordinary
//! test given bigger numbers through its environment; a test reports its figures on a line
//! `proof: {json}` of its error output. `--quick` runs the short forms, to check the
//! pipeline in minutes; the load run has no short form in the test command, so its quick form
//! here is 30 seconds.

use std::{
    fs::File,
    io::{BufRead, BufReader, Read, Write},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::Instant,
};

use crate::{
    Error, bench, desktop,
    steps::{self, Steps},
    test,
};

enum Runner {
    /// A Rust test, by package and nextest filter.
    Nextest {
        package: &'static str,
        filter: &'static str,
    },
    /// A Vitest file of the UI, as `shards` processes at once, each given its share of
    /// `ESTAFETTE_FUZZ_RUNS` and its own seed (a property test is one test, so Vitest alone
    /// would keep it on one core).
    Vitest { file: &'static str, shards: u32 },
    /// A benchmark (a measure of speed is never a timed test), by package and target.
    Bench {
        package: &'static str,
        target: &'static str,
    },
}

struct Proof {
    name: &'static str,
    runner: Runner,
    /// The environment of the long form.
    long: &'static [(&'static str, &'static str)],
    /// The environment of the short form: the test command's, unless said here.
    quick: &'static [(&'static str, &'static str)],
}

const PROOFS: &[Proof] = &[
    Proof {
        name: "sanitiser fuzzing",
        runner: Runner::Vitest {
            file: "src/lib/sanitize.fuzz.test.ts",
            shards: 2,
        },
        long: &[("ESTAFETTE_FUZZ_RUNS", "10000000")],
        quick: &[],
    },
    Proof {
        name: "hostile events through a real server",
        runner: Runner::Nextest {
            package: "estafette-core",
            filter: "binary(hostile_events)",
        },
        long: &[("ESTAFETTE_FUZZ_EVENTS", "3000")],
        quick: &[],
    },
    Proof {
        name: "ledger, server killed",
        runner: Runner::Nextest {
            package: "estafette-core",
            filter: "binary(ledger)",
        },
        long: &[("ESTAFETTE_LEDGER_SERVER_CRASHES", "20")],
        quick: &[],
    },
    Proof {
        name: "ledger, client killed",
        runner: Runner::Nextest {
            package: "estafette-cli",
            filter: "binary(ledger)",
        },
        long: &[("ESTAFETTE_LEDGER_CLIENT_KILLS", "10")],
        quick: &[],
    },
    Proof {
        name: "hostile content in the app",
        runner: Runner::Nextest {
            package: "estafette-e2e",
            filter: "binary(hostile)",
        },
        long: &[],
        quick: &[],
    },
    Proof {
        name: "no secret at rest or in logs",
        runner: Runner::Nextest {
            package: "estafette-e2e",
            filter: "binary(secrets_at_rest)",
        },
        long: &[],
        quick: &[],
    },
    Proof {
        name: "under load",
        runner: Runner::Bench {
            package: "estafette-e2e",
            target: "load",
        },
        long: &[("ESTAFETTE_LOAD_SECONDS", "300")],
        quick: &[("ESTAFETTE_LOAD_SECONDS", "30")],
    },
];

struct Outcome {
    name: &'static str,
    environment: Vec<(&'static str, &'static str)>,
    passed: bool,
    seconds: f64,
    figures: Vec<String>,
}

pub fn run(root: &Path, quick: bool) -> Result<(), Error> {
    let mut steps = Steps::new();
    let result = pipeline(&mut steps, root, quick);
    steps.finish("xtask proof", result)
}

fn pipeline(steps: &mut Steps, root: &Path, quick: bool) -> Result<(), Error> {
    test::install_prerequisites(steps, root)?;
    // The e2e proofs drive the debug app as the tests do; the load run, the optimised one.
    bench::build_optimised_app(steps, root)?;
    steps.run("app build", || desktop::build_app(root, "dev", &[]))?;
    let session = test::keyring_session(steps, root)?;
    let mut outcomes = Vec::new();
    for proof in PROOFS {
        let environment = if quick { proof.quick } else { proof.long }.to_vec();
        let mut commands = match proof.runner {
            Runner::Nextest { package, filter } => {
                let args: Vec<String> = [
                    "nextest",
                    "run",
                    "-p",
                    package,
                    "-E",
                    filter,
                    "--no-capture",
                    "--no-fail-fast",
                ]
                .iter()
                .map(|word| (*word).to_owned())
                .collect();
                vec![session.command(root, "cargo", &args)]
            }
            Runner::Bench { package, target } => {
                vec![session.command(root, "cargo", &bench::bench_args(package, target, &[]))]
            }
            Runner::Vitest { file, shards } => vitest_shards(root, file, shards, &environment),
        };
        for command in &mut commands {
            command.envs(environment.iter().copied());
        }
        let started = Instant::now();
        let log = log_path(root, proof.name);
        let result = steps.run(proof.name, || {
            run_collecting_figures(&mut commands, proof.name, &log)
        });
        if result.is_err() {
            eprintln!("{}'s whole output: {}", proof.name, log.display());
        }
        outcomes.push(Outcome {
            name: proof.name,
            environment,
            passed: result.is_ok(),
            seconds: started.elapsed().as_secs_f64(),
            figures: result.unwrap_or_default(),
        });
    }
    steps.run("bench-results/proof.json", || {
        write_report(root, quick, &outcomes)
    })?;
    steps.verdict()
}

/// The Vitest processes of a sharded property test. Each gets its share of the runs (the
/// environment's, else the test's own default of 10^5) and a seed of its own, drawn here and
/// printed by the test, so that a failure can be replayed alone.
fn vitest_shards(
    root: &Path,
    file: &str,
    shards: u32,
    environment: &[(&str, &str)],
) -> Vec<Command> {
    let total: u64 = environment
        .iter()
        .find(|(key, _)| *key == "ESTAFETTE_FUZZ_RUNS")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(100_000);
    let shards = shards.max(1);
    let first_seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |elapsed| elapsed.as_secs() % 1_000_000_000);
    (0..shards)
        .map(|shard| {
            let mut command = Command::new("npx");
            command
                .args(["vitest", "run", file])
                .current_dir(desktop::ui_dir(root))
                .env(
                    "ESTAFETTE_FUZZ_SEED",
                    (first_seed + u64::from(shard)).to_string(),
                );
            command.env(
                "ESTAFETTE_FUZZ_SHARE",
                (total / u64::from(shards)).to_string(),
            );
            command
        })
        .collect()
}

/// Where a proof's whole output is kept: a failing fuzz run's counterexample and seed are in
/// it, and a run of an hour is not repeated to read them again.
fn log_path(root: &Path, name: &str) -> PathBuf {
    let file: String = name
        .chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() {
                character
            } else {
                '-'
            }
        })
        .collect();
    root.join("target")
        .join("proof")
        .join(format!("{file}.log"))
}

/// Runs `commands` together, passing their output through and into `log`, and returns their
/// `proof: ` figures.
fn run_collecting_figures(
    commands: &mut [Command],
    what: &str,
    log: &Path,
) -> Result<Vec<String>, Error> {
    let log_error = |source| Error::Io {
        context: format!("writing {}", log.display()),
        source,
    };
    if let Some(folder) = log.parent() {
        std::fs::create_dir_all(folder).map_err(log_error)?;
    }
    let log = Arc::new(Mutex::new(File::create(log).map_err(log_error)?));
    let mut running = Vec::new();
    for command in commands.iter_mut() {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| Error::Spawn {
                program: steps::program_name(command),
                source,
            })?;
        let stdout = child.stdout.take().map(|stdout| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || pass_through(stdout, &log, false))
        });
        let stderr = child.stderr.take().map(|stderr| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || pass_through(stderr, &log, true))
        });
        running.push((child, stdout, stderr));
    }
    let mut figures = Vec::new();
    let mut outcome = Ok(());
    for (mut child, stdout, stderr) in running {
        for reader in [stdout, stderr].into_iter().flatten() {
            figures.extend(reader.join().unwrap_or_default());
        }
        let status = child.wait().map_err(|source| Error::Io {
            context: format!("waiting for {what}"),
            source,
        })?;
        if outcome.is_ok() {
            outcome = steps::check(status, what);
        }
    }
    outcome.map(|()| figures)
}

/// Passes a process's output through, line by line, into `log` too, and keeps its
/// `proof: {json}` lines.
fn pass_through(output: impl Read, log: &Mutex<File>, is_stderr: bool) -> Vec<String> {
    let mut figures = Vec::new();
    for line in BufReader::new(output).lines().map_while(Result::ok) {
        if is_stderr {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
        if let Ok(mut log) = log.lock() {
            // A full disk must not stop the proof; the terminal still has the line.
            let _ = writeln!(log, "{line}");
        }
        // Anywhere in the line: Vitest puts colour codes before it.
        if let Some(figure) = line.find("proof: ").map(|at| line[at + 7..].trim())
            && figure.starts_with('{')
            && figure.ends_with('}')
        {
            figures.push(figure.to_owned());
        }
    }
    figures
}

fn write_report(root: &Path, quick: bool, outcomes: &[Outcome]) -> Result<(), Error> {
    let commit = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default();
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let mut json = String::from("{\n");
    json += "  \"generated_by\": \"cargo xtask proof\",\n";
    json += &format!(
        "  \"form\": \"{}\",\n",
        if quick {
            "quick (the test command's short forms)"
        } else {
            "full"
        }
    );
    json += &format!("  \"commit\": {},\n", quoted(&commit));
    json += &format!("  \"date\": {},\n", quoted(&date));
    json += &format!("  \"cpus\": {cpus},\n");
    json += "  \"proofs\": [\n";
    for (index, outcome) in outcomes.iter().enumerate() {
        let environment: Vec<String> = outcome
            .environment
            .iter()
            .map(|(key, value)| format!("{}: {}", quoted(key), quoted(value)))
            .collect();
        json += &format!(
            "    {{\n      \"name\": {},\n      \"environment\": {{{}}},\n      \"passed\": {},\n      \"seconds\": {:.1},\n      \"figures\": [{}]\n    }}{}\n",
            quoted(outcome.name),
            environment.join(", "),
            outcome.passed,
            outcome.seconds,
            outcome.figures.join(", "),
            if index + 1 < outcomes.len() { "," } else { "" }
        );
    }
    json += "  ]\n}\n";
    let path = root.join("bench-results").join("proof.json");
    std::fs::File::create(&path)
        .and_then(|mut file| file.write_all(json.as_bytes()))
        .map_err(|source| Error::Io {
            context: format!("writing {}", path.display()),
            source,
        })?;
    println!("figures written to {}", path.display());
    Ok(())
}

/// A JSON string literal.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for character in text.chars() {
        match character {
            '"' => out += "\\\"",
            '\\' => out += "\\\\",
            '\n' => out += "\\n",
            control if (control as u32) < 0x20 => out += &format!("\\u{:04x}", control as u32),
            other => out.push(other),
        }
    }
    out + "\""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_as_json() {
        assert_eq!(quoted("a \"b\"\\\n\t"), "\"a \\\"b\\\"\\\\\\n\\u0009\"");
    }

    #[test]
    fn every_proof_has_a_distinct_name() {
        let mut names: Vec<_> = PROOFS.iter().map(|proof| proof.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), PROOFS.len());
    }
}
