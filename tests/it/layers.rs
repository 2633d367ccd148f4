//! The house's layering, checked on the source itself: the top-level modules of `src/` import
//! each other without a cycle, and nothing but `startup` (composition) imports `web`. A
//! `use crate::web::...` in, say, `reporting`, or a `crate::auth` type reached from `metrics`
//! while `auth` records metrics, fails here with the files that made the edge.
//!
//! It reads `crate::name` paths (plain and in `use crate::{a::.., b::..}` groups) outside
//! comments and outside `#[cfg(test)] mod tests`, which is how every module here imports.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// module -> module it imports -> files where it does.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without line comments and without its unit-test module.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level names a file reaches with `crate::`.
fn imports(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The top-level items of the group: names at brace depth 0, split by commas.
            let mut depth = 0usize;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        item_start = false;
                        let name = ident_at(&group[i..]);
                        if !name.is_empty() && name != "self" {
                            found.insert(name.to_owned());
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident_at(rest);
            if !name.is_empty() {
                found.insert(name.to_owned());
            }
        }
    }
    found
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph = Graph::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a component");
        let top = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" || top == "main" {
            continue; // the crate root and the binary sit above every module
        }
        let code = code_of(&fs::read_to_string(&file).expect("readable source"));
        for target in imports(&code) {
            if target != top {
                graph
                    .entry(top.clone())
                    .or_default()
                    .entry(target)
                    .or_default()
                    .insert(rel.display().to_string());
            }
        }
    }
    graph
}

fn reaches(graph: &Graph, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_owned()];
    while let Some(m) = stack.pop() {
        if m == to {
            return true;
        }
        if seen.insert(m.clone()) {
            stack.extend(graph.get(&m).into_iter().flat_map(|t| t.keys().cloned()));
        }
    }
    false
}

#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    let graph = graph();
    assert!(graph.len() >= 10, "the scan found the modules: {graph:?}");
    let mut cycles = Vec::new();
    for (from, targets) in &graph {
        for (to, files) in targets {
            if reaches(&graph, to, from) {
                cycles.push(format!("{from} -> {to} (in {files:?}) and back"));
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn only_startup_imports_web() {
    let graph = graph();
    let offenders: Vec<String> = graph
        .iter()
        .filter(|(from, _)| *from != "startup")
        .filter_map(|(from, targets)| targets.get("web").map(|files| format!("{from}: {files:?}")))
        .collect();
    assert!(offenders.is_empty(), "modules importing web: {offenders:?}");
    assert!(
        graph["startup"].contains_key("web"),
        "the scan sees startup's use of web"
    );
}

#[test]
fn the_scan_reads_grouped_and_plain_paths_outside_comments_and_tests() {
    let code = code_of(
        "use crate::{auth::{A, B}, store::Db, self};\nfn f() { crate::metrics::x(); }\n\
         // crate::web::y\n#[cfg(test)]\nmod tests { use crate::config; }",
    );
    let found: Vec<String> = imports(&code).into_iter().collect();
    assert_eq!(found, ["auth", "metrics", "store"]);
}
