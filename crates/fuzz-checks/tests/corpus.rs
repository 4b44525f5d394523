//! Every committed fuzz seed (`fuzz/corpus/<target>/`) through its target's check, on stable:
//! the corpora are regression tests of the ordinary suite, and CI's nightly fuzzing can stay short.

use std::path::{Path, PathBuf};

/// The seeds of one target, sorted so a failure names the same file every run.
fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
}

/// Runs `check` on each seed; a panic names the seed file.
fn replay(target: &str, check: Check) {
    for seed in seeds(target) {
        let data = std::fs::read(&seed).expect("a readable seed");
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            panic!("{target}: the seed {} fails its check", seed.display());
        }
    }
}

/// A target's check: one fuzz input, a panic when an invariant breaks.
type Check = fn(&[u8]);

/// Every target of `fuzz/fuzz_targets/` and its check.
const TARGETS: [(&str, Check); 6] = [
    ("client_hints", fuzz_checks::client_hints::check),
    ("ids_cursor", fuzz_checks::ids_cursor::check),
    ("return_to", fuzz_checks::return_to::check),
    ("token_header", fuzz_checks::token_header::check),
    ("token_structured", fuzz_checks::token_structured::check),
    ("upstream_json", fuzz_checks::upstream_json::check),
];

#[test]
fn every_committed_seed_passes_its_targets_check() {
    for (target, check) in TARGETS {
        replay(target, check);
    }
}

/// A target added to `fuzz/` without a corpus replay here would fuzz untested seeds.
#[test]
fn every_fuzz_target_is_replayed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/fuzz_targets");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("fuzz/fuzz_targets")
        .map(|entry| entry.expect("an entry").path())
        .filter_map(|path| Some(path.file_stem()?.to_str()?.to_owned()))
        .collect();
    on_disk.sort();
    let replayed: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    assert_eq!(on_disk, replayed);
}

/// The checks can fail: a `return_to` that escapes the origin and a forged token are caught.
#[test]
fn the_checks_catch_a_broken_invariant() {
    assert!(
        std::panic::catch_unwind(|| fuzz_checks::assert_same_origin_path("//evil.example"))
            .is_err()
    );
    let forged = fuzz_checks::valid_token(fuzz_checks::now(), 300).replace('.', "x");
    assert!(fuzz_checks::validate(&forged).is_err());
    assert!(fuzz_checks::validate(&fuzz_checks::valid_token(fuzz_checks::now(), 300)).is_ok());
}
