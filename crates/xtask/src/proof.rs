//! `cargo xtask proof`: the long forms of the safety proofs (issue 11) that the test command
//! runs short, and their figures in `bench-results/proof.json`. Each proof is an ordinary
//! test given bigger numbers through its environment; a test reports its figures on a line
//! `proof: {json}` of its error output. `--quick` runs the short forms, to check the
//! pipeline in minutes; the load run has no short form in the test command, so its quick form
//! here is 30 seconds.

use std::{
    io::{BufRead, BufReader, Write},
    path::Path,
    process::{Command, Stdio},
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
    /// A Vitest file of the UI.
    Vitest { file: &'static str },
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
    steps.run("app build", || desktop::build_app(root, "dev"))?;
    let session = test::keyring_session(steps, root)?;
    let mut outcomes = Vec::new();
    for proof in PROOFS {
        let environment = if quick { proof.quick } else { proof.long }.to_vec();
        let mut command = match proof.runner {
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
                session.command(root, "cargo", &args)
            }
            Runner::Bench { package, target } => {
                session.command(root, "cargo", &bench::bench_args(package, target, &[]))
            }
            Runner::Vitest { file } => {
                let mut command = Command::new("npx");
                command
                    .args(["vitest", "run", file])
                    .current_dir(desktop::ui_dir(root));
                command
            }
        };
        command.envs(environment.iter().copied());
        let started = Instant::now();
        let result = steps.run(proof.name, || {
            run_collecting_figures(&mut command, proof.name)
        });
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

/// Runs `command`, passing its error output through, and returns its `proof: ` figures.
fn run_collecting_figures(command: &mut Command, what: &str) -> Result<Vec<String>, Error> {
    let mut child = command
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Spawn {
            program: steps::program_name(command),
            source,
        })?;
    let mut figures = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("{line}");
            // Anywhere in the line: Vitest puts colour codes before it.
            if let Some(figure) = line.find("proof: ").map(|at| line[at + 7..].trim())
                && figure.starts_with('{')
                && figure.ends_with('}')
            {
                figures.push(figure.to_owned());
            }
        }
    }
    let status = child.wait().map_err(|source| Error::Io {
        context: format!("waiting for {what}"),
        source,
    })?;
    steps::check(status, what)?;
    Ok(figures)
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
