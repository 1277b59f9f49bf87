//! `cargo xtask bench <name>`: a benchmark in the same keyring session and with the same
//! prerequisites as the tests, since benchmarks drive the same core against a real Synapse.

use std::path::Path;

use crate::{
    Error, desktop,
    steps::{self, Steps},
    test,
};

/// The benchmarks xtask knows: name, package, bench target.
const BENCHES: &[(&str, &str, &str)] = &[
    ("core", "estafette-core", "core"),
    ("media", "estafette-core", "media"),
    ("app", "estafette-e2e", "app"),
    ("load", "estafette-e2e", "load"),
    ("call", "estafette-calls", "call"),
    ("call-page", "estafette-e2e", "call_page"),
];

pub const NAMES: &[&str] = &["core", "media", "app", "load", "call", "call-page"];

pub fn run(root: &Path, name: &str, passthrough: &[String]) -> Result<(), Error> {
    let Some(&(_, package, target)) = BENCHES.iter().find(|(known, _, _)| *known == name) else {
        return Err(Error::Usage(format!(
            "unknown benchmark `{name}`; known: {}",
            NAMES.join(", ")
        )));
    };
    let mut steps = Steps::new();
    let result = pipeline(&mut steps, root, package, target, passthrough);
    steps.finish("xtask bench", result)
}

fn pipeline(
    steps: &mut Steps,
    root: &Path,
    package: &str,
    target: &str,
    passthrough: &[String],
) -> Result<(), Error> {
    test::install_prerequisites(steps, root)?;
    if package == "estafette-e2e" {
        build_optimised_app(steps, root)?;
    }
    let session = test::keyring_session(steps, root)?;
    steps.run(&format!("bench {target}"), || {
        let mut command = session.command(root, "cargo", &bench_args(package, target, passthrough));
        steps::status(&mut command, "the benchmark")
    })
}

/// The app (and its floor, an empty window) optimised as people get it, with the UI embedded,
/// and tauri-driver to drive it. Its calls may use test sources (`call-test-sources`): the
/// machines have no camera.
pub fn build_optimised_app(steps: &mut Steps, root: &Path) -> Result<(), Error> {
    steps.run("tauri-driver", desktop::ensure_tauri_driver)?;
    steps.run("ui packages", || desktop::install_ui_packages(root))?;
    steps.run("ui build", || desktop::build_ui(root))?;
    steps.run("app build (bench-fast)", || {
        desktop::build_app(root, "bench-fast", &["call-test-sources"])
    })
}

/// The `bench-fast` profile: optimised like release, without the slow whole-program build.
pub fn bench_args(package: &str, target: &str, passthrough: &[String]) -> Vec<String> {
    let mut args: Vec<String> = [
        "bench",
        "--profile",
        "bench-fast",
        "-p",
        package,
        "--bench",
        target,
    ]
    .iter()
    .map(|word| (*word).to_owned())
    .collect();
    args.extend_from_slice(passthrough);
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_bench_is_known() {
        for name in NAMES {
            assert!(BENCHES.iter().any(|(known, _, _)| known == name));
        }
    }

    #[test]
    fn the_core_bench_runs_in_its_package_with_extra_args() {
        let args = bench_args("estafette-core", "core", &["--".into(), "--quick".into()]);
        assert_eq!(
            args.join(" "),
            "bench --profile bench-fast -p estafette-core --bench core -- --quick"
        );
    }

    #[test]
    fn an_unknown_bench_is_a_usage_error() {
        assert!(matches!(
            run(Path::new("/"), "nope", &[]),
            Err(Error::Usage(_))
        ));
    }
}
