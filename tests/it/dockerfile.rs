//! No Docker engine runs here, so the Dockerfile's invariants are checked as text: pinned base
//! images, a non-root user, a health check through the binary, no secrets baked in, the port,
//! every `cargo build` without the demo stand-in (`--no-default-features`), and a .dockerignore
//! that keeps the build context small and secret-free.

use std::path::Path;

fn read(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Instruction lines, with `\` continuations joined and comments dropped.
fn instructions(dockerfile: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let t = line.trim();
        if current.is_empty() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if let Some(body) = t.strip_suffix('\\') {
            current.push_str(body);
            current.push(' ');
        } else {
            current.push_str(t);
            out.push(std::mem::take(&mut current));
        }
    }
    out
}

fn keyword(instr: &str) -> String {
    instr
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase()
}

/// The invariants; returns every violation.
fn violations(dockerfile: &str) -> Vec<String> {
    let instrs = instructions(dockerfile);
    let mut bad = Vec::new();
    let mut stages: Vec<String> = Vec::new();
    for i in instrs.iter().filter(|i| keyword(i) == "FROM") {
        let words: Vec<&str> = i.split_whitespace().collect();
        let image = words
            .iter()
            .skip(1)
            .find(|w| !w.starts_with("--"))
            .copied()
            .unwrap_or_default();
        let is_stage = stages.iter().any(|s| s.eq_ignore_ascii_case(image));
        if !is_stage {
            let tag = image
                .rsplit_once('@')
                .map(|(_, digest)| digest)
                .or_else(|| {
                    image
                        .rsplit('/')
                        .next()
                        .and_then(|n| n.split_once(':').map(|(_, t)| t))
                });
            match tag {
                None => bad.push(format!("base image {image} has no tag")),
                Some(t) if t.eq_ignore_ascii_case("latest") => {
                    bad.push(format!("base image {image} uses latest"))
                }
                Some(t) if !t.starts_with("sha256:") && !t.chars().any(|c| c.is_ascii_digit()) => {
                    bad.push(format!("base image {image} is not pinned to a version"))
                }
                _ => {}
            }
        }
        if let Some(pos) = words.iter().position(|w| w.eq_ignore_ascii_case("AS")) {
            if let Some(name) = words.get(pos + 1) {
                stages.push((*name).to_owned());
            }
        }
    }
    // The final stage runs as a non-root user.
    let last_from = instrs
        .iter()
        .rposition(|i| keyword(i) == "FROM")
        .unwrap_or(0);
    let user = instrs[last_from..]
        .iter()
        .rev()
        .find(|i| keyword(i) == "USER")
        .map(|i| i.split_whitespace().nth(1).unwrap_or_default().to_owned());
    match user.as_deref() {
        None => bad.push("the final stage has no USER".into()),
        Some(u) if u == "root" || u == "0" || u.starts_with("0:") || u.starts_with("root:") => {
            bad.push(format!("the final stage runs as {u}"))
        }
        _ => {}
    }
    match instrs.iter().find(|i| keyword(i) == "HEALTHCHECK") {
        None => bad.push("no HEALTHCHECK".into()),
        Some(h) if !h.contains("healthcheck") => {
            bad.push("HEALTHCHECK does not use the healthcheck subcommand".into())
        }
        _ => {}
    }
    if !instrs
        .iter()
        .any(|i| keyword(i) == "EXPOSE" && i.split_whitespace().any(|w| w.starts_with("7059")))
    {
        bad.push("no EXPOSE 7059".into());
    }
    if !instrs
        .iter()
        .any(|i| keyword(i) == "ENV" && i.contains("FV_LISTEN=0.0.0.0:7059"))
    {
        bad.push("FV_LISTEN=0.0.0.0:7059 is not set".into());
    }
    // Production images carry no stand-in for Filevine; the dependency layer is built with the
    // same flags, or its cache would not match the final build.
    let builds: Vec<&String> = instrs
        .iter()
        .filter(|i| keyword(i) == "RUN" && i.contains("cargo build"))
        .collect();
    if builds.is_empty() {
        bad.push("no cargo build".into());
    }
    for i in builds {
        if !i.contains("--no-default-features") {
            bad.push(format!("cargo build without --no-default-features: {i}"));
        }
    }
    for i in instrs
        .iter()
        .filter(|i| matches!(keyword(i).as_str(), "ENV" | "ARG" | "LABEL"))
    {
        for secret in [
            "FV_CLIENT_SECRET",
            "FV_SECRET_KEY",
            "FV_PAT",
            "CLIENT_SECRET",
            "SECRET_KEY",
        ] {
            if i.to_ascii_uppercase().contains(secret) {
                bad.push(format!("a secret is baked in: {i}"));
            }
        }
    }
    bad
}

#[test]
fn the_dockerfile_keeps_its_invariants() {
    let bad = violations(&read("Dockerfile"));
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn the_checks_catch_what_they_guard() {
    let good = read("Dockerfile");
    for (from, to, expect) in [
        ("debian:bookworm-20251117-slim", "debian:latest", "latest"),
        ("debian:bookworm-20251117-slim", "debian", "no tag"),
        (
            "debian:bookworm-20251117-slim",
            "debian:bookworm-slim",
            "not pinned",
        ),
        ("USER 10001", "USER root", "runs as root"),
        ("USER 10001", "", "no USER"),
        ("EXPOSE 7059", "EXPOSE 8080", "EXPOSE 7059"),
        ("HEALTHCHECK", "# HEALTHCHECK", "no HEALTHCHECK"),
        ("--no-default-features", "", "without --no-default-features"),
        (
            "FV_LOG_FORMAT=json",
            "FV_LOG_FORMAT=json FV_SECRET_KEY=00ff",
            "secret",
        ),
    ] {
        assert!(good.contains(from), "{from}");
        let broken = good.replace(from, to);
        let bad = violations(&broken);
        assert!(
            bad.iter().any(|b| b.contains(expect)),
            "{from} -> {to}: expected {expect:?} in {bad:?}"
        );
    }
    let arg = format!("{good}\nARG FV_PAT=abc\n");
    assert!(!violations(&arg).is_empty());
}

#[test]
fn every_manifest_target_is_copied_into_the_build() {
    let dockerfile = read("Dockerfile");
    let manifest = read("Cargo.toml");
    for dir in ["src", "templates", "static", "crates", "migrations"] {
        assert!(dockerfile.contains(&format!("COPY {dir} {dir}")), "{dir}");
    }
    // The build script is the package's when the file exists.
    assert!(dockerfile.contains("COPY build.rs build.rs"));
    // Every workspace member's manifest is in the dependency layer, with a stub library.
    let members = manifest
        .split("members = [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("Cargo.toml declares its workspace members");
    for member in members.split(',').map(|m| m.trim().trim_matches('"')) {
        if member == "." || member.is_empty() {
            continue;
        }
        assert!(
            dockerfile.contains(&format!("COPY {member}/Cargo.toml {member}/Cargo.toml")),
            "no manifest of workspace member {member} in the dependency layer"
        );
        assert!(
            dockerfile.contains(&format!("> {member}/src/lib.rs")),
            "no stub library for workspace member {member} in the dependency layer"
        );
    }
    // Every [[bench]] the manifest names needs a stub in the dependency layer, or the
    // manifest does not load there.
    let mut in_bench = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bench = line == "[[bench]]";
        } else if let Some(name) = line.strip_prefix("name = ").filter(|_| in_bench) {
            let name = name.trim_matches('"');
            assert!(dockerfile.contains("COPY benches benches"));
            assert!(
                dockerfile.contains(&format!(" {name} "))
                    || dockerfile.contains(&format!("benches/{name}.rs")),
                "no stub for bench {name} in the dependency layer"
            );
        }
    }
}

#[test]
fn the_dockerignore_keeps_the_context_clean() {
    let ignore = read(".dockerignore");
    let lines: Vec<&str> = ignore.lines().map(str::trim).collect();
    for needed in ["target", ".git", "*.db", ".env", "node_modules"] {
        assert!(
            lines.contains(&needed),
            "{needed} missing from .dockerignore"
        );
    }
}
