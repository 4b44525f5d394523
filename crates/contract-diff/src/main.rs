//! `contract-diff OLD NEW [--fail-under PREFIX]...`: lists the breaking changes from the OpenAPI
//! document OLD to NEW and exits 1 when one touches a path under a `--fail-under` prefix (`/v1`
//! when none is given: apps in the field cannot all update at once). Others are warnings.
#![allow(
    clippy::print_stdout,
    reason = "a command-line tool: its report is its output"
)]

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use contract_diff::diff::{breaking_changes, is_under};
use serde_json::Value;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("contract-diff: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let mut files = Vec::new();
    let mut prefixes = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--fail-under" => prefixes.push(args.next().context("--fail-under needs a prefix")?),
            "-h" | "--help" => {
                println!("usage: contract-diff OLD.json NEW.json [--fail-under PREFIX]...");
                return Ok(ExitCode::SUCCESS);
            }
            _ => files.push(arg),
        }
    }
    let [old, new] = files.as_slice() else {
        bail!("usage: contract-diff OLD.json NEW.json [--fail-under PREFIX]...");
    };
    if prefixes.is_empty() {
        prefixes.push("/v1".to_owned());
    }
    let read = |path: &str| -> anyhow::Result<Value> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
        serde_json::from_str(&text).with_context(|| format!("{path} is not JSON"))
    };
    let changes = breaking_changes(&read(old)?, &read(new)?);
    let mut errors = 0;
    for change in &changes {
        if is_under(change, &prefixes) {
            errors += 1;
            println!("error: {change}");
        } else {
            println!("warning: {change}");
        }
    }
    println!(
        "{new}: {} breaking change(s), {errors} under {}",
        changes.len(),
        prefixes.join(", ")
    );
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
